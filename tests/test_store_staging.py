"""Staging CRM records (JSON values) and the delete paths API sources use."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from connector.crms.files.mapping import FilesMapping
from connector.schema import ENTITY_BY_NAME
from connector.store import (
    ParseOptions,
    Store,
    ingest,
    mark_deleted,
    mark_unseen_deleted,
    remember_seen,
    stage_rows,
    to_text,
)
from connector.store.normalize import literal

OPPS = ENTITY_BY_NAME["opportunities"]
COLUMNS = ["id", "created_at", "close_date", "is_won", "amount", "currency"]


def load(store: Store, rows: list[tuple[object, ...]], full: bool = False) -> None:
    stage_rows(store, "_batch", COLUMNS, rows)
    ingest(store, source="sf", entity=OPPS, staged="_batch", origin="Opportunity",
           opts=ParseOptions("UTC"), full=full)  # fmt: skip


def test_to_text_keeps_json_values_parseable() -> None:
    assert [to_text(v) for v in (None, True, False, 12, 1.5, "x")] == [
        None, "true", "false", "12", "1.5", "x",
    ]  # fmt: skip


def test_json_typed_values_are_typed_by_the_type_map() -> None:
    store = Store(":memory:")
    load(store, [("006A", "2024-05-01T12:34:56.000+0000", "2024-06-01", True, 1200.5, "EUR"),
                 ("006B", "2024-05-02T00:00:00.000+0000", None, False, None, None)])  # fmt: skip
    rows = store.con.execute(
        "SELECT id, created_at, close_date, is_won, amount FROM opportunities ORDER BY id"
    ).fetchall()
    assert rows == [
        ("006A", dt.datetime(2024, 5, 1, 12, 34, 56), dt.date(2024, 6, 1), True, 1200.5),
        ("006B", dt.datetime(2024, 5, 2), None, False, None),
    ]


def test_incremental_batches_upsert_without_deleting_others() -> None:
    store = Store(":memory:")
    load(store, [("006A", "2024-05-01T00:00:00Z", None, False, 1, "USD")])
    load(store, [("006B", "2024-05-01T00:00:00Z", None, False, 2, "USD")])
    load(store, [("006A", "2024-05-01T00:00:00Z", None, False, 3, "USD")])
    assert store.con.execute("SELECT id, amount FROM opportunities ORDER BY id").fetchall() == [
        ("006A", 3.0), ("006B", 2.0),
    ]  # fmt: skip


def test_bad_api_record_is_quarantined_by_position_and_id() -> None:
    store = Store(":memory:")
    load(store, [("006A", "2024-05-01T00:00:00Z", None, False, 1, "USD"),
                 ("006B", "yesterday", None, False, 2, "USD")])  # fmt: skip
    assert store.con.execute(
        "SELECT origin, line, record_id, field, reason FROM quarantine"
    ).fetchall() == [("Opportunity", 2, "006B", "created_at",
                      "not a valid timestamp (expected ISO 8601)")]  # fmt: skip


def test_mark_deleted_and_reconcile() -> None:
    store = Store(":memory:")
    load(store, [(f"006{i}", "2024-05-01T00:00:00Z", None, False, i, "USD") for i in range(5)])
    assert mark_deleted(store, source="sf", entity=OPPS, ids=["0061", "0069"]) == 1
    assert mark_deleted(store, source="sf", entity=OPPS, ids=[]) == 0
    remember_seen(store, "opportunities", ["0060", "0061"])
    remember_seen(store, "opportunities", ["0062"])
    remember_seen(store, "leads", ["0063", "0064"])  # another entity's ids: not these
    assert mark_unseen_deleted(store, source="sf", entity="opportunities") == 2
    live = store.con.execute(
        "SELECT id FROM opportunities WHERE NOT is_deleted ORDER BY id"
    ).fetchall()
    assert live == [("0060",), ("0062",)]
    assert mark_deleted(store, source="other", entity=OPPS, ids=["0060"]) == 0


def test_staging_after_a_half_read_result() -> None:
    # DuckDB 2 refuses to register a table while a result is open: a fetchone() that
    # read a single-row answer leaves it so (Store.get_state does).
    store = Store(":memory:")
    store.set_state("sf", "Opportunity", {"cursor": "x"})
    assert store.get_state("sf", "Opportunity") == {"cursor": "x"}
    load(store, [("006A", "2024-05-01T00:00:00Z", None, False, 1, "USD")])
    assert store.count("opportunities") == 1
    load(store, [("006B", "2024-05-01T00:00:00Z", None, False, 1, "USD")])
    assert store.count("opportunities") == 2


def test_only_validated_time_zones_and_formats_become_sql_literals() -> None:
    assert literal("America/New_York", "timezone") == "'America/New_York'"
    assert literal("%d/%m/%Y %H:%M", "format") == "'%d/%m/%Y %H:%M'"
    for value, kind in [("Mars/Olympus", "timezone"), ("UTC'; DROP TABLE x; --", "timezone"),
                        ("%d'%m", "format"), ("%d\\", "format"), ("dd/mm", "format")]:  # fmt: skip
        with pytest.raises(ValueError, match="not a valid"):
            literal(value, kind)  # type: ignore[arg-type]


def test_a_mapping_date_format_with_a_quote_is_refused_at_its_key() -> None:
    with pytest.raises(ValidationError, match="must be a strptime format"):
        FilesMapping.model_validate({"date_format": "%d'%m"})
