"""End to end: records HubSpot purged for good (no listing shows them any more) are
marked deleted by the weekly check of live ids, and a short listing deletes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hs_helpers import source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.mapping import load_mapping
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))
DEAL_IDS = 30 * 10**9  # the sandbox's HubSpot id of deal n is DEAL_IDS + n


def adapter(sb: Sandbox, **pull: Any) -> HubSpotSource:
    return HubSpotSource(source_config(sb, pull=pull), MAPPING, "UTC")


def deleted(store: Store, n: int) -> bool:
    row = store.fetch("SELECT is_deleted FROM opportunities WHERE id = ?", [str(DEAL_IDS + n)])
    return bool(row[0][0])


def test_a_purged_deal_is_marked_deleted_when_the_check_is_due(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        adapter(sandbox).pull(store)  # a new install: its week starts now
        gone = sandbox.org.keys("opportunities", "NOT is_deleted", limit=1)[0]
        sandbox.org.purge("opportunities", [gone])
        adapter(sandbox).pull(store)  # not due: nothing listed
        assert not deleted(store, gone)
        sandbox.reset_stats()
        results = adapter(sandbox, purge_check_every_hours=0).pull(store)
        assert deleted(store, gone)
        purged = [r for r in results if r.origins == ["purged"]]
        assert [(r.entity, r.deleted) for r in purged] == [("opportunities", 1)]
        assert store.count("opportunities", source="hs") == sandbox.org.count("opportunities")


def test_a_listing_short_of_hubspots_count_deletes_nothing(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(":memory:") as store:
        adapter(sandbox).pull(store)
        searched = HubSpotApi.search

        def lossy(api: HubSpotApi, obj: str, body: dict[str, Any]) -> dict[str, Any]:
            page = searched(api, obj, body)
            if body.get("properties") == [OBJECT_ID_PROPERTY] and obj == "deals":
                page["results"] = page["results"][1:]  # a record lost on the way
            return page

        monkeypatch.setattr(HubSpotApi, "search", lossy)
        said: list[str] = []
        adapter(sandbox, purge_check_every_hours=0).pull(store, said.append)
        assert store.count("opportunities", source="hs") == sandbox.org.count("opportunities")
        assert any("purged records are checked again next run" in line for line in said)
        monkeypatch.setattr(HubSpotApi, "search", searched)
        results = adapter(sandbox, purge_check_every_hours=0).pull(store)
        assert not [r for r in results if r.origins == ["purged"]]  # nothing was missing


def test_the_ids_come_200_a_call_and_a_record_changed_just_now_is_never_purged(
    sandbox: Sandbox,
) -> None:
    """Search lags behind writes: a record the store holds that changed within the overlap
    before the check may be missing from the index yet, so it is not marked deleted."""
    with Store(":memory:") as store:
        adapter(sandbox).pull(store)
        keys = sandbox.org.keys("opportunities", "NOT is_deleted", limit=2)
        sandbox.org.purge("opportunities", keys)
        store.execute("UPDATE opportunities SET modified_at = now()::TIMESTAMP "
                      "WHERE id = ?", [str(DEAL_IDS + keys[1])])  # as if read a second ago
        sandbox.reset_stats()
        adapter(sandbox, purge_check_every_hours=0).pull(store)
        assert deleted(store, keys[0])
        assert not deleted(store, keys[1])
        searches = sandbox.stats()["endpoints"]["hubspot.search"]
        tables = ("opportunities", "leads", "accounts", "line_items", "activities",
                  "survey_responses")
        records = sum(store.count(t, source="hs") for t in tables)
        # 200 ids a call, a last page per object, and the pull's own search per object
        assert searches <= records / 200 + 2 * len(MAPPING.streams)


def test_with_exports_on_the_ids_come_from_exports_not_listings(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        adapter(sandbox, exports=True, export_poll_seconds=0.05).pull(store)
        gone = sandbox.org.keys("opportunities", "NOT is_deleted", limit=1)[0]
        sandbox.org.purge("opportunities", [gone])
        sandbox.reset_stats()
        adapter(sandbox, exports=True, export_poll_seconds=0.05,
                purge_check_every_hours=0).pull(store)  # fmt: skip
        assert deleted(store, gone)
        endpoints = sandbox.stats()["endpoints"]
        assert endpoints["hubspot.exportStart"] == len(MAPPING.streams)
        assert "hubspot.list" not in endpoints  # no id listed page by page
        assert endpoints["hubspot.search"] <= 2 * len(MAPPING.streams)  # changes, counts
