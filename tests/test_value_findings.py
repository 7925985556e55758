"""Values kept but reported: unknown ISO currencies, negative won amounts, margins outside
0..1. Never silently dropped, never silently used: each is a finding saying what the KPIs
do with it, from exports and from CRMs alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import load_config
from connector.crms.files import FilesMapping, FilesSource
from connector.currencies import ISO_4217_CODES, is_iso_4217
from connector.errors import ConfigError
from connector.schema import ENTITY_BY_NAME
from connector.store import ParseOptions, Store, ingest_rows

NOT_ISO = ("is not an ISO 4217 currency code: the deal is kept, but money KPIs leave it out "
           "unless the rate table has this code")  # fmt: skip


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:") as opened:
        yield opened


def findings(store: Store, entity: str) -> list[tuple[object, ...]]:
    return store.fetch(
        "SELECT origin, line, record_id, field, value, problem FROM findings "
        "WHERE entity = ? ORDER BY line, field",
        [entity],
    )


def test_the_iso_list_is_the_real_one() -> None:
    assert {"EUR", "USD", "JPY", "CHF", "XAU"} <= ISO_4217_CODES
    assert not is_iso_4217("XYZ")
    assert not is_iso_4217("usd")
    assert 150 < len(ISO_4217_CODES) < 200


def test_exports_report_every_odd_value_and_keep_the_record(tmp_path: Path, store: Store) -> None:
    (tmp_path / "opportunities.csv").write_text(
        "id,created_at,close_date,is_closed,is_won,amount,currency,cost\n"
        "o1,2025-01-05,2025-02-01,true,true,1000,XYZ,\n"
        "o2,2025-01-05,2025-02-01,true,true,-5000000,USD,\n"
        "o3,2025-01-05,2025-02-01,true,true,1000,EUR,1500\n"
        "o4,2025-01-05,2025-02-01,true,true,1000,EUR,-20\n"
        "o5,2025-01-05,,false,false,-30,USD,\n"
        "o6,2025-01-05,2025-02-01,true,true,1000,usd,200\n"
    )
    (tmp_path / "line_items.csv").write_text(
        "id,opportunity_id,quantity,unit_price,unit_cost\nl1,o3,1,100,130\nl2,o3,1,100,-1\n"
    )
    (tmp_path / "costs.csv").write_text(
        "period_start,period_end,amount,currency,category\n2025-01-01,2025-01-31,10,XYZ,sales\n"
    )
    source = FilesSource("crm", tmp_path, FilesMapping(), "UTC")
    results = {r.entity: r for r in source.pull(store)}
    assert results["opportunities"].findings == 4
    assert findings(store, "opportunities") == [
        ("opportunities.csv", 2, "o1", "currency", "XYZ", f"'XYZ' {NOT_ISO}"),
        ("opportunities.csv", 3, "o2", "amount", "-5000000",
         "won deal with a negative amount: counted as is, lowering revenue (and gross "
         "margin can pass 100 %)"),
        ("opportunities.csv", 4, "o3", "cost", "1500",
         "cost above the amount: counted as is, a margin below 0 % for this deal"),
        ("opportunities.csv", 5, "o4", "cost", "-20",
         "negative cost: counted as is, so the deal's margin passes 100 %"),
    ]  # fmt: skip
    assert store.count("opportunities") == 6  # an open deal's negative amount is no finding
    assert [f[3:] for f in findings(store, "line_items")] == [
        ("unit_cost", "130",
         "unit cost above the unit price: counted as is, a margin below 0 % for this line"),
        ("unit_cost", "-1", "negative unit cost: counted as is, so the line's margin passes 100 %"),
    ]  # fmt: skip
    assert findings(store, "costs")[0][5].startswith("'XYZ' is not an ISO 4217 currency code")


def test_crm_records_get_the_same_findings(store: Store) -> None:
    columns = ["id", "created_at", "close_date", "is_won", "amount", "currency"]
    rows = [("006A", "2025-01-05T10:00:00Z", "2025-02-01", True, -5_000_000.0, "XYZ")]
    result = ingest_rows(store, source="sf", entity=ENTITY_BY_NAME["opportunities"],
                         columns=columns, rows=rows, origin="Opportunity",
                         opts=ParseOptions("UTC"))  # fmt: skip
    assert result.findings == 2
    assert [(f[2], f[3], f[4]) for f in findings(store, "opportunities")] == [
        ("006A", "amount", "-5000000.0"),
        ("006A", "currency", "XYZ"),
    ]


def test_the_reporting_currency_must_be_iso(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text("reporting: {currency: XYZ, timezone: UTC}\n"
                    "sources:\n  - {name: e, type: files, path: exports}\n")  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.messages == [
        "config.yaml:1 reporting.currency: not an ISO 4217 currency code: XYZ (list of "
        "2026-01-01)"
    ]
    assert main(["validate", "--config", str(path)]) == 2
