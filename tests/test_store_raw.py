"""The raw layer and the derivation of entities from it (no CRM: rows as a CRM sends them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connector.schema import ENTITY_BY_NAME
from connector.store import ParseOptions, Store, ValueMap, mark_deleted, remember_seen
from connector.store.derive import Derivation, Derived, derive, rederive
from connector.store.raw import (
    RawStream,
    begin_full_read,
    end_full_read,
    raw_stream,
    upsert_raw,
)
from connector.store.shapes import changed_keys, record_shape, stored_shape
from connector.store.staging import forget_seen, mark_unseen_deleted

OPTS = ParseOptions(timezone="UTC")
LEADS = ENTITY_BY_NAME["leads"]
FIELDS = ["CreatedDate", "LeadSource", "OwnerId", "Status"]


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:") as st:
        yield st


def leads(store: Store, fields: list[str] = FIELDS) -> RawStream:
    return raw_stream(store, source="sf", stream="leads:Lead", entity="leads", key="Id",
                      cursor="SystemModstamp", fields=fields)  # fmt: skip


def row(lead: str, source: str | None, *, deleted: bool = False, status: str = "Open"
        ) -> list[object]:  # fmt: skip
    return [lead, "2025-03-01T10:00:00.000+0000", deleted, "2025-02-01T09:00:00.000+0000",
            source, "005A", status]  # fmt: skip


def rules(**changes: object) -> Derivation:
    base: dict[str, object] = {
        "entity": LEADS, "origin": "Lead",
        "fields": [Derived("created_at", field="CreatedDate"),
                   Derived("contact_method", field="LeadSource", default="other"),
                   Derived("owner_id", field="OwnerId"), Derived("status", field="Status")],
        "value_maps": {"contact_method": ValueMap({"Web": "web", "Trade Show": "event"})},
    }  # fmt: skip
    return Derivation(**{**base, **changes})  # type: ignore[arg-type]


def live(store: Store) -> list[tuple[object, ...]]:
    return store.fetch("SELECT id, contact_method, status FROM leads WHERE NOT is_deleted "
                       "ORDER BY id")  # fmt: skip


def test_the_raw_table_follows_the_fields_the_mapping_reads(store: Store) -> None:
    raw = leads(store)
    assert raw.columns == {"Id": "id", "SystemModstamp": "modstamp", "CreatedDate": "c0",
                           "LeadSource": "c1", "OwnerId": "c2", "Status": "c3"}  # fmt: skip
    assert raw.missing(list(raw.columns)) == list(raw.columns)  # nothing pulled yet
    begin_full_read(store, raw, list(raw.columns))
    assert leads(store).filled_by_full_read(FIELDS)
    end_full_read(store, raw, list(raw.columns))
    assert leads(store).missing(FIELDS) == []
    again = leads(store, ["CreatedDate", "OwnerId", "Status", "Rating"])
    assert again.columns["Rating"] == "c1"  # the freed column number, a new (empty) column
    assert again.missing(["Status", "Rating"]) == ["Rating"]  # a full read brings it
    assert "LeadSource" not in again.columns
    names = [r[0] for r in store.fetch(f"DESCRIBE {again.table}")]
    assert names == ["id", "modstamp", "deleted", "c0", "c2", "c3", "c1"]


def test_a_stored_row_is_replaced_by_its_later_version(store: Store) -> None:
    raw = leads(store)
    upsert_raw(store, raw, FIELDS, [row("L1", "Web"), row("L2", "Web")])
    upsert_raw(store, raw, FIELDS, [row("L1", "Trade Show", deleted=True)])
    held = store.fetch(f"SELECT id, deleted, c1 FROM {raw.table} ORDER BY id")
    assert held == [("L1", True, "Trade Show"), ("L2", False, "Web")]


def test_derive_applies_value_maps_defaults_and_deletes(store: Store) -> None:
    raw = leads(store)
    upsert_raw(store, raw, FIELDS, [row("L1", "Web"), row("L2", ""), row("L3", "Trade Show"),
                                    row("L4", "Web", deleted=True)])  # fmt: skip
    result = derive(store, raw, rules(), OPTS)
    assert (result.loaded, result.deleted) == (3, 0)
    assert live(store) == [("L1", "web", "Open"), ("L2", "other", "Open"),
                           ("L3", "event", "Open")]  # fmt: skip
    created = store.scalar("SELECT created_at FROM leads WHERE id = 'L1'")
    assert created == dt.datetime(2025, 2, 1, 9)


def test_exclude_include_and_require_leave_records_out_and_back_in(store: Store) -> None:
    raw = leads(store)
    upsert_raw(store, raw, FIELDS, [row("L1", "Web"), row("L2", None, status="Closed"),
                                    row("L3", " Trade Show ")])  # fmt: skip
    derive(store, raw, rules(), OPTS)
    done = rederive(store, raw, rules(exclude={"LeadSource": ["Trade Show"]}), OPTS)
    assert (done.now_excluded, done.now_included, done.changed) == (1, 0, 0)
    assert [r[0] for r in live(store)] == ["L1", "L2"]
    done = rederive(store, raw, rules(require=["LeadSource"]), OPTS)
    assert (done.now_excluded, done.now_included) == (1, 1)
    assert [r[0] for r in live(store)] == ["L1", "L3"]
    rederive(store, raw, rules(include={"Status": ["Open"]}), OPTS)
    assert [r[0] for r in live(store)] == ["L1", "L3"]
    done = rederive(store, raw, rules(), OPTS)
    assert [r[0] for r in live(store)] == ["L1", "L2", "L3"]
    assert (done.now_included, done.changed) == (1, 0)


def test_constants_prefixes_and_transforms(store: Store) -> None:
    raw = raw_stream(store, source="sf", stream="x", entity="exchange_rates", key="Id",
                     cursor="SystemModstamp", fields=["IsoCode", "Rate", "StartDate"])  # fmt: skip
    stamp = "2025-03-01T10:00:00Z"
    upsert_raw(store, raw, ["IsoCode", "Rate", "StartDate"], [
        ["r1", stamp, False, "EUR", "1.25", "2025-01-01T00:00:00.000Z"],
        ["r2", stamp, False, "GBP", "0", "2025-01-01T00:00:00Z"],
        ["r3", stamp, False, "XYZ", "abc", None],
    ])  # fmt: skip
    rates = Derivation(entity=ENTITY_BY_NAME["exchange_rates"], origin="Rates", fields=[
        Derived("currency", field="IsoCode"),
        Derived("rate_to_reporting", field="Rate", transform="reciprocal"),
        Derived("valid_from", field="StartDate", transform="midnight_utc_date",
                default="1900-01-01"),
    ])  # fmt: skip
    result = derive(store, raw, rates, OPTS)
    assert result.quarantined == 2  # no rate (1 / 0) and a rate that is no number
    held = store.fetch("SELECT id, rate_to_reporting, valid_from FROM exchange_rates")
    assert held == [("r1", 0.8, dt.date(2025, 1, 1))]
    reason = store.scalar("SELECT value FROM quarantine WHERE record_id = 'r3'")
    assert reason == "abc"


def test_a_lookup_falls_back_and_a_prefix_keeps_only_its_ids(store: Store) -> None:
    fields = ["dealstage", "hs_is_closed", "WhoId"]
    raw = raw_stream(store, source="hs", stream="s", entity="leads", key="Id",
                     cursor="Stamp", fields=fields)  # fmt: skip
    upsert_raw(store, raw, fields, [["1", "2025-01-01", False, "won", None, "00Qx"],
                                    ["2", "2025-01-01", False, "legacy", "true", "003y"]])
    derived = Derivation(entity=LEADS, origin="s", fields=[
        Derived("created_at", const="2025-01-01"),
        Derived("status", field="dealstage", lookup={"won": "Closed Won"},
                fallback="hs_is_closed"),
        Derived("converted_account_id", field="WhoId", prefix="00Q"),
    ])  # fmt: skip
    derive(store, raw, derived, OPTS)
    held = store.fetch("SELECT id, status, converted_account_id FROM leads ORDER BY id")
    assert held == [("1", "Closed Won", "00Qx"), ("2", "true", None)]


def test_a_record_deleted_in_the_crm_is_never_derived_again(store: Store) -> None:
    raw = leads(store)
    upsert_raw(store, raw, FIELDS, [row("L1", "Web"), row("L2", "Web")])
    derive(store, raw, rules(), OPTS)
    mark_deleted(store, source="sf", entity=LEADS, ids=["L2"])
    rederive(store, raw, rules(exclude={"Status": ["Lost"]}), OPTS)
    assert [r[0] for r in live(store)] == ["L1"]


def test_an_excluded_record_leaves_its_quarantine_and_findings(store: Store) -> None:
    raw = leads(store)
    upsert_raw(store, raw, FIELDS, [row("L1", "Fax"), row("L2", "Web")])
    derive(store, raw, rules(), OPTS)
    assert store.scalar("SELECT count(*) FROM findings WHERE record_id = 'L1'") == 1
    rederive(store, raw, rules(exclude={"LeadSource": ["Fax"]}), OPTS)
    assert store.scalar("SELECT count(*) FROM findings") == 0


def test_shapes_are_recorded_and_compared(store: Store) -> None:
    shape = {"fields": {"a": "X"}, "exclude": {}, "timezone": "UTC"}
    assert stored_shape(store, "sf", "leads:Lead") is None
    record_shape(store, "sf", "leads:Lead", "leads", shape)
    edited = {"fields": {"a": "Y"}, "exclude": {"Type": ["Test"]}, "timezone": "UTC"}
    old = stored_shape(store, "sf", "leads:Lead")
    assert changed_keys(old, edited) == ["exclude.Type", "fields.a"]
    assert changed_keys(old, shape) == []


@pytest.mark.parametrize("modified_before", [None, dt.datetime(2025, 3, 2)])
def test_a_record_quarantined_outright_and_purged_is_never_derived_again(
    store: Store, modified_before: dt.datetime | None
) -> None:
    raw = leads(store)
    broken = row("L2", "Web")
    broken[3] = "not a date"  # CreatedDate: quarantined, never loaded
    upsert_raw(store, raw, FIELDS, [row("L1", "Web"), broken])
    derive(store, raw, rules(), OPTS)
    assert store.scalar("SELECT count(*) FROM quarantine WHERE record_id = 'L2'") == 1
    remember_seen(store, "leads", ["L1"])  # the CRM no longer has L2 (purged)
    mark_unseen_deleted(store, source="sf", entity="leads", modified_before=modified_before)
    forget_seen(store)
    assert store.scalar("SELECT count(*) FROM quarantine") == 0
    fixed = rules(fields=[Derived("created_at", const="2025-02-01T09:00:00Z"),
                          Derived("owner_id", field="OwnerId")])  # fmt: skip
    rederive(store, raw, fixed, OPTS)
    assert [r[0] for r in live(store)] == ["L1"]


def test_a_raw_row_modified_after_the_listing_is_not_taken_for_purged(store: Store) -> None:
    raw = leads(store)
    broken = row("L2", "Web")
    broken[3] = "not a date"
    upsert_raw(store, raw, FIELDS, [broken])
    derive(store, raw, rules(), OPTS)
    remember_seen(store, "leads", [])
    mark_unseen_deleted(store, source="sf", entity="leads",
                        modified_before=dt.datetime(2025, 2, 1))  # before its modstamp
    forget_seen(store)
    assert store.scalar("SELECT count(*) FROM quarantine WHERE record_id = 'L2'") == 1
    assert store.scalar(f"SELECT count(*) FROM {raw.table} WHERE deleted") == 0
