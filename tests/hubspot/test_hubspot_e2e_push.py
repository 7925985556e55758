"""End to end: setup, push, unchanged re-push, diff-only push, dry run, 207s, empty 2xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hs_helpers import app_config, source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.mapping import PushMapping, load_mapping
from connector.crms.hubspot.setup import find_schema
from connector.crms.hubspot.write import HubSpotWriter
from connector.errors import FatalError
from connector.pipeline import compute_kpis
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))


@pytest.fixture
def pulled(sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[Sandbox, Store, HubSpotWriter]]:
    """A sandbox pulled into a store with KPIs computed, and a writer for it."""
    config = source_config(sandbox)
    store = Store(tmp_path / "store.duckdb")
    HubSpotSource(config, MAPPING, "UTC").pull(store)
    app = app_config(tmp_path / "store.duckdb", [config.model_dump(mode="json")])
    compute_kpis(app, store)
    try:
        yield sandbox, store, HubSpotWriter("hs", config, MAPPING.push)
    finally:
        store.close()


def test_setup_is_idempotent(pulled: tuple[Sandbox, Store, HubSpotWriter]) -> None:
    _, _, writer = pulled
    actions = writer.setup()
    assert "created custom object sales_kpi" in actions
    assert any("Sales KPIs" in a for a in actions)
    assert any("crm_kpi_nps" in a for a in actions)
    assert writer.setup() == []


def test_push_then_unchanged_re_push_then_diff_only_push(
    pulled: tuple[Sandbox, Store, HubSpotWriter],
) -> None:
    sandbox, store, writer = pulled
    writer.setup()
    first = writer.push(store)
    assert first.failed == []
    rows = store.con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT period_type, period, scope_type, scope_id "
        "FROM kpi_results WHERE breakdown_type IS NULL)"
    ).fetchone()
    assert rows is not None
    assert first.written >= rows[0]
    assert first.api_calls <= -(-first.written // 100) + 4
    again = writer.push(store)
    assert (again.written, again.api_calls, again.failed) == (0, 0, [])
    assert again.unchanged == first.written
    store.con.execute(
        "UPDATE kpi_results SET target = 123.0 WHERE kpi = 'total_revenue' "
        "AND scope_type = 'company' AND period_type = 'year'"
    )
    diff = writer.push(store)
    assert diff.written >= 1
    assert {c.field for c in diff.planned} == {"total_revenue_target"}
    sandbox.reset_stats()


def test_owner_rows_are_assigned_to_the_rep(pulled: tuple[Sandbox, Store, HubSpotWriter]) -> None:
    _sandbox, store, writer = pulled
    writer.setup()
    writer.push(store)
    api = HubSpotSource(writer.config, MAPPING, "UTC").api
    schema = find_schema(api, "sales_kpi")
    assert schema is not None
    body = {
        "filterGroups": [
            {"filters": [{"propertyName": "scope_type", "operator": "EQ", "value": "owner"}]}
        ],
        "properties": ["scope_id", "hubspot_owner_id", "kpi_key"],
        "limit": 10,
    }
    found = api.search(str(schema["objectTypeId"]), body)["results"]
    active = {r[0] for r in store.con.execute("SELECT id FROM owners WHERE active").fetchall()}
    assert found
    for record in found:
        props = record["properties"]
        # Deactivated users own nothing: their rows stay unassigned.
        expected = props["scope_id"] if props["scope_id"] in active else None
        assert props["hubspot_owner_id"] == expected
    api.transport.close()


def test_dry_run_lists_old_and_new_without_calls(
    pulled: tuple[Sandbox, Store, HubSpotWriter],
) -> None:
    _, store, writer = pulled
    result = writer.push(store, dry_run=True)
    assert result.dry_run
    assert result.api_calls == 0
    assert result.written == 0
    assert result.planned
    assert all(p.old is None for p in result.planned)


def test_refused_records_are_retried_once_then_reported(
    pulled: tuple[Sandbox, Store, HubSpotWriter],
) -> None:
    sandbox, store, writer = pulled
    writer.setup()
    sandbox.faults.add(
        {
            "kind": "record_error",
            "path": "/batch/upsert",
            "count": 3,
            "error_code": "VALIDATION_ERROR",
            "message": "locked for a moment",
        }
    )
    transient = writer.push(store)
    assert transient.failed == []  # each refused record went through on its retry
    store.con.execute("UPDATE kpi_results SET value = value + 1 WHERE kpi = 'nps'")
    sandbox.faults.add(
        {
            "kind": "record_error",
            "path": "/batch/upsert",
            "error_code": "VALIDATION_ERROR",
            "message": 'Property values were not valid: [{"name":"nps_value"}]',
        }
    )
    stuck = writer.push(store)
    assert stuck.failed
    assert stuck.failed[0].field == "nps_value"
    assert "not valid" in stuck.failed[0].message


def test_an_empty_2xx_is_a_failure(pulled: tuple[Sandbox, Store, HubSpotWriter]) -> None:
    sandbox, store, writer = pulled
    writer.setup()
    sandbox.faults.add(
        {"kind": "record_error", "path": "/batch/upsert", "error_code": "EMPTY_RESPONSE"}
    )
    result = writer.push(store)
    assert result.failed
    assert all("neither results nor errors" in f.message for f in result.failed)
    assert all("|" in f.record for f in result.failed)  # the KPI records, not the companies
    sandbox.faults.clear()
    # Nothing of them was remembered as pushed: the next push sends them all.
    assert writer.push(store).written == len(result.failed)


def test_hubspot_default_properties_are_refused(
    pulled: tuple[Sandbox, Store, HubSpotWriter],
) -> None:
    _, store, writer = pulled
    writer.setup()
    push = PushMapping.model_construct(
        **{**writer.push_mapping.model_dump(), "company_properties": {"nps": "industry"}}
    )
    sneaky = HubSpotWriter("hs", writer.config, push)
    with pytest.raises(FatalError, match="HubSpot's own"):
        sneaky.push(store)
