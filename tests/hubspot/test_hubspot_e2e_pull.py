"""End to end through hubspot-api-client against the sandbox: full and incremental pulls."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hs_helpers import hubspot_surface, source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.mapping import load_mapping
from connector.errors import AuthError, ConfigError, FatalError
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))


def adapter(sb: Sandbox, **changes: Any) -> HubSpotSource:
    return HubSpotSource(source_config(sb, **changes), MAPPING, "UTC")


def live(store: Store, table: str) -> int:
    return store.count(table, source="hs")


def test_full_pull_loads_every_entity_with_its_associations(sandbox: Sandbox) -> None:
    source = adapter(sandbox)
    with Store(":memory:") as store:
        source.pull(store)
        org = sandbox.org
        assert live(store, "opportunities") == org.count("opportunities")
        assert live(store, "leads") == org.count("leads")
        assert live(store, "accounts") == org.count("accounts")
        assert live(store, "activities") == org.count("activities")
        assert live(store, "owners") == org.count("users")
        converted = store.con.execute(
            "SELECT count(*) FROM leads WHERE converted_opportunity_id IS NOT NULL"
        ).fetchone()
        expected = org.count(
            "leads l",
            "NOT l.is_deleted AND l.converted_opportunity_n IN "
            "(SELECT n FROM opportunities WHERE NOT is_deleted)",
        )
        assert converted is not None
        assert converted[0] == expected
        linked = store.con.execute(
            "SELECT count(*) FROM opportunities WHERE account_id IS NOT NULL"
        ).fetchone()
        assert linked is not None
        assert linked[0] > 0
        won = store.con.execute("SELECT count(*) FROM opportunities WHERE is_won").fetchone()
        assert won is not None
        assert won[0] == org.count("opportunities", "NOT is_deleted AND is_won")


def test_list_calls_stay_within_one_per_100_records_plus_association_batches(
    sandbox: Sandbox,
) -> None:
    source = adapter(sandbox)
    sandbox.reset_stats()
    with Store(":memory:") as store:
        source.pull(store)
        records = sum(live(store, t) for t in ("opportunities", "leads", "accounts", "activities"))
    stats = sandbox.stats()["endpoints"]
    streams = len(MAPPING.streams)
    # Each stream: its pages, one page past the last partial one at most (the first pull
    # has no archived records to reconcile).
    assert stats["hubspot.list"] <= math.ceil(records / 100) + 2 * streams
    assert source.api_calls == sandbox.stats()["total"]


def test_incremental_pull_sees_creates_updates_and_archives(sandbox: Sandbox) -> None:
    source = adapter(sandbox, pull={"reconcile_every_hours": 0})  # archives every run
    org = sandbox.org
    with Store(":memory:") as store:
        source.pull(store)
        org.advance_clock(dt.timedelta(minutes=10))
        deal_n, gone_n = org.keys("opportunities", "NOT is_deleted", limit=2)
        org.update("opportunities", deal_n, {"amount": 4242.0})
        new_n = org.insert(
            "opportunities",
            {
                "name": "New deal",
                "stage": "Prospecting",
                "is_closed": False,
                "is_won": False,
                "amount": 10.0,
                "currency": "USD",
            },
        )
        gone_id = str(30 * 10**9 + gone_n)
        with HubSpotClient(source.config) as transport:
            transport.call("crm.objects.basic_api", "archive", "deals", gone_id, what="archive")
        sandbox.reset_stats()
        results = source.pull(store)
        deals = {r.entity: r for r in results if r.origins == ["deals"]}["opportunities"]
        assert deals.loaded == 2  # the update and the create, nothing else
        assert deals.deleted == 1
        row = store.con.execute(
            "SELECT amount FROM opportunities WHERE id = ?", [str(30 * 10**9 + deal_n)]
        ).fetchone()
        assert row == (4242.0,)
        assert store.con.execute(
            "SELECT is_deleted FROM opportunities WHERE id = ?", [gone_id]
        ).fetchone() == (True,)
        assert store.con.execute(
            "SELECT count(*) FROM opportunities WHERE id = ?", [str(30 * 10**9 + new_n)]
        ).fetchone() == (1,)
        assert "hubspot.list" in sandbox.stats()["endpoints"]  # archived listings only


def test_hubspots_time_is_read_from_the_portal_not_from_this_machine(sandbox: Sandbox) -> None:
    """The search windows start from the Date HubSpot answers: the org's clock, here
    forty days behind this machine's."""
    org_now = sandbox.org.advance_clock(dt.timedelta(days=-40))
    with HubSpotClient(source_config(sandbox)) as transport:
        transport.call("crm.owners.owners_api", "get_page", limit=1, what="list owners")
        assert transport.server_ms is not None
        read = dt.datetime.fromtimestamp(transport.server_ms / 1000, dt.UTC).replace(tzinfo=None)
    assert abs(read - org_now) < dt.timedelta(seconds=2)


def test_more_than_10000_changes_sharing_one_timestamp_are_all_pulled(sandbox: Sandbox) -> None:
    source = adapter(sandbox)
    org = sandbox.org
    with Store(":memory:") as store:
        source.pull(store)
        before = live(store, "activities")
        org.advance_clock(dt.timedelta(minutes=10))
        stamp = org.clock.now()
        rows = [
            {
                "kind": "task",
                "subtype": "Call",
                "subject": f"bulk {i}",
                "owner_n": 0,
                "occurred_at": stamp,
                "activity_date": stamp.date(),
                "status": "Completed",
            }
            for i in range(10_450)
        ]
        org.insert_many("activities", rows)  # one statement: one hs_lastmodifieddate
        sandbox.reset_stats()
        source.pull(store)
        assert live(store, "activities") == before + 10_450
        searches = sandbox.stats()["endpoints"]["hubspot.search"]
        assert searches < 2 * math.ceil(10_450 / 200) + 20  # no loop, little waste


def test_every_pull_validates_the_mapping_first(sandbox: Sandbox) -> None:
    mapping = MAPPING.model_copy(deep=True)
    stream = mapping.streams[0]
    broken = stream.model_copy(update={"fields": {**stream.fields, "cost": "no_such_prop"}})
    mapping = mapping.model_copy(update={"streams": [broken, *mapping.streams[1:]]})
    source = HubSpotSource(source_config(sandbox), mapping, "UTC")
    problems = source.validate()
    assert len(problems) == 1
    assert "no_such_prop" in problems[0]
    with Store(":memory:") as store, pytest.raises(ConfigError, match="does not fit") as err:
        source.pull(store)
    assert err.value.exit_code == 2  # the user's mapping, as validate says: not a CRM stop
    assert any("no_such_prop" in message for message in err.value.messages)


def test_a_token_without_a_scope_fails_naming_the_scope(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_sandbox.hubspot.auth import ALL_SCOPES

    tokens = hubspot_surface(sandbox).tokens
    scopes = set(ALL_SCOPES) - {"crm.objects.deals.read"}
    monkeypatch.setenv("CRM_KPI_TEST_HUBSPOT_TOKEN", tokens.issue(scopes, seconds=None))
    with Store(":memory:") as store, pytest.raises(AuthError, match=r"crm\.objects\.deals\.read"):
        adapter(sandbox).pull(store)


def test_a_killed_full_pull_resumes_from_its_checkpoint(sandbox: Sandbox) -> None:
    org = sandbox.org
    stamp = org.clock.now()
    org.insert_many(
        "activities",
        [
            {
                "kind": "task",
                "subtype": "Call",
                "subject": f"bulk {i}",
                "owner_n": 0,
                "occurred_at": stamp,
                "activity_date": stamp.date(),
                "status": "Completed",
            }
            for i in range(12_000)
        ],
    )
    calls_search = "/crm/v3/objects/calls/search"
    sandbox.faults.add({"kind": "status", "status": 400, "path": calls_search,
                        "method": "POST", "after": 40, "count": 1})  # fmt: skip
    source = adapter(sandbox, pull={"load_records": 5000})
    with Store(":memory:") as store:
        with pytest.raises(FatalError, match="400"):
            source.pull(store)
        state = store.get_state("hs", "activities:calls")
        assert state is not None
        assert state["phase"] == "full"
        assert state["after_id"] > 0  # the last id of the last load
        sandbox.faults.clear()
        sandbox.faults.add({"kind": "slow", "delay": 0, "path": calls_search})  # counts them
        source.pull(store)
        calls = org.count("activities", "NOT is_deleted AND subtype = 'Call'")
        rows = store.con.execute(
            "SELECT count(*) FROM activities WHERE method = 'phone' AND NOT is_deleted"
        ).fetchone()
        assert rows == (calls,)
        # The second pull went on from the checkpoint (5,000 records, page 25): all the
        # calls' pages again would be over 60.
        pages = math.ceil(calls / 200)
        assert pages > 60
        assert sandbox.stats()["faults"]["slow"] <= pages - 25 + 1


def test_long_property_lists_never_go_into_a_url(sandbox: Sandbox) -> None:
    """Search bodies carry any property list; a list page past the URL budget reads the
    rest of its properties by one batch read (POST body) per page."""
    with Store(":memory:") as short, Store(":memory:") as long:
        adapter(sandbox).pull(short)
        sandbox.reset_stats()
        adapter(sandbox, pull={"max_url_chars": 500}).pull(long)
        assert "hubspot.batch" not in sandbox.stats()["endpoints"]
        query = "SELECT * FROM opportunities ORDER BY id"
        assert long.con.execute(query).fetchall() == short.con.execute(query).fetchall()
    names = [f"p{i:03d}_{'x' * 30}" for i in range(40)]
    with HubSpotClient(source_config(sandbox)) as transport:
        api = HubSpotApi(transport, max_url_chars=500)
        sandbox.reset_stats()
        page = api.list_page("deals", ["amount", *names, "dealstage"], None)
        assert sandbox.stats()["endpoints"] == {"hubspot.list": 1, "hubspot.batch": 1}
    assert {"amount", "dealstage"} <= set(page["results"][0]["properties"])
