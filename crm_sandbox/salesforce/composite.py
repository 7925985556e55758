"""Composite Batch: `POST /services/data/vXX.X/composite/batch`, up to 25 independent
subrequests in one round trip (REST API guide, "Composite Batch", "Batch Request Body",
"Batch Response Body").

- Body `{"haltOnError": false, "batchRequests": [{"method", "url", "richInput"}]}`; `url`
  starts at the version (`v62.0/query/?q=...`, the guide's form) or with
  `/services/data/` (the form tap-salesforce sends); no headers at subrequest level.
- Batchable resources: limits, sObject resources, query, queryAll (and search, connect,
  chatter, actions, which the sandbox does not serve: 404 per subrequest). Another
  resource, a bad method, a malformed url or a subrequest version outside [34.0, batch
  version] refuses the whole batch with 400 before anything runs.
- Answer 200 `{"hasErrors", "results": [{"statusCode", "result"}]}`; `result` is the
  subrequest's body (an error list on failure, null when empty). With `haltOnError`, the
  subrequests after a 4xx/5xx answer 412 `BATCH_PROCESSING_HALTED` and do not run.
- "Each subrequest counts against rate limits": every subrequest that runs spends one
  API call (the batch itself spends none; a batch refused with 400 spends one).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..http import Endpoint, Request, Response, raw_json
from .context import Context, V
from .errors import SfError
from .subcalls import Subcalls, subrequest_items

MIN_VERSION = 34.0
METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"})
SUB_URL = re.compile(r"^(?:/services/data/)?v(\d+\.\d)/([^?]*)(\?.*)?$")
BATCHABLE = re.compile(r"^(?:limits|sobjects|query|queryAll|search|connect|chatter|actions)"
                       r"(?:/|$)")
HALTED = json.dumps([{"errorCode": "BATCH_PROCESSING_HALTED",
                      "message": "Batch processing halted: an earlier subrequest failed "
                                 "and haltOnError is true."}], separators=(",", ":"))


class CompositeBatch:
    """The composite/batch endpoint over the surface's subrequest runner."""

    def __init__(self, ctx: Context, subcalls: Subcalls) -> None:
        self.ctx, self.subcalls = ctx, subcalls

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("POST", rf"{V}/composite/batch/?", "compositeBatch", self.batch)]

    def batch(self, req: Request) -> Response:
        """Run the subrequests in order; one JSON answer with each status and body."""
        try:
            subs, halt = self.parse(req)
        except SfError:
            self.ctx.usage.spend()  # a refused batch is still one API request
            raise
        results, failed = [], False
        for sub in subs:
            if failed and halt:
                results.append(f'{{"statusCode":412,"result":{HALTED}}}')
                continue
            resp = self.subcalls.run(sub)
            failed = failed or resp.status >= 400
            body = resp.body.decode("utf-8").strip() or "null"
            results.append(f'{{"statusCode":{resp.status},"result":{body}}}')
        has_errors = "true" if failed else "false"
        return raw_json(f'{{"hasErrors":{has_errors},"results":[{",".join(results)}]}}')

    def parse(self, req: Request) -> tuple[list[Request], bool]:
        """The subrequests as requests, or the 400 refusing the whole batch."""
        body, items = subrequest_items(req, "batchRequests", "INVALID_BATCH_REQUEST")
        top = float(req.params["v"])
        auth = req.headers.get("authorization", "")
        subs = [self.subrequest(item, i, top, auth) for i, item in enumerate(items)]
        return subs, bool(body.get("haltOnError"))

    @staticmethod
    def subrequest(item: Any, i: int, top: float, auth: str) -> Request:
        """One subrequest as a request to /services/data/vXX.X/..., validated."""
        if not isinstance(item, dict):
            raise SfError(400, "INVALID_BATCH_REQUEST", f"subrequest {i} is not an object")
        method = str(item.get("method") or "").upper()
        m = SUB_URL.match(str(item.get("url") or ""))
        if method not in METHODS or m is None:
            raise SfError(400, "INVALID_BATCH_REQUEST",
                          f"subrequest {i}: invalid method or url: {item.get('method')!r} "
                          f"{item.get('url')!r}")
        version, rest, query = float(m.group(1)), m.group(2), m.group(3) or ""
        if not MIN_VERSION <= version <= top or not BATCHABLE.match(rest):
            raise SfError(400, "INVALID_BATCH_REQUEST",
                          f"subrequest {i}: {rest or '/'} v{m.group(1)} cannot be batched in "
                          f"a v{top} batch (versions 34.0 to the batch's; limits, sObject, "
                          "query, queryAll, search, connect, chatter and actions resources)")
        rich = item.get("richInput")
        body = json.dumps(rich).encode() if rich is not None else b""
        headers = {"authorization": auth}
        if body:
            headers["content-type"] = "application/json"
        return Request(method, f"/services/data/v{m.group(1)}/{rest}{query}", headers, body)
