"""Date-only CRM values that feed a timestamp (Lead.ConvertedDate, a HubSpot date
property, a CSV date) keep their calendar day in the org's time zone, west of UTC as
east: stored as the org's midnight of that day, never as midnight UTC (the day before
in every org west of UTC)."""

from __future__ import annotations

import datetime as dt

import pytest

from connector.crms.salesforce.mapping import SalesforceMapping, Stream
from connector.crms.salesforce.records import compile_reader, derivation
from connector.crms.salesforce.validate import Resolved
from connector.kpi.engine import compute
from connector.kpi.periods import parse_period
from connector.schema import ENTITY_BY_NAME
from connector.settings import KpiSettings, Reporting
from connector.store import ParseOptions, Store, ingest, stage_rows
from connector.store.derive import derive
from connector.store.raw import raw_stream, upsert_raw

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


def _lead_as_read(store: Store, timezone: str, converted: str) -> None:
    """A lead converted on `converted` (Lead.ConvertedDate, a date), read and derived as
    the Salesforce reader and the store do with the shipped mapping's `day_start`."""
    lead = Stream.model_validate({
        "entity": "leads", "object": "Lead",
        "fields": {"created_at": "CreatedDate", "owner_id": "OwnerId",
                   "converted_at": "ConvertedDate",
                   "converted_opportunity_id": "ConvertedOpportunityId"},
        "transforms": {"converted_at": "day_start"}})  # fmt: skip
    resolved = Resolved(prefixes={})
    for path in lead.crm_fields():
        resolved.paths[(lead.object, path)] = path
    record = {"Id": "00Q1", "SystemModstamp": "2026-12-01T10:00:00.000+0000",
              "IsDeleted": False, "CreatedDate": "2026-11-20T18:00:00.000+0000",
              "OwnerId": "005A", "ConvertedDate": converted,
              "ConvertedOpportunityId": "006A"}  # fmt: skip
    reader = compile_reader(lead, resolved, flat=False)
    rows, _ = reader.split([record])
    raw = raw_stream(store, source="sf", stream="leads:Lead", entity="leads", key="Id",
                     cursor="SystemModstamp", fields=reader.fields)  # fmt: skip
    upsert_raw(store, raw, reader.fields, rows)
    mapping = SalesforceMapping.model_validate({"streams": [lead.model_dump()]})
    assert derive(store, raw, derivation(lead, mapping, resolved), ParseOptions(timezone)).loaded


@pytest.mark.parametrize("timezone", ["America/New_York", "Asia/Kolkata"])
def test_a_lead_converted_on_the_first_counts_in_that_month(timezone: str) -> None:
    """Converted on 1 December (a date-only field), won the same day: December's funnel,
    in New York as in Kolkata (read as midnight UTC it was November's in New York)."""
    with Store(":memory:") as store:
        _lead_as_read(store, timezone, "2026-12-01")
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
