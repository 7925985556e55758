"""HubSpot's metadata endpoints offer no conditional requests: no ETag or Last-Modified,
and If-None-Match / If-Modified-Since change nothing (every call is a full, counted one)."""

from __future__ import annotations

import pytest
import urllib3

from .conftest import Box

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", ["/crm/v3/properties/deals", "/crm/v3/owners/",
                                  "/crm/v3/pipelines/deals"])
def test_metadata_answers_are_never_conditional(sandbox: Box, path: str) -> None:
    info = sandbox.info
    pool = urllib3.PoolManager(ca_certs=info["ca_file"])
    auth = {"Authorization": f"Bearer {info['access_token']}"}
    first = pool.request("GET", info["host"] + path, headers=auth)
    assert first.status == 200
    assert "ETag" not in first.headers
    assert "Last-Modified" not in first.headers
    sandbox.sb.reset_stats()
    again = pool.request("GET", info["host"] + path, headers={
        **auth, "If-None-Match": '"anything"',
        "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
    assert (again.status, again.data) == (200, first.data)
    assert sandbox.stats()["total"] == 1
