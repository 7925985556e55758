"""HubSpot's `Date` header is the org clock, as every stamp the portal writes is: a test
that moves the clock sees one time in the answers' headers and in the records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest
import urllib3

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e
MOVED = dt.timedelta(days=-40, hours=3)


@pytest.fixture
def moved(sandbox: Box) -> Iterator[dt.timedelta]:
    """The org clock moved far from the wall clock, for one test."""
    sandbox.advance(MOVED)
    yield MOVED
    sandbox.advance(-MOVED)


def header_time(value: str | None) -> dt.datetime:
    assert value is not None
    return parsedate_to_datetime(value).astimezone(dt.UTC).replace(tzinfo=None)


def assert_org_time(sandbox: Box, value: str | None) -> None:
    """Within the second the answer was written (the header has whole seconds)."""
    gap = sandbox.org.clock.now() - header_time(value)
    assert dt.timedelta(0) <= gap < dt.timedelta(seconds=2)


def test_date_follows_the_org_clock_through_the_client_library(
    sandbox: Box, cli: Clients, moved: dt.timedelta
) -> None:
    _, status, headers = cli.api("crm.owners.owners_api").get_page_with_http_info(limit=1)
    assert status == 200
    assert_org_time(sandbox, headers["Date"])
    wall = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs(wall + moved - header_time(headers["Date"])) < dt.timedelta(seconds=2)


def test_refusals_and_the_token_endpoint_carry_the_org_date_once(
    sandbox: Box, moved: dt.timedelta
) -> None:
    info = sandbox.info
    pool = urllib3.PoolManager(ca_certs=info["ca_file"])
    refused = pool.request(
        "GET", info["host"] + "/crm/v3/owners/", headers={"Authorization": "Bearer not-a-token"}
    )
    token = pool.request(
        "POST", info["host"] + "/oauth/v1/token", fields={"grant_type": "refresh_token"},
        encode_multipart=False,
    )
    for answer in (refused, token):
        assert answer.status in (400, 401)
        assert len(answer.headers.getlist("Date")) == 1
        assert_org_time(sandbox, answer.headers["Date"])
