"""End to end through the real simple-salesforce against the sandbox: setup and push."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sf_helpers import compute_kpis, make_source, make_writer

from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e

WRITE_ENDPOINTS = ("collections", "bulk.ingest", "tooling.create", ".create", ".update")


def writes(sb: Sandbox) -> int:
    """Write calls the sandbox has answered so far."""
    endpoints = sb.stats()["endpoints"]
    return sum(n for name, n in endpoints.items() if any(w in name for w in WRITE_ENDPOINTS))


@pytest.fixture
def pulled(sandbox: Sandbox) -> Iterator[Store]:
    with Store(":memory:") as st:
        make_source(sandbox).pull(st)
        compute_kpis(st)
        yield st


def query(sb: Sandbox, soql: str) -> list[dict[str, object]]:
    with make_source(sb).transport() as transport:
        return [r for page in transport.pages(soql) for r in page]


def kpi_keys(store: Store) -> int:
    return int(
        store.con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT period_type, period, scope_type, scope_id "
            "FROM kpi_results WHERE breakdown_type IS NULL)"
        ).fetchall()[0][0]
    )


def test_setup_creates_everything_once(sandbox: Sandbox) -> None:
    writer = make_writer(sandbox)
    actions = writer.setup()
    assert "created custom object Sales_KPI__c" in actions
    assert "created field Sales_KPI__c.KPI_Key__c (Text)" in actions
    assert "created field User.KPI_Revenue__c (Number)" in actions
    assert "created report Sales KPIs" in actions
    assert "created dashboard Sales KPIs" in actions
    before = writes(sandbox)
    assert writer.setup() == []
    assert writes(sandbox) == before


def test_push_upserts_one_row_per_period_and_scope_owned_by_the_rep(
    sandbox: Sandbox, pulled: Store
) -> None:
    writer = make_writer(sandbox)
    writer.setup()
    result = writer.push(pulled)
    assert result.failed == []
    assert result.written >= kpi_keys(pulled)
    rows = query(
        sandbox, "SELECT KPI_Key__c, Scope_Type__c, Scope_Id__c, OwnerId FROM Sales_KPI__c"
    )
    assert len(rows) == kpi_keys(pulled)
    active = {r[0] for r in pulled.con.execute("SELECT id FROM owners WHERE active").fetchall()}
    owners = [r for r in rows if r["Scope_Type__c"] == "owner" and r["Scope_Id__c"] in active]
    assert owners
    assert all(r["OwnerId"] == r["Scope_Id__c"] for r in owners)
    users = query(sandbox, "SELECT Id, KPI_Revenue__c FROM User WHERE KPI_Revenue__c != null")
    assert users


def test_unchanged_repush_makes_no_call_and_a_change_sends_only_itself(
    sandbox: Sandbox, pulled: Store
) -> None:
    writer = make_writer(sandbox)
    writer.setup()
    first = writer.push(pulled)
    before = writes(sandbox)
    again = writer.push(pulled)
    assert (again.written, again.api_calls, again.planned) == (0, 0, [])
    assert again.unchanged == first.written
    assert writes(sandbox) == before
    pulled.con.execute(
        "UPDATE kpi_results SET value = value + 1 WHERE kpi = 'total_revenue' "
        "AND breakdown_type IS NULL "
        "AND scope_type = 'company' AND period_type = 'year'"
    )
    dry = writer.push(pulled, dry_run=True)
    assert dry.api_calls == 0
    assert {c.field for c in dry.planned} == {"Total_Revenue__c"}
    assert all(c.old is not None and float(c.new or 0) - float(c.old) == 1 for c in dry.planned)
    assert writes(sandbox) == before
    diff = writer.push(pulled)
    assert diff.written == len(dry.planned)
    assert diff.api_calls <= 2
    key = dry.planned[0].record
    rows = query(sandbox, f"SELECT Total_Revenue__c FROM Sales_KPI__c WHERE KPI_Key__c = '{key}'")
    assert rows[0]["Total_Revenue__c"] == pytest.approx(float(dry.planned[0].new or 0))


def test_refused_records_are_retried_once_then_reported(sandbox: Sandbox, pulled: Store) -> None:
    writer = make_writer(sandbox)
    writer.setup()
    sandbox.faults.add({"kind": "record_error", "path": "composite/sobjects/Sales_KPI__c",
                        "error_code": "UNABLE_TO_LOCK_ROW", "count": 3})  # fmt: skip
    result = writer.push(pulled)
    assert result.failed == []  # the three refusals were retried and went through
    refusal = {"kind": "record_error", "path": "composite/sobjects/Sales_KPI__c",
               "error_code": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "no"}  # fmt: skip
    sandbox.faults.add(refusal)
    pulled.con.execute("UPDATE kpi_results SET value = value + 1 WHERE kpi = 'arpa'")
    failed = writer.push(pulled)
    assert failed.failed
    assert failed.written == 0
    assert all("FIELD_CUSTOM_VALIDATION_EXCEPTION: no" in f.message for f in failed.failed)
    sandbox.faults.clear()
    retried = writer.push(pulled)  # nothing was remembered as pushed: all is sent again
    assert retried.failed == []
    assert retried.written == len(failed.failed)


def test_bulk_push_above_the_threshold(sandbox: Sandbox, pulled: Store) -> None:
    writer = make_writer(sandbox, push={"enabled": True, "bulk_threshold": 10})
    writer.setup()
    result = writer.push(pulled)
    assert result.failed == []
    assert sandbox.stats()["endpoints"].get("salesforce.bulk.ingest.create", 0) >= 1
    with make_source(sandbox).transport() as transport:
        assert transport.count("SELECT COUNT() FROM Sales_KPI__c") == kpi_keys(pulled)
    assert writer.push(pulled).api_calls == 0


def test_push_needs_enabled(sandbox: Sandbox, pulled: Store) -> None:
    from connector.errors import ConfigError

    writer = make_writer(sandbox, push={"enabled": False})
    assert writer.push(pulled, dry_run=True).planned
    with pytest.raises(ConfigError, match=r"push\.enabled"):
        writer.push(pulled)
