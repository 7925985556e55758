"""Every form of HubSpot's 429 body, and the daily allowance running out."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.deals import PublicObjectSearchRequest

from crm_sandbox import Sandbox

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e
NO_RETRY = urllib3.Retry(0)


def refused(cli: Clients, search: bool = False) -> DealsError:
    """The exception of a deals call the sandbox refuses."""
    if search:
        req = PublicObjectSearchRequest(limit=1)
        with pytest.raises(DealsError) as err:
            cli.api("crm.deals.search_api").do_search(public_object_search_request=req)
        return err.value
    with pytest.raises(DealsError) as err:
        cli.api("crm.deals.basic_api").get_page(limit=1)
    return err.value


def body(exc: DealsError) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(exc.body)
    return parsed


def test_category_form_has_no_policy_name(sandbox: Box) -> None:
    sandbox.faults.add({"kind": "status", "status": 429, "form": "category",
                        "policy": "SECONDLY", "path": "/search", "count": 1})
    exc = refused(sandbox.clients(retry=NO_RETRY), search=True)
    got = body(exc)
    assert exc.status == 429
    assert set(got) == {"status", "message", "correlationId", "category"}
    assert got["category"] == "RATE_LIMITS"
    assert got["message"] == "You have reached your secondly limit."
    assert set(exc.headers) >= {"X-HubSpot-RateLimit-Daily", "Retry-After"}
    assert "X-HubSpot-RateLimit-Max" not in exc.headers  # a search answer


@pytest.mark.parametrize(("policy", "spent"), [
    ("TEN_SECONDLY_ROLLING", "X-HubSpot-RateLimit-Remaining"),
    ("SECONDLY", "X-HubSpot-RateLimit-Secondly-Remaining"),
    ("DAILY", "X-HubSpot-RateLimit-Daily-Remaining"),
])
def test_error_type_form_names_the_policy(sandbox: Box, policy: str, spent: str) -> None:
    sandbox.hs.limits.configure(per_ten_seconds=100)
    sandbox.faults.add({"kind": "status", "status": 429, "policy": policy,
                        "path": "/crm/v3/objects/deals", "count": 1})
    exc = refused(sandbox.clients(retry=NO_RETRY))
    got = body(exc)
    assert (got["errorType"], got["policyName"]) == ("RATE_LIMIT", policy)
    assert "category" not in got
    assert exc.headers[spent] == "0"


def test_rate_limits_category_can_come_with_a_5xx(sandbox: Box, cli: Clients) -> None:
    sandbox.faults.add({"kind": "status", "status": 500, "form": "category",
                        "path": "/crm/v3/objects/deals", "count": 1})
    exc = refused(cli)
    assert (exc.status, body(exc)["category"]) == (500, "RATE_LIMITS")


def test_limit_fault_takes_the_category_form(sandbox: Box, cli: Clients) -> None:
    sandbox.faults.add({"kind": "limit", "form": "category", "path": "/crm/v3/objects/deals",
                        "count": 1})
    exc = refused(cli)
    assert body(exc)["message"] == "You have reached your daily limit."
    assert "policyName" not in body(exc)


def test_daily_remaining_runs_out(sandbox: Box, cli: Clients) -> None:
    sandbox.hs.limits.configure(per_ten_seconds=100)
    sandbox.hs.limits.set_daily_remaining(2)
    api = cli.api("crm.deals.basic_api")
    left = [api.get_page_with_http_info(limit=1)[2]["X-HubSpot-RateLimit-Daily-Remaining"]
            for _ in range(2)]
    assert left == ["1", "0"]
    exc = refused(cli)
    assert body(exc)["policyName"] == "DAILY"
    assert exc.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    oauth = sandbox.clients(sandbox.hs.tokens.issue())  # OAuth apps have no daily limit
    _, status, headers = oauth.api("crm.deals.basic_api").get_page_with_http_info(limit=1)
    assert status == 200
    assert "X-HubSpot-RateLimit-Daily" not in headers
    assert headers["X-HubSpot-RateLimit-Max"] == "100"


def test_sandbox_starts_with_the_daily_allowance_spent() -> None:
    with Sandbox(seed=7, scale=0.01, hubspot_daily_remaining=0) as sb:
        info = sb.info["hubspot"]
        cli = Clients(info["host"], sb.info["ca_file"], info["access_token"])
        try:
            assert body(refused(cli))["policyName"] == "DAILY"
        finally:
            cli.close()
