"""End to end: 429 storms, 5xx, dropped connections, default limits, OAuth refresh."""

from __future__ import annotations

import datetime as dt

import pytest
from hs_helpers import hubspot_info, hubspot_surface, source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.mapping import load_mapping
from connector.errors import AuthError, FatalError
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))


def test_a_429_storm_is_honoured_retried_and_counted(sandbox: Sandbox) -> None:
    sandbox.faults.add(
        {
            "kind": "status",
            "status": 429,
            "path": "/crm/v3/objects/deals",
            "count": 3,
            "retry_after": 0.2,
        }
    )
    source = HubSpotSource(source_config(sandbox), MAPPING, "UTC")
    with Store(":memory:") as store:
        source.pull(store)
        assert store.count("opportunities", source="hs") == sandbox.org.count("opportunities")
    assert source.transport.stats.throttled == 3
    assert source.transport.stats.retries == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(sandbox: Sandbox, status: int) -> None:
    sandbox.faults.add({"kind": "status", "status": status, "path": "/search", "count": 2})
    sandbox.faults.add({"kind": "status", "status": status, "path": "/batch/read", "count": 1})
    source = HubSpotSource(source_config(sandbox), MAPPING, "UTC")
    with Store(":memory:") as store:
        source.pull(store)
        assert store.count("leads", source="hs") == sandbox.org.count("leads")
    assert source.transport.stats.server_errors == 3


def test_a_server_that_keeps_failing_stops_the_pull(sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "status", "status": 503, "path": "/crm/v3/objects/deals"})
    config = source_config(sandbox, http={"max_attempts": 3, "initial_backoff_seconds": 0.01})
    with Store(":memory:") as store, pytest.raises(FatalError, match="after 3 attempts"):
        HubSpotSource(config, MAPPING, "UTC").pull(store)


def test_dropped_connections_are_retried(sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "drop", "path": "/crm/v3/objects/companies", "count": 2})
    source = HubSpotSource(source_config(sandbox), MAPPING, "UTC")
    with Store(":memory:") as store:
        source.pull(store)
        assert store.count("accounts", source="hs") == sandbox.org.count("accounts")
    assert source.transport.stats.retries >= 2


def test_default_limits_never_earn_a_429(sandbox: Sandbox) -> None:
    hubspot_surface(sandbox).limits.configure(per_ten_seconds=100, search_per_second=5)
    config = source_config(sandbox, limits={})  # the shipped defaults
    source = HubSpotSource(config, MAPPING, "UTC")
    with Store(":memory:") as store:
        source.pull(store)
    assert sandbox.stats()["statuses"].get("429", 0) == 0
    assert source.transport.stats.throttled == 0


def test_oauth_refresh_token_flow_and_expiry(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = hubspot_info(sandbox)
    for key in ("client_id", "client_secret", "refresh_token"):
        monkeypatch.setenv(f"HS_TEST_{key.upper()}", info[key])
    auth = {
        "method": "oauth",
        "client_id": "${HS_TEST_CLIENT_ID}",
        "client_secret": "${HS_TEST_CLIENT_SECRET}",
        "refresh_token": "${HS_TEST_REFRESH_TOKEN}",
    }
    source = HubSpotSource(source_config(sandbox, auth=auth), MAPPING, "UTC")
    with Store(":memory:") as store:
        source.pull(store)
        sandbox.org.advance_clock(dt.timedelta(minutes=45))  # the access token expired
        source.pull(store)
        assert store.count("opportunities", source="hs") == sandbox.org.count("opportunities")


def test_secrets_never_appear_in_errors(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_KPI_TEST_HUBSPOT_TOKEN", "pat-na1-not-a-valid-token-0000")
    source = HubSpotSource(source_config(sandbox), MAPPING, "UTC")
    with Store(":memory:") as store, pytest.raises(AuthError) as info:
        source.pull(store)
    assert "pat-na1-not-a-valid-token-0000" not in str(info.value)
    assert "refused the token" in str(info.value)


def test_the_portals_own_limit_429s_are_waited_out_and_counted(sandbox: Sandbox) -> None:
    hubspot_surface(sandbox).limits.configure(search_per_second=1)
    sandbox.faults.clear()
    source = HubSpotSource(source_config(sandbox), MAPPING, "UTC")  # client limits lifted
    with Store(":memory:") as store:
        source.pull(store)
        assert store.count("leads", source="hs") == sandbox.org.count("leads")
    assert source.transport.stats.throttled >= 1
    assert sandbox.stats()["statuses"].get("429", 0) == source.transport.stats.throttled
