"""End to end: a full pull through search in id order stores what the list API with
associations inline stores; associations cut off inline are read whole; and the overlap
of an incremental search costs nothing more than its pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hs_helpers import hubspot_surface, source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource, full
from connector.crms.hubspot.mapping import HubSpotMapping, load_mapping
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))
TABLES = ("owners", "opportunities", "leads", "accounts", "line_items", "activities",
          "survey_responses")  # fmt: skip
DEALS = 30 * 10**9


def pulled(sb: Sandbox, store: Store, mapping: HubSpotMapping = MAPPING,
           **pull: Any) -> tuple[dict[str, int], HubSpotSource]:  # fmt: skip
    """The endpoints one pull called (the sandbox's count), and its source."""
    sb.reset_stats()
    source = HubSpotSource(source_config(sb, pull=pull), mapping, "UTC")
    source.pull(store)
    return dict(sb.stats()["endpoints"]), source


def content(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every normalized table, and the raw layer a mapping edit re-derives them from."""
    found = {t: store.fetch(f"SELECT * EXCLUDE (source) FROM {t} ORDER BY id") for t in TABLES}
    raws = store.fetch("SELECT stream, raw_table, columns FROM raw_streams ORDER BY stream")
    for stream, table, columns in raws:
        found[f"raw {stream}"] = [(columns,), *store.fetch(f"SELECT * FROM {table} ORDER BY id")]
    assert len(raws) >= len(MAPPING.streams)  # every stream kept raw, so compared
    return found


def test_search_in_id_order_stores_what_the_list_api_stores(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(":memory:") as by_search, Store(":memory:") as by_list:
        searched, _ = pulled(sandbox, by_search)
        assert searched.get("hubspot.list", 0) <= 2  # goals: every record came by search
        monkeypatch.setattr(full, "way", lambda ctx, stream: full.BY_LIST)
        listed, _ = pulled(sandbox, by_list)
        assert "hubspot.associationsBatchRead" not in listed  # all inline, none cut off
        assert content(by_search) == content(by_list)
    assert searched["hubspot.search"] < listed["hubspot.list"]  # 200 a page, not 100


def busy_deal(sb: Sandbox) -> tuple[int, list[int], HubSpotMapping]:
    """A deal given 130 contacts, and the shipped mapping's deals alone, reading each
    deal's contacts too."""
    org = sb.org
    deal = org.keys("opportunities", "NOT is_deleted", limit=1)[0]
    leads = org.keys("leads", "NOT is_deleted", limit=130)
    org.update_many("leads", [(k, {"converted_opportunity_n": deal}) for k in leads])
    deals = MAPPING.streams[0]
    linked = deals.model_copy(update={"associations": {**deals.associations,
                                                       "lead_id": "contacts"}})  # fmt: skip
    return deal, leads, MAPPING.model_copy(update={"streams": [linked]})


def test_associations_cut_off_inline_are_read_whole(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deal with 130 contacts shows 100 of them inline and a next page: only that deal's
    contacts are read whole, by one batch read."""
    deal, leads, mapping = busy_deal(sandbox)
    monkeypatch.setattr(full, "way", lambda ctx, stream: full.BY_LIST)
    with Store(":memory:") as store:
        calls, _ = pulled(sandbox, store, mapping)
        assert calls["hubspot.associationsBatchRead"] == 1  # the one deal, its contacts
        lead = store.scalar("SELECT lead_id FROM opportunities WHERE id = ?", [str(DEALS + deal)])
    assert lead == str(10 * 10**9 + min(leads))


def test_associations_hubspot_answers_in_pages_are_read_on(sandbox: Sandbox) -> None:
    """A v4 batch read that pages one record's associations (50 a page here: HubSpot
    documents no size) is asked again for that record alone, with its `after`."""
    deal, leads, mapping = busy_deal(sandbox)
    hubspot_surface(sandbox).objects.assoc.batch_page = 50
    with Store(":memory:") as store:
        calls, _ = pulled(sandbox, store, mapping)
        lead = store.scalar("SELECT lead_id FROM opportunities WHERE id = ?", [str(DEALS + deal)])
    assert lead == str(10 * 10**9 + min(leads))
    api = HubSpotSource(source_config(sandbox), mapping, "UTC").api
    read = api.associations("deals", "contacts", [str(DEALS + deal)])
    assert sorted(read[str(DEALS + deal)]) == sorted(str(10 * 10**9 + k) for k in leads)
    per_target = -(-sandbox.org.count("opportunities", "NOT is_deleted") // 1000)
    targets = len(full.targets(mapping.streams[0]))  # one read per 1,000 deals and object
    assert calls["hubspot.associationsBatchRead"] == per_target * targets + 2  # 130 = 50+50+30


def change_set(sb: Sandbox) -> int:
    """1 % of deals, contacts and calls changed now (HubSpot's clock); how many."""
    org = sb.org
    org.advance_clock(dt.timedelta(minutes=5))
    changed = 0
    for table, where, column, value in (
        ("opportunities", "NOT is_deleted", "amount", 1.5),
        ("leads", "NOT is_deleted", "company", "changed"),
        ("activities", "NOT is_deleted AND subtype = 'Call'", "subject", "changed"),
    ):
        keys = org.keys(table, where)[::100]
        org.update_many(table, [(k, {column: value}) for k in keys])
        changed += len(keys)
    return changed


def settle(store: Store) -> None:
    """As if the overlap had passed since each stream's last search (a later night)."""
    for (key,) in store.fetch("SELECT object FROM sync_state WHERE source = 'hs'"):
        state = store.get_state("hs", key) or {}
        if state.get("checked"):
            store.set_state("hs", key, {**state, "checked": {"server": 0, "local": 0}})


def test_a_run_right_after_a_change_set_costs_what_an_unchanged_night_costs(
    sandbox: Sandbox,
) -> None:
    with Store(":memory:") as store:
        pulled(sandbox, store)
        quiet, _ = pulled(sandbox, store)
        changed = change_set(sandbox)
        _, source = pulled(sandbox, store)
        assert source.records_read == changed
        right_after, again = pulled(sandbox, store)
        assert right_after == quiet  # one search per object, one call for the engagements
        assert sum(right_after.values()) == 6
        assert again.records_read == 0
        settle(store)
        later, settling = pulled(sandbox, store)
        assert "hubspot.associationsBatchRead" not in later  # read again, stored already
        assert settling.records_read == changed  # the stretch, searched once more ...
        results = settling.pull(store)  # ... and then never again
        assert sum(r.loaded for r in results) == 0
        assert settling.records_read == 0
