"""End to end, through hubspot-api-client with the sandbox's real-traffic quirks switched
on: malformed and truncated pages, lagging search, every 429 body form, the daily
allowance, timestamps without milliseconds, an untrusted certificate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hs_helpers import TOKEN_ENV, hubspot_info, hubspot_surface, source_config, unlimited

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.mapping import load_mapping
from connector.errors import FatalError, LimitExceededError
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))
TABLES = ("opportunities", "leads", "accounts", "line_items", "activities", "survey_responses")


def source(sb: Sandbox, **changes: Any) -> HubSpotSource:
    return HubSpotSource(source_config(sb, **changes), MAPPING, "UTC")


def rows(store: Store, table: str) -> list[tuple[object, ...]]:
    return store.fetch(f"SELECT * EXCLUDE (source) FROM {table} ORDER BY id")


def deals_like_the_org(sb: Sandbox, store: Store) -> None:
    assert store.count("opportunities", source="hs") == sb.org.count("opportunities")


@pytest.fixture
def five_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """An org of ~500 deals: five list pages, as in issue 12's report."""
    with Sandbox(seed=7, scale=0.1) as sb:
        monkeypatch.setenv(TOKEN_ENV, hubspot_info(sb)["access_token"])
        unlimited(sb)
        yield sb


def test_a_page_with_neither_results_nor_paging_is_retried_never_the_end(
    five_pages: Sandbox,
) -> None:
    # Issue 12's repro: a deals list page answers {} (a 2xx) after two that did not.
    five_pages.faults.add("kind=record_error,path=/crm/v3/objects/deals,count=1,after=2")
    pulled = source(five_pages)
    with Store(":memory:") as store:
        pulled.pull(store)
        deals_like_the_org(five_pages, store)
        assert five_pages.org.count("opportunities") > 400
    assert five_pages.stats()["faults"]["record_error"] == 1
    assert pulled.transport.stats.retries == 1


def test_a_listing_cut_short_by_a_well_formed_page_fails_and_is_listed_again(
    five_pages: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = five_pages
    real = HubSpotApi.search
    calls = {"deals": 0}

    def losing(api: HubSpotApi, obj: str, body: dict[str, Any]) -> dict[str, Any]:
        page = real(api, obj, body)
        if obj == "deals" and body.get("sorts", [{}])[0].get("propertyName") == "hs_object_id":
            calls["deals"] += 1
            if calls["deals"] == 2:
                page["results"] = page["results"][1:]  # a record lost on the way
            if calls["deals"] == 3:
                page.pop("paging", None)  # as if the list had ended: asked on after its ids
        return page

    monkeypatch.setattr(HubSpotApi, "search", losing)
    with Store(":memory:") as store:
        with pytest.raises(FatalError, match="pages were lost") as err:
            source(sandbox).pull(store)
        assert err.value.exit_code != 0
        assert "deals again" in str(err.value)
        assert store.count("opportunities", source="hs") == sandbox.org.count("opportunities") - 1
        monkeypatch.setattr(HubSpotApi, "search", real)
        source(sandbox).pull(store)
        deals_like_the_org(sandbox, store)


def test_a_lagging_search_index_is_waited_for(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        source(sandbox).pull(store)
        sandbox.org.advance_clock(dt.timedelta(minutes=5))
        keys = sandbox.org.keys("opportunities", "NOT is_deleted", limit=5)
        sandbox.org.update_many("opportunities", [(k, {"amount": 77.0}) for k in keys])
        sandbox.faults.add({"kind": "search_lag", "path": "/deals/search", "count": 2})
        pulled = source(sandbox)
        pulled.pull(store)
        assert store.scalar("SELECT count(*) FROM opportunities WHERE amount = 77") == 5
    assert sandbox.stats()["faults"]["search_lag"] == 2


def test_a_search_index_that_keeps_lagging_ends_the_window_and_the_next_run_reads_it(
    sandbox: Sandbox,
) -> None:
    said: list[str] = []
    with Store(":memory:") as store:
        source(sandbox).pull(store)
        sandbox.org.advance_clock(dt.timedelta(minutes=5))
        keys = sandbox.org.keys("opportunities", "NOT is_deleted", limit=5)
        sandbox.org.update_many("opportunities", [(k, {"amount": 78.0}) for k in keys])
        sandbox.faults.add({"kind": "search_lag", "path": "/deals/search"})
        source(sandbox).pull(store, progress=said.append)  # never fatal
        assert any("index lags" in line for line in said)
        assert store.scalar("SELECT count(*) FROM opportunities WHERE amount = 78") == 0
        sandbox.faults.clear()
        source(sandbox).pull(store)
        assert store.scalar("SELECT count(*) FROM opportunities WHERE amount = 78") == 5


@pytest.mark.parametrize("form", ["category", "error_type"])
def test_secondly_429s_of_either_body_form_are_waited_out(sandbox: Sandbox, form: str) -> None:
    sandbox.faults.add({"kind": "status", "status": 429, "form": form, "policy": "SECONDLY",
                        "path": "/search", "count": 3, "retry_after": 0.1})  # fmt: skip
    pulled = source(sandbox)
    with Store(":memory:") as store:
        pulled.pull(store)
        deals_like_the_org(sandbox, store)
    assert pulled.transport.stats.throttled == 3


@pytest.mark.parametrize("form", ["category", "error_type"])
def test_the_daily_limit_of_either_form_stops_the_run_saying_when(
    sandbox: Sandbox, form: str
) -> None:
    sandbox.faults.add({"kind": "limit", "form": form, "path": "/crm/v3/objects/companies"})
    with Store(":memory:") as store, pytest.raises(LimitExceededError, match="resets at midnight"):
        source(sandbox).pull(store)


def test_the_daily_remaining_header_stops_the_run_before_the_portal_refuses(
    sandbox: Sandbox,
) -> None:
    hubspot_surface(sandbox).limits.set_daily_remaining(40)
    pulled = source(sandbox, limits={"requests_per_window": 10_000,
                                     "search_requests_per_second": 1_000,
                                     "max_share_of_remaining": 0.5})  # fmt: skip
    with Store(":memory:") as store, pytest.raises(LimitExceededError, match="share of HubSpot"):
        pulled.pull(store)
    assert pulled.api_calls <= 21
    assert sandbox.stats()["statuses"].get("429", 0) == 0  # stopped before HubSpot refused


def test_timestamps_without_milliseconds_load_like_the_others(sandbox: Sandbox) -> None:
    with Store(":memory:") as plain:
        source(sandbox).pull(plain)
        sandbox.faults.add({"kind": "stamps_without_ms", "path": "/crm/v3/objects"})
        with Store(":memory:") as quirky:
            pulled = source(sandbox)
            pulled.pull(quirky)
            for table in TABLES:
                assert rows(quirky, table) == rows(plain, table), table
            sandbox.org.advance_clock(dt.timedelta(minutes=5))
            keys = sandbox.org.keys("opportunities", "NOT is_deleted", limit=3)
            sandbox.org.update_many("opportunities", [(k, {"amount": 5.0}) for k in keys])
            pulled.pull(quirky)
            assert quirky.scalar("SELECT count(*) FROM opportunities WHERE amount = 5") == 3


def test_an_untrusted_certificate_is_a_clear_tls_error(sandbox: Sandbox) -> None:
    pulled = source(sandbox, ca_file=None)
    for attempt in (pulled.validate, lambda: pulled.pull(Store(":memory:"))):
        with pytest.raises(FatalError, match="TLS to the CRM failed") as err:
            attempt()
        assert "ca_file" in str(err.value)
        assert err.value.exit_code == 5
