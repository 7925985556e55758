"""End to end: what a nightly HubSpot pull costs when little or nothing changed, and the
metadata it keeps between runs (read again when it cannot explain what the pull meets)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hs_helpers import source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.catalog import PIPELINES
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.mapping import HubSpotMapping, load_mapping
from connector.store import Store
from connector.store.metadata import cached_metadata, save_metadata
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))


def source(sb: Sandbox, mapping: HubSpotMapping = MAPPING, **changes: Any) -> HubSpotSource:
    return HubSpotSource(source_config(sb, **changes), mapping, "UTC")


def pulled(sb: Sandbox, store: Store, **changes: Any) -> dict[str, int]:
    """The endpoints one pull called (the sandbox's count)."""
    sb.reset_stats()
    source(sb, **changes).pull(store)
    return dict(sb.stats()["endpoints"])


ENGAGEMENTS = ("calls", "emails", "meetings", "tasks")
OTHERS = len(MAPPING.streams) - len(ENGAGEMENTS)  # deals, contacts, companies, ...
MEETINGS = "NOT is_deleted AND kind = 'event' AND coalesce(subtype, '') NOT IN " \
    "('Call', 'Email', 'ListEmail')"
CALLS = "NOT is_deleted AND subtype = 'Call'"


def test_an_unchanged_portal_costs_one_search_per_object_and_one_for_engagements(
    sandbox: Sandbox,
) -> None:
    with Store(":memory:") as store:
        first = pulled(sandbox, store)
        assert first["hubspot.properties"] == len(MAPPING.streams)
        assert "hubspot.list" in first
        assert MAPPING.targets.goals is not None
        assert first["hubspot.owners"] == 2  # active, archived: the goals reuse the listing
        again = pulled(sandbox, store)
    assert again == {"hubspot.search": OTHERS, "hubspot.recentEngagements": 1}
    assert sum(again.values()) == 6


def cursors(store: Store) -> dict[str, Any]:
    return {o: store.get_state("hs", f"activities:{o}") for o in ENGAGEMENTS}


def test_only_the_engagement_types_that_changed_are_searched(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        before = cursors(store)
        sandbox.org.advance_clock(dt.timedelta(minutes=5))
        meeting = sandbox.org.keys("activities", MEETINGS, limit=1)[0]
        sandbox.org.update("activities", meeting, {"subject": "moved"})
        calls = pulled(sandbox, store)
        after = cursors(store)
    assert calls["hubspot.search"] == OTHERS + 1
    assert calls["hubspot.recentEngagements"] == 1
    assert after["meetings"] != before["meetings"]
    assert {o: after[o] for o in ("calls", "emails", "tasks")} == \
        {o: before[o] for o in ("calls", "emails", "tasks")}


def test_more_changes_than_one_call_lists_search_every_engagement_type(
    sandbox: Sandbox,
) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        sandbox.org.advance_clock(dt.timedelta(minutes=5))
        keys = sandbox.org.keys("activities", CALLS, limit=101)
        sandbox.org.update_many("activities", [(k, {"subject": "again"}) for k in keys])
        calls = pulled(sandbox, store)
    assert calls["hubspot.search"] >= len(MAPPING.streams)  # hasMore: each type searched


def test_a_cursor_older_than_the_recent_window_searches_every_type(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        month = 31 * 86_400_000  # the endpoint serves 30 days: a source not pulled since
        for key, state in cursors(store).items():
            state["cursor"]["ts"] -= month
            store.set_state("hs", f"activities:{key}", state)
        calls = pulled(sandbox, store)
    assert calls["hubspot.search"] == len(MAPPING.streams)
    assert "hubspot.recentEngagements" not in calls


def test_a_refused_recent_engagements_call_falls_back_to_searches(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        sandbox.faults.add({"kind": "status", "status": 404, "path": "/engagements/v1/"})
        sandbox.org.advance_clock(dt.timedelta(minutes=5))
        before = cursors(store)["calls"]
        call = sandbox.org.keys("activities", CALLS, limit=1)[0]
        sandbox.org.update("activities", call, {"subject": "moved"})
        calls = pulled(sandbox, store)
        assert cursors(store)["calls"] != before
    assert calls["hubspot.search"] == len(MAPPING.streams)


def test_changes_cost_their_searches_and_associations_only(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        sandbox.org.advance_clock(dt.timedelta(minutes=5))
        keys = sandbox.org.keys("opportunities", "NOT is_deleted", limit=5)
        sandbox.org.update_many("opportunities", [(k, {"amount": 12.5}) for k in keys])
        calls = pulled(sandbox, store)
        assert store.scalar("SELECT count(*) FROM opportunities WHERE amount = 12.5") == 5
    assert set(calls) == {"hubspot.search", "hubspot.associationsBatchRead",
                          "hubspot.recentEngagements"}
    assert calls["hubspot.associationsBatchRead"] == 1  # deals → companies, 5 ids


def test_a_stage_the_cached_pipelines_lack_reads_them_again(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        cached = cached_metadata(store, "hs", PIPELINES)[PIPELINES].body
        trimmed = [{**p, "stages": [s for s in p["stages"] if s["id"] != "closedwon"]}
                   for p in cached]  # fmt: skip
        save_metadata(store, "hs", PIPELINES, trimmed)
        won = sandbox.org.keys("opportunities", "is_won AND NOT is_deleted", limit=1)
        sandbox.org.advance_clock(dt.timedelta(minutes=5))
        sandbox.org.update("opportunities", won[0], {"amount": 99.0})
        calls = pulled(sandbox, store)
        assert calls["hubspot.pipelines"] == 1
        assert store.scalar("SELECT is_won FROM opportunities WHERE amount = 99") is True


def test_an_owner_the_store_does_not_know_reads_the_owners_again(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        owner = store.scalar("SELECT owner_id FROM opportunities WHERE owner_id IS NOT NULL "
                             "ORDER BY id LIMIT 1")  # fmt: skip
        store.execute("DELETE FROM owners WHERE id = ?", [owner])
        assert pulled(sandbox, store).get("hubspot.owners") == 2  # active, then archived
        assert store.scalar("SELECT count(*) FROM owners WHERE id = ?", [owner]) == 1
        assert "hubspot.owners" not in pulled(sandbox, store)


def test_a_mapping_naming_a_new_property_reads_that_objects_properties(
    sandbox: Sandbox,
) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        with HubSpotClient(source_config(sandbox)) as transport:  # an admin adds a property
            transport.call("crm.properties.core_api", "create", "deals", {
                "name": "deal_kind", "label": "Deal kind", "type": "string",
                "fieldType": "text", "groupName": "dealinformation"}, what="create")
        stream = MAPPING.streams[0]
        changed = stream.model_copy(update={"fields": {**stream.fields,
                                                           "type": "deal_kind"}})  # fmt: skip
        mapping = MAPPING.model_copy(update={"streams": [changed, *MAPPING.streams[1:]]})
        sandbox.reset_stats()
        source(sandbox, mapping).pull(store)  # no "property missing": the list is read again
        assert sandbox.stats()["endpoints"]["hubspot.properties"] == 1


def test_metadata_is_read_again_when_it_is_old(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        again = pulled(sandbox, store, pull={"metadata_every_hours": 0})
    assert again["hubspot.properties"] == len(MAPPING.streams)
    assert again["hubspot.pipelines"] == 1
    assert again["hubspot.owners"] == 2


def test_archived_records_are_listed_on_their_cadence_only(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        first = pulled(sandbox, store)
        assert first.get("hubspot.list", 0) <= 2  # goals alone: records come by search
        assert "hubspot.list" not in pulled(sandbox, store)  # not due: no archived listing
        due = pulled(sandbox, store, pull={"reconcile_every_hours": 0})
        assert due["hubspot.list"] >= len(MAPPING.streams)
        assert due["hubspot.list"] < first["hubspot.search"]
