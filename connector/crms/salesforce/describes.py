"""The describes of the mapped sObjects: read in composite requests (25 a call), kept in
the store between runs, and revalidated with `If-Modified-Since` inside the run's first
composite request, where a 304 costs nothing more than the request itself.

`get` never calls the API: an sObject it does not know is noted in `wanted`, and
`resolve` fetches what a resolution wanted, then resolves again (relationship paths
name sObjects only their parent's describe reveals).
"""

from __future__ import annotations

from typing import Any

from connector.crms.config import MappingLines
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.composite import SubAnswer, Subrequest, run_composite
from connector.crms.salesforce.mapping import SalesforceMapping
from connector.crms.salesforce.validate import Resolved, resolve_mapping
from connector.store import Store
from connector.store.metadata import cached_metadata, confirm_metadata, save_metadata

Describe = dict[str, Any]
KEY = "describe:"
MAX_ROUNDS = 6  # relationship paths are at most five sObjects deep


class Describer:
    """Describe answers by sObject (None: not found or not visible to the user)."""

    def __init__(self, transport: SalesforceClient, store: Store | None, source: str) -> None:
        self.transport, self.store, self.source = transport, store, source
        self.known: dict[str, Describe | None] = {}
        self.stamps: dict[str, str] = {}  # Last-Modified of each cached describe
        self.unconfirmed: set[str] = set()  # from the store, not yet revalidated
        self.wanted: set[str] = set()
        self._sobjects: list[Describe] | None = None
        if store is not None:
            for key, cached in cached_metadata(store, source, KEY).items():
                name = key.removeprefix(KEY)
                self.known[name] = cached.body
                if cached.last_modified:
                    self.stamps[name] = cached.last_modified
                self.unconfirmed.add(name)

    def get(self, sobject: str) -> Describe | None:
        """The describe of `sobject` if known; else None, and `sobject` is wanted."""
        key = sobject.lower()
        if key not in self.known:
            self.wanted.add(key)
            return None
        return self.known[key]

    def fetch(self, names: list[str]) -> None:
        """Describe `names` (composite requests of 25)."""
        subs = [Subrequest(_ref(n), self._url(n)) for n in names]
        answers = run_composite(self.transport, subs)
        for name in names:
            self.absorb(name, answers[_ref(name)])

    def prefetch(
        self, names: list[str], extra: list[Subrequest]
    ) -> dict[str, SubAnswer]:
        """The describes of `names` (cached ones revalidated) and `extra` subrequests,
        together in as few composite requests as the limits allow; `extra`'s answers."""
        fresh = sorted({n.lower() for n in names} - set(self.known))
        subs = [*self.revalidations(), *(Subrequest(_ref(n), self._url(n)) for n in fresh)]
        answers = run_composite(self.transport, [*subs, *extra])
        self.revalidated(answers)
        for name in fresh:
            self.absorb(name, answers[_ref(name)])
        return {sub.ref: answers[sub.ref] for sub in extra}

    def revalidations(self) -> list[Subrequest]:
        """Conditional describes of every cached sObject not yet confirmed this run."""
        return [
            Subrequest(_ref(n), self._url(n), {"If-Modified-Since": self.stamps[n]})
            for n in sorted(self.unconfirmed)
            if n in self.stamps and self.known.get(n) is not None
        ]

    def revalidated(self, answers: dict[str, SubAnswer]) -> list[str]:
        """Take the answers to `revalidations()`; the sObjects whose describe changed."""
        changed, confirmed = [], []
        for name in sorted(self.unconfirmed):
            answer = answers.get(_ref(name))
            if answer is None:
                continue
            if answer.status == 304:
                confirmed.append(name)
            else:
                self.absorb(name, answer)
                changed.append(name)
            self.unconfirmed.discard(name)
        if self.store is not None:
            confirm_metadata(self.store, self.source, [KEY + n for n in confirmed])
        return changed

    def forget(self) -> None:
        """Drop every describe known, so that the next resolution reads them afresh."""
        self.known.clear()
        self.unconfirmed.clear()

    def absorb(self, name: str, answer: SubAnswer) -> None:
        """One describe answer: kept (and stored), None when not found, else an error."""
        if answer.status == 404:
            self.known[name] = None
            return
        if answer.status != 200 or not isinstance(answer.body, dict):
            raise answer.failure(f"describe {name}")
        self.known[name] = answer.body
        stamp = answer.headers.get("last-modified")
        if stamp:
            self.stamps[name] = stamp
        if self.store is not None:
            save_metadata(self.store, self.source, KEY + name, answer.body,
                          last_modified=stamp, etag=answer.headers.get("etag"))  # fmt: skip

    def sobjects(self) -> list[Describe]:
        """The org's sObjects as the global describe lists them (one call, once)."""
        if self._sobjects is None:
            answer = self.transport.restful("sobjects/") or {}
            self._sobjects = [dict(s) for s in answer.get("sobjects") or []]
        return self._sobjects

    def _url(self, name: str) -> str:
        return f"/services/data/v{self.transport.config.api_version}/sobjects/{name}/describe"


def resolve(
    mapping: SalesforceMapping, describer: Describer, where: MappingLines | None = None
) -> Resolved:
    """Resolve the mapping, first fetching every describe it needs that is not known; an
    sObject not found is compared with the org's (the global describe, one more call)."""
    for _ in range(MAX_ROUNDS):
        describer.wanted.clear()
        resolved = resolve_mapping(mapping, describer, where)
        if not describer.wanted:
            break
        describer.fetch(sorted(describer.wanted))
    else:
        resolved = resolve_mapping(mapping, describer, where)
    if resolved.missing:
        names = [str(s.get("name")) for s in describer.sobjects()]
        resolved = resolve_mapping(mapping, describer, where, names)
    return resolved


def _ref(name: str) -> str:
    return "describe_" + name
