"""Composite: `POST /services/data/vXX.X/composite`, up to 25 subrequests in ONE API call,
later ones able to use what earlier ones answered (REST API guide, "Composite",
"Composite Request Body", "Composite Subrequest Result").

- Body `{"allOrNone": false, "collateSubrequests": …, "compositeRequest": [{"method",
  "url", "referenceId", "body", "httpHeaders"}]}`; `url` is `/services/data/vXX.X/…`.
- Composable resources: sObject resources (describe, rows, getUpdated/getDeleted…),
  query, queryAll (and their following pages) and sObject Collections. At most 25
  subrequests, of which at most 5 query or Collections operations.
- `referenceId` (letters, digits, `_`; unique) names a subrequest's answer; a later url or
  body uses it as `@{ref.field}`, `@{ref.records[0].Id}`. A reference that finds no value
  (its subrequest failed, or the path is not in its answer) answers 400
  `PROCESSING_HALTED` "Invalid reference specified…" for the subrequest using it.
- `httpHeaders` per subrequest (If-Modified-Since, Sforce-Query-Options, …), except
  Accept, Authorization and Content-Type, which are inherited (naming them refuses the
  whole request). Each result carries the subrequest's own response headers (ETag,
  Last-Modified, Location), never Content-Length.
- `allOrNone: true`: when a subrequest fails, everything the request wrote is rolled
  back, the failed one keeps its error and every other answers 400 `PROCESSING_HALTED`
  "The transaction was rolled back since another operation in the same transaction
  failed." With false, the others run (except those referring to a failed one).
- Answer 200 `{"compositeResponse": [{"body", "httpHeaders", "httpStatusCode",
  "referenceId"}]}`; a malformed request is refused whole with 400 before anything runs.
- "The entire series of requests counts as a single call toward your API limits": one
  API call, whatever the number of subrequests (a refused request, one too).
- `GET …/composite` lists the composite resources.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..http import Endpoint, Request, Response, json_response
from .context import Context, V
from .errors import SfError
from .subcalls import Subcalls, subrequest_items

MAX_QUERIES = 5  # query, queryAll, their next pages, and sObject Collections
METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"})
SUB_URL = re.compile(r"^/services/data/v(\d+\.\d)/([^?]*)(\?.*)?$")
COMPOSABLE = re.compile(r"^(?:sobjects|query|queryAll|composite/sobjects)(?:/|$)")
QUERY_LIKE = re.compile(r"^(?:query|queryAll|composite/sobjects)(?:/|$)")
REFERENCE_ID = re.compile(r"^[A-Za-z0-9_]+$")
REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
STEP = re.compile(r"\.([A-Za-z0-9_]+)|\[(\d+)\]")
INHERITED = frozenset({"accept", "authorization", "content-type"})
HIDDEN = frozenset({"content-type", "content-length"})
ROLLED_BACK = ("The transaction was rolled back since another operation in the same "
               "transaction failed.")


@dataclass
class Sub:
    """One subrequest, validated."""

    method: str
    url: str  # path and query from /services/data/
    reference: str
    body: Any
    headers: dict[str, str]


class Unresolved(Exception):
    """A reference that finds no value in the answers before it."""


class _RollBack(Exception):
    """Raised inside an all-or-none request to undo its writes."""


class CompositeRequest:
    """The composite endpoint over the surface's subrequest runner."""

    def __init__(self, ctx: Context, subcalls: Subcalls) -> None:
        self.ctx, self.subcalls = ctx, subcalls

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("POST", rf"{V}/composite/?", "composite", self.composite),
                Endpoint("GET", rf"{V}/composite/?", "compositeResources", self.resources)]

    def resources(self, req: Request) -> Response:
        """The composite resources of this version."""
        base = f"/services/data/v{req.params['v']}/composite"
        return json_response({name: f"{base}/{name}"
                              for name in ("tree", "batch", "sobjects", "graph")})

    def composite(self, req: Request) -> Response:
        """Run the subrequests in order; one answer with each result."""
        subs, all_or_none = self.parse(req)
        auth = req.headers.get("authorization", "")
        if not all_or_none:
            return answer(self.run(subs, auth, halt=False))
        results: list[dict[str, Any]] = []
        try:
            with self.ctx.org.atomic():
                results = self.run(subs, auth, halt=True)
                if any(r["httpStatusCode"] >= 400 for r in results):
                    raise _RollBack
        except _RollBack:
            results = [r if r["httpStatusCode"] >= 400 else halted(r["referenceId"], ROLLED_BACK)
                       for r in results]
        return answer(results)

    def run(self, subs: list[Sub], auth: str, *, halt: bool) -> list[dict[str, Any]]:
        """Each subrequest's result; after a failure with `halt`, the rest are not run."""
        answers: dict[str, Any] = {}
        results: list[dict[str, Any]] = []
        for sub in subs:
            if halt and any(r["httpStatusCode"] >= 400 for r in results):
                results.append(halted(sub.reference, ROLLED_BACK))
                continue
            try:
                request = resolved(sub, answers, auth)
            except Unresolved as exc:
                results.append(halted(sub.reference, str(exc)))
                continue
            resp = self.subcalls.run(request, counted=False)
            body = json.loads(resp.body) if resp.body.strip() else None
            if resp.status < 400:
                answers[sub.reference] = body
            results.append({"body": body, "httpHeaders": shown(resp.headers),
                            "httpStatusCode": resp.status, "referenceId": sub.reference})
        return results

    def parse(self, req: Request) -> tuple[list[Sub], bool]:
        """The subrequests, or the 400 refusing the whole request."""
        body, items = subrequest_items(req, "compositeRequest", "INVALID_API_INPUT")
        top = float(req.params["v"])
        subs = [subrequest(item, i, top) for i, item in enumerate(items)]
        refs = [s.reference for s in subs]
        repeated = sorted({r for r in refs if refs.count(r) > 1})
        if repeated:
            raise SfError(400, "INVALID_API_INPUT",
                          f"Duplicate referenceId provided in the request: {repeated[0]}")
        queries = sum(1 for s in subs if QUERY_LIKE.match(resource(s.url)))
        if queries > MAX_QUERIES:
            raise SfError(400, "LIMIT_EXCEEDED",
                          f"A composite request can contain at most {MAX_QUERIES} query or "
                          f"sObject Collections operations; this one has {queries}.")
        return subs, bool(body.get("allOrNone"))


def subrequest(item: Any, i: int, top: float) -> Sub:
    """One subrequest, checked: method, url, referenceId, headers."""
    if not isinstance(item, dict):
        raise SfError(400, "INVALID_API_INPUT", f"subrequest {i} is not an object")
    method = str(item.get("method") or "").upper()
    url = str(item.get("url") or "")
    ref = item.get("referenceId")
    m = SUB_URL.match(url)
    if method not in METHODS or m is None:
        raise SfError(400, "INVALID_API_INPUT",
                      f"subrequest {i}: invalid method or url: {item.get('method')!r} {url!r}")
    if not isinstance(ref, str) or not REFERENCE_ID.match(ref):
        raise SfError(400, "INVALID_API_INPUT", f"subrequest {i}: referenceId {ref!r} must be "
                      "letters, numbers and underscores")
    version, rest = float(m.group(1)), m.group(2)
    if version > top or not COMPOSABLE.match(rest):
        raise SfError(400, "INVALID_API_INPUT",
                      f"subrequest {i}: {rest or '/'} v{m.group(1)} cannot be part of a "
                      f"v{top} composite request (sObject, query, queryAll and sObject "
                      "Collections resources, up to the request's version)")
    headers = item.get("httpHeaders") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise SfError(400, "INVALID_API_INPUT", f"subrequest {i}: httpHeaders must map names "
                      "to strings")
    inherited = sorted(k for k in headers if k.lower() in INHERITED)
    if inherited:
        raise SfError(400, "INVALID_API_INPUT", f"subrequest {i}: {inherited[0]} is inherited "
                      "from the composite request and cannot be set per subrequest")
    return Sub(method, url, ref, item.get("body"),
               {k.lower(): v for k, v in headers.items()})


def resource(url: str) -> str:
    """The resource path after /services/data/vXX.X/."""
    m = SUB_URL.match(url)
    return m.group(2) if m else ""


def resolved(sub: Sub, answers: dict[str, Any], auth: str) -> Request:
    """The subrequest as a request, its references replaced by the values they name."""
    url = REFERENCE.sub(lambda m: quote(str(lookup(m, answers)), safe=""), sub.url)
    body = substitute(sub.body, answers)
    data = json.dumps(body).encode() if body is not None else b""
    headers = {**sub.headers, "authorization": auth}
    if data:
        headers["content-type"] = "application/json"
    return Request(sub.method, url, headers, data)


def substitute(value: Any, answers: dict[str, Any]) -> Any:
    """`value` with every `@{…}` reference replaced (a whole-string reference keeps the
    referenced value's JSON type)."""
    if isinstance(value, dict):
        return {k: substitute(v, answers) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, answers) for v in value]
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        if whole:
            return lookup(whole, answers)
        return REFERENCE.sub(lambda m: str(lookup(m, answers)), value)
    return value


def lookup(m: re.Match[str], answers: dict[str, Any]) -> Any:
    """The value a reference names in an earlier successful answer."""
    ref, path = m.group(1), m.group(2)
    missing = Unresolved(f"Invalid reference specified. No value for {ref}{path} found in "
                         f"{ref}. Provided referenceId ({ref}) must be for a subrequest "
                         "that ran earlier and succeeded")
    if ref not in answers:
        raise missing
    value = answers[ref]
    for key, index in STEP.findall(path):
        if key and isinstance(value, dict) and key in value:
            value = value[key]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            raise missing
    if value is None:
        raise missing
    return value


def halted(reference: str, message: str) -> dict[str, Any]:
    """The result of a subrequest that did not run (or was rolled back)."""
    return {"body": [{"errorCode": "PROCESSING_HALTED", "message": message}],
            "httpHeaders": {}, "httpStatusCode": 400, "referenceId": reference}


def shown(headers: dict[str, str]) -> dict[str, str]:
    """A subrequest's own response headers, as the composite result carries them."""
    return {k: v for k, v in headers.items() if k.lower() not in HIDDEN}


def answer(results: list[dict[str, Any]]) -> Response:
    return json_response({"compositeResponse": results})
