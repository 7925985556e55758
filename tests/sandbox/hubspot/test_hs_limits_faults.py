"""Rate limits (rolling window, search) and injected faults, through hubspot-api-client."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import urllib3
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.deals import PublicObjectSearchRequest

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e

WINDOW_HEADERS = ("X-HubSpot-RateLimit-Interval-Milliseconds", "X-HubSpot-RateLimit-Max",
                  "X-HubSpot-RateLimit-Remaining", "X-HubSpot-RateLimit-Secondly",
                  "X-HubSpot-RateLimit-Secondly-Remaining")
DAILY_HEADERS = ("X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining")


def deals_page(cli: Clients) -> object:
    return cli.api("crm.deals.basic_api").get_page_with_http_info(limit=1)


def test_answers_carry_rate_limit_headers_search_only_daily(sandbox: Box, cli: Clients) -> None:
    sandbox.hs.limits.configure(per_ten_seconds=100)
    _, status, headers = deals_page(cli)
    assert status == 200
    assert all(h in headers for h in WINDOW_HEADERS + DAILY_HEADERS)
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert headers["X-HubSpot-RateLimit-Max"] == "100"
    assert headers["X-HubSpot-RateLimit-Secondly"] == "10"  # a tenth of the window
    assert headers["X-HubSpot-RateLimit-Secondly-Remaining"] == "9"
    _, _, found = cli.api("crm.deals.search_api").do_search_with_http_info(
        public_object_search_request=PublicObjectSearchRequest(limit=1))
    assert all(h in found for h in DAILY_HEADERS)
    assert not any(h in found for h in WINDOW_HEADERS)


def test_rolling_window_answers_429_with_hubspot_body(sandbox: Box, cli: Clients) -> None:
    sandbox.hs.limits.configure(per_ten_seconds=5)
    remaining = [int(deals_page(cli)[2]["X-HubSpot-RateLimit-Remaining"]) for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    with pytest.raises(DealsError) as err:
        deals_page(cli)
    body = json.loads(err.value.body)
    assert err.value.status == 429
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert err.value.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in err.value.headers


def test_search_has_its_own_per_second_limit(sandbox: Box, cli: Clients) -> None:
    sandbox.hs.limits.configure(search_per_second=2)
    api = cli.api("crm.deals.search_api")
    req = PublicObjectSearchRequest(limit=1)
    api.do_search(public_object_search_request=req)
    api.do_search(public_object_search_request=req)
    with pytest.raises(DealsError) as err:
        api.do_search(public_object_search_request=req)
    body = json.loads(err.value.body)
    assert err.value.status == 429
    assert body["policyName"] == "SECONDLY"
    assert body["message"] == "You have reached your secondly limit."
    assert deals_page(cli)[1] == 200  # other endpoints are not held back


def test_daily_limit(sandbox: Box, cli: Clients) -> None:
    sandbox.hs.limits.configure(daily=3)
    try:
        for _ in range(3):
            deals_page(cli)
        with pytest.raises(DealsError) as err:
            deals_page(cli)
    finally:
        sandbox.hs.limits.configure(daily=250_000)
    assert json.loads(err.value.body)["policyName"] == "DAILY"


def test_injected_429_carries_retry_after_and_rate_headers(sandbox: Box) -> None:
    sandbox.hs.limits.configure(per_ten_seconds=100)
    fault = {"kind": "status", "status": 429, "retry_after": 1,
             "path": "/crm/v3/objects/deals", "count": 1}
    sandbox.faults.add(dict(fault))
    # urllib3's default Retry honours Retry-After on a GET: sleeps, then asks again.
    assert deals_page(sandbox.clients())[1] == 200
    sandbox.faults.add(dict(fault))
    with pytest.raises(DealsError) as err:
        deals_page(sandbox.clients(retry=urllib3.Retry(0)))
    assert err.value.status == 429
    assert err.value.headers["Retry-After"] == "1"
    assert err.value.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert json.loads(err.value.body)["policyName"] == "TEN_SECONDLY_ROLLING"
    assert sandbox.stats()["statuses"]["429"] >= 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_injected_5xx_in_hubspot_error_shape(sandbox: Box, cli: Clients, status: int) -> None:
    sandbox.faults.add({"kind": "status", "status": status, "path": "/crm/v3/objects/deals",
                        "count": 1})
    with pytest.raises(DealsError) as err:
        deals_page(cli)
    assert err.value.status == status
    assert json.loads(err.value.body)["status"] == "error"


def test_slow_answers_still_answer(sandbox: Box, cli: Clients) -> None:
    sandbox.faults.add({"kind": "slow", "delay": 0.3, "path": "/crm/v3/owners", "count": 1})
    started = dt.datetime.now()
    assert cli.api("crm.owners.owners_api").get_page(limit=1).results
    assert (dt.datetime.now() - started).total_seconds() >= 0.3
    assert sandbox.stats()["faults"]["slow"] >= 1


def test_dropped_connections_surface_as_transport_errors(sandbox: Box) -> None:
    sandbox.faults.add({"kind": "drop", "path": "/crm/v3/objects/deals"})
    fresh = sandbox.clients()
    with pytest.raises(urllib3.exceptions.HTTPError):
        fresh.api("crm.deals.basic_api").get_page(limit=1, _request_timeout=5)
    assert sandbox.stats()["faults"]["drop"] >= 1


def test_expire_session_fault_ends_an_oauth_token(sandbox: Box) -> None:
    token = sandbox.hs.tokens.issue()
    oauth = sandbox.clients(token)
    sandbox.faults.add({"kind": "expire_session", "path": "/crm/v3/objects/deals",
                        "count": 1})
    with pytest.raises(DealsError) as err:
        deals_page(oauth)
    assert err.value.status == 401
    assert json.loads(err.value.body)["category"] == "EXPIRED_AUTHENTICATION"
    with pytest.raises(DealsError):  # the token stays expired: refresh it
        deals_page(oauth)


def test_empty_2xx_on_a_list_page(sandbox: Box, cli: Clients) -> None:
    sandbox.faults.add({"kind": "record_error", "path": "/crm/v3/objects/deals$",
                        "method": "GET", "count": 1})
    page = cli.api("crm.deals.basic_api").get_page(limit=1)
    assert page.results is None
    assert page.paging is None


def test_calls_are_counted_per_endpoint(sandbox: Box, cli: Clients) -> None:
    before = sandbox.stats()["endpoints"].get("hubspot.list", 0)
    deals_page(cli)
    assert sandbox.stats()["endpoints"]["hubspot.list"] == before + 1
