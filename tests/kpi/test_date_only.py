"""Date-only CRM values that feed a timestamp (Lead.ConvertedDate, a HubSpot date
property, a CSV date) keep their calendar day in the org's time zone, west of UTC as
east: stored as the org's midnight of that day, never as midnight UTC (the day before
in every org west of UTC)."""

from __future__ import annotations

import datetime as dt

import pytest

from connector.crms.salesforce.mapping import Stream
from connector.crms.salesforce.records import compile_reader
from connector.crms.salesforce.validate import Resolved
from connector.kpi.engine import compute
from connector.kpi.periods import parse_period
from connector.schema import ENTITY_BY_NAME
from connector.settings import KpiSettings, Reporting
from connector.store import ParseOptions, Store, ingest, stage_rows

LEADS = ENTITY_BY_NAME["leads"]
COLUMNS = ["id", "created_at", "owner_id", "converted_at", "converted_opportunity_id"]


@pytest.mark.parametrize(
    ("timezone", "stored"),
    [
        ("America/Los_Angeles", dt.datetime(2026, 12, 1, 8, 0)),  # UTC-8: 08:00 UTC
        ("Pacific/Honolulu", dt.datetime(2026, 12, 1, 10, 0)),
        ("UTC", dt.datetime(2026, 12, 1, 0, 0)),
        ("Asia/Tokyo", dt.datetime(2026, 11, 30, 15, 0)),  # UTC+9: the evening before, UTC
    ],
)
def test_a_date_alone_is_the_orgs_midnight_of_that_day(timezone: str, stored: dt.datetime) -> None:
    with Store(":memory:") as store:
        stage_rows(store, "_batch", COLUMNS,
                   [("00Q1", "2026-11-20T18:00:00.000+0000", "005A", "2026-12-01", None)])
        ingest(store, source="sf", entity=LEADS, staged="_batch", origin="Lead",
               opts=ParseOptions(timezone), full=False)  # fmt: skip
        (converted,) = store.fetch("SELECT converted_at FROM leads")[0]
        local = store.fetch(f"SELECT CAST(timezone('{timezone}', timezone('UTC', converted_at))"
                            " AS DATE) FROM leads")[0][0]  # fmt: skip
    assert converted == stored
    assert local == dt.date(2026, 12, 1)  # its calendar day, in the org


def _converted_date_as_read(value: str) -> str | None:
    """Lead.ConvertedDate as the Salesforce reader stages it with the shipped mapping's
    `transform: day_start`."""
    lead = Stream.model_validate({"entity": "leads", "object": "Lead", "fields": {
        "converted_at": {"field": "ConvertedDate", "transform": "day_start"}}})
    resolved = Resolved(prefixes={})
    for path in lead.crm_fields():
        resolved.paths[(lead.object, path)] = path
    record = {"Id": "00Q1", "SystemModstamp": "2026-12-01T10:00:00.000+0000",
              "IsDeleted": False, "ConvertedDate": value}  # fmt: skip
    rows, _, _ = compile_reader(lead, resolved, flat=False).split([record])
    return str(rows[0][-1])


@pytest.mark.parametrize("timezone", ["America/New_York", "Asia/Kolkata"])
def test_a_lead_converted_on_the_first_counts_in_that_month(timezone: str) -> None:
    """Converted on 1 December (a date-only field), won the same day: December's funnel,
    in New York as in Kolkata (read as midnight UTC it was November's in New York)."""
    converted = _converted_date_as_read("2026-12-01")
    with Store(":memory:") as store:
        stage_rows(store, "_batch", COLUMNS,
                   [("00Q1", "2026-11-20T18:00:00.000+0000", "005A", converted, "006A")])
        ingest(store, source="sf", entity=LEADS, staged="_batch", origin="Lead",
               opts=ParseOptions(timezone), full=False)  # fmt: skip
        store.execute("INSERT INTO owners (source, id, is_deleted) VALUES ('sf', '005A', false)")
        store.execute(
            "INSERT INTO opportunities (source, id, is_deleted, owner_id, created_at, close_date,"
            " is_closed, is_won, amount) VALUES ('sf', '006A', false, '005A', "
            "(SELECT converted_at FROM leads), DATE '2026-12-01', true, true, 100)")
        store.execute("UPDATE opportunities SET lead_id = '00Q1'")
        compute(store, Reporting(currency="USD", timezone=timezone), KpiSettings(),
                periods=[parse_period("2026-11"), parse_period("2026-12")],
                as_of=dt.date(2026, 12, 20))  # fmt: skip
        created = dict(store.fetch(
            "SELECT period, denominator FROM kpi_results WHERE kpi = 'closing_ratio' "
            "AND scope_type = 'company'"))  # fmt: skip
    # the opportunity made on conversion was created on 1 December, in the org's day
    assert created == {"2026-11": 0, "2026-12": 1}
