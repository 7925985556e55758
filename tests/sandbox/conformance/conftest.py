"""A HubSpot client as the public connectors have one: requests, a bearer token, no SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crm_sandbox import Sandbox

from ..conftest import session_for


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A smaller org than tests/sandbox's (100 deals, 2,000 activities): replays read
    whole listings page by page."""
    with Sandbox(seed=7, scale=0.02) as sb:
        yield sb


class Portal:
    """GET/POST against the sandbox's HubSpot surface; answers as (status, JSON)."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb, self.host = sb, sb.info["hubspot"]["host"]
        self.http = session_for(sb)
        self.http.headers["Authorization"] = f"Bearer {sb.info['hubspot']['access_token']}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        r = self.http.get(self.host + path, params=params, timeout=60)
        return r.status_code, r.json()

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        r = self.http.post(self.host + path, json=body, timeout=60)
        return r.status_code, r.json() if r.content else None

    def live(self, table: str, where: str = "true") -> int:
        """How many live records of an org table match (what a full read must return)."""
        return self.sb.org.count(table, f"NOT is_deleted AND ({where})")


@pytest.fixture(scope="module")
def portal(sandbox: Sandbox) -> Iterator[Portal]:
    p = Portal(sandbox)
    yield p
    p.http.close()


@pytest.fixture(autouse=True)
def no_rate_limits(sandbox: Sandbox) -> Iterator[None]:
    """Replays make hundreds of calls: HubSpot's 100 per 10 s would only slow them."""
    sandbox.hubspot.limits.configure(per_ten_seconds=None, search_per_second=None)
    yield
    sandbox.hubspot.limits.reset()


def drain(portal: Portal, path: str, params: dict[str, Any], items: str, more: str,
          cursor_in: str = "offset", cursor_out: str = "offset",
          max_pages: int = 1000) -> list[dict[str, Any]]:
    """Page a legacy listing to its end as tap-hubspot's `gen_request` does: read `items`,
    stop when `more` is false, else send the answer's `cursor_out` as `cursor_in`."""
    out: list[dict[str, Any]] = []
    params = dict(params)
    for _ in range(max_pages):
        status, body = portal.get(path, params)
        assert status == 200, body
        out += body[items]
        if not body[more]:
            return out
        params[cursor_in] = body[cursor_out]
    raise AssertionError(f"{path} did not end within {max_pages} pages")
