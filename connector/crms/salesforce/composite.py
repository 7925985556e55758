"""Many reads in one API call: Salesforce's Composite resource (`POST …/composite`).

"The entire series of requests counts as a single call toward your API limits" (REST API
guide, "Composite"), unlike composite/batch, where each subrequest counts. A request
holds at most 25 subrequests, at most 5 of them queries (query, queryAll, their next
pages), each with headers of its own (`If-Modified-Since` revalidates a describe). A
subrequest that fails transiently (429, 5xx) or meets an expired session is sent again
in the next request; every other failure is its own answer, for the caller to judge.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.crms.salesforce.client import SalesforceClient, malformed_page
from connector.crms.salesforce.errors import RETRIABLE_STATUS, error_for, seconds
from connector.errors import RetriableError

MAX_SUBREQUESTS = 25
MAX_QUERIES = 5
_QUERY = re.compile(r"^/services/data/v[\d.]+/(?:query|queryAll)(?:/|\?|$)")


@dataclass(frozen=True)
class Subrequest:
    """One GET of a composite request: `url` from /services/data/, named `ref`."""

    ref: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_query(self) -> bool:
        """Whether it counts among the 5 query operations of a request."""
        return bool(_QUERY.match(self.url))


@dataclass(frozen=True)
class SubAnswer:
    """One subrequest's answer: status, parsed body (None when empty) and headers."""

    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 or self.status == 304

    def error(self) -> tuple[str, str]:
        """(errorCode, message) of a failed answer."""
        body = self.body[0] if isinstance(self.body, list) and self.body else self.body
        if not isinstance(body, dict):
            return "", str(body)[:300]
        return str(body.get("errorCode") or ""), str(body.get("message") or "")

    def failure(self, what: str) -> Exception:
        """The connector error for this failed answer to `what`."""
        code, message = self.error()
        return error_for(self.status, code, f"{what}: {message}",
                         seconds(self.headers.get("retry-after", "")))  # fmt: skip


def requests_for(subs: Sequence[Subrequest]) -> Iterator[list[Subrequest]]:
    """The subrequests packed, in order, into as few composite requests as the limits
    allow (25 subrequests, 5 queries each)."""
    chunk: list[Subrequest] = []
    queries = 0
    for sub in subs:
        if len(chunk) == MAX_SUBREQUESTS or (sub.is_query and queries == MAX_QUERIES):
            yield chunk
            chunk, queries = [], 0
        chunk.append(sub)
        queries += sub.is_query
    if chunk:
        yield chunk


def run_composite(transport: SalesforceClient, subs: Sequence[Subrequest]) -> dict[str, SubAnswer]:
    """Every subrequest's answer by `ref`, in as few API calls as the limits allow.

    Subrequests answered 429/5xx, or 401 (the session is renewed first), are sent again
    with the next request, under the transport's retry policy."""
    answers: dict[str, SubAnswer] = {}
    pending = list(subs)

    def send() -> None:
        nonlocal pending
        retry: list[tuple[Subrequest, SubAnswer]] = []
        for chunk in requests_for(pending):
            token = transport.session.access_token
            sent = list(zip(chunk, _send(transport, chunk), strict=True))
            for sub, answer in sent:
                if answer.status in RETRIABLE_STATUS or answer.status == 401 or _no_page(
                    sub, answer
                ):
                    retry.append((sub, answer))
                else:
                    answers[sub.ref] = answer
            expired = any(answer.status == 401 for _, answer in sent)
            if expired and transport.session.access_token == token:
                transport.renew_session()  # once, before the next request
        pending = [sub for sub, _ in retry]
        if retry:
            raise _transient([answer for _, answer in retry])

    transport.retrying(send)
    return answers


def _no_page(sub: Subrequest, answer: SubAnswer) -> bool:
    """A query answered 2xx with no page of results: sent again, like a 5xx."""
    return sub.is_query and 200 <= answer.status < 300 and malformed_page(answer.body) is not None


def _send(transport: SalesforceClient, chunk: list[Subrequest]) -> list[SubAnswer]:
    body = {"allOrNone": False, "collateSubrequests": False, "compositeRequest": [
        {"method": "GET", "url": s.url, "referenceId": s.ref,
         **({"httpHeaders": s.headers} if s.headers else {})} for s in chunk]}
    answer = transport.restful("composite", method="POST", json=body) or {}
    results = {str(r.get("referenceId")): r for r in answer.get("compositeResponse") or []}
    return [_answer(results.get(s.ref)) for s in chunk]


def _answer(result: dict[str, Any] | None) -> SubAnswer:
    if result is None:  # an answer without it: retried like any transient failure
        return SubAnswer(503, None, {})
    headers = {str(k).lower(): str(v) for k, v in (result.get("httpHeaders") or {}).items()}
    return SubAnswer(int(result.get("httpStatusCode") or 0), result.get("body"), headers)


def _transient(failed: list[SubAnswer]) -> RetriableError:
    """One retriable error for the subrequests to send again: the longest wait asked for,
    429 when any was throttled (so the transport counts it)."""
    waits = [w for a in failed if (w := seconds(a.headers.get("retry-after", ""))) is not None]
    status = 429 if any(a.status == 429 for a in failed) else failed[0].status
    return RetriableError(f"Salesforce answered {status} to {len(failed)} composite "
                          "subrequest(s)", max(waits) if waits else None, status)
