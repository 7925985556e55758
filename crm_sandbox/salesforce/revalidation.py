"""Conditional describe: `Last-Modified` and `ETag` on describe answers, 304 when unchanged.

Per the REST API guide ("sObject Describe", "Describe Global", "Get Object Metadata
Changes"): with `If-Modified-Since: EEE, dd MMM yyyy HH:mm:ss z`, an object whose metadata
has not changed since answers `304 Not Modified` with no body; the global describe does
so when no object's metadata has changed. Recorded answers carry `Last-Modified` (global
describe) and `ETag`, which clients send back as `If-None-Match` (the Force CLI's
`DescribeSObjectWithETag`). A 304 is still an API request: it is counted like any other.

Metadata changes are seen through revisions (`SObject.revision`, `Registry.revision`):
the first describe after a change stamps it with the org clock, which is never earlier
than the change itself, so a client never gets a 304 for metadata it has not seen.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
from email.utils import parsedate_to_datetime
from typing import Any

from ..clock import Clock, http_date
from ..http import Request, Response, json_response
from .model import Registry, SObject


class MetadataClock:
    """When each sObject's metadata (and the set of sObjects) last changed."""

    def __init__(self, registry: Registry, clock: Clock, base: dt.datetime) -> None:
        self.registry, self.clock = registry, clock
        self._lock = threading.Lock()
        self._objects = {o.name.lower(): (o.revision, base) for o in registry.all()}
        self._global = (registry.revision, base)

    def object_stamp(self, obj: SObject) -> dt.datetime:
        """The last change of one object's fields (now, for a change not seen yet)."""
        key = obj.name.lower()
        with self._lock:
            seen = self._objects.get(key)
            if seen is None or seen[0] != obj.revision:
                seen = (obj.revision, self.clock.now())
                self._objects[key] = seen
            return seen[1]

    def global_stamp(self) -> dt.datetime:
        """The last change of any object, or of the set of objects."""
        stamps = [self.object_stamp(o) for o in self.registry.all()]
        with self._lock:
            if self._global[0] != self.registry.revision:
                self._global = (self.registry.revision, self.clock.now())
            return max([self._global[1], *stamps])


def etag(text: str) -> str:
    """A strong entity tag: the base64 SHA-1 of the answer, quoted."""
    return '"' + base64.b64encode(hashlib.sha1(text.encode()).digest()).decode() + '"'


def since(value: str | None) -> dt.datetime | None:
    """An If-Modified-Since date as naive UTC; None when absent or unparseable (ignored,
    as HTTP says of an invalid date on a GET)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def conditional(req: Request, body: dict[str, Any], stamp: dt.datetime) -> Response:
    """The describe answer, or 304 with no body when the client's copy is current.

    If-None-Match wins over If-Modified-Since when both are sent (RFC 9110, 13.2.2)."""
    text = json.dumps(body, separators=(",", ":"))
    tag = etag(text)
    headers = {"Last-Modified": http_date(stamp), "ETag": tag}
    match = req.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip() for t in match.split(",")}
        if tag in tags or "*" in tags:
            return Response(304, b"", headers)
    else:
        ims = since(req.headers.get("if-modified-since"))
        if ims is not None and stamp.replace(microsecond=0) <= ims:
            return Response(304, b"", headers)
    return json_response(body, headers=headers)
