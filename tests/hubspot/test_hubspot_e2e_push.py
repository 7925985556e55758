"""End to end: setup, push, unchanged re-push, diff-only push, dry run, 207s, empty 2xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hs_helpers import app_config, source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.mapping import PushMapping, load_mapping
from connector.crms.hubspot.setup import find_schema
from connector.crms.hubspot.write import HubSpotWriter
from connector.errors import ConfigError
from connector.pipeline import compute_kpis
from connector.presentation import Wording
from connector.store import Store
from crm_sandbox import Sandbox
from crm_sandbox.hubspot.model import OWNER_BASE

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))
WORDING = Wording("USD")


@pytest.fixture
def pulled(sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[Sandbox, Store, HubSpotWriter]]:
    """A sandbox pulled into a store with KPIs computed, and a writer for it."""
    config = source_config(sandbox)
    store = Store(tmp_path / "store.duckdb")
    HubSpotSource(config, MAPPING, "UTC").pull(store)
    app = app_config(tmp_path / "store.duckdb", [config.model_dump(mode="json")])
    compute_kpis(app, store)
    try:
        yield sandbox, store, HubSpotWriter("hs", config, MAPPING.push, WORDING)
    finally:
        store.close()


def test_setup_is_idempotent(pulled: tuple[Sandbox, Store, HubSpotWriter]) -> None:
    sandbox, _, writer = pulled
    hint = f"run `{writer.config.setup_command()}`"
    assert hint.endswith(" setup hs`")
    assert writer.validate() == [
        f"hubspot.yaml: create custom object sales_kpi: {hint}",
        *(f"hubspot.yaml: create property companies.{name}: {hint}"
          for name in MAPPING.push.account_fields.values()),
    ]  # fmt: skip
    actions = writer.setup()
    assert "created custom object sales_kpi" in actions
    assert any("Sales KPIs" in a for a in actions)
    assert "created property companies.crm_kpi_revenue_this_year" in actions
    before = sandbox.stats()["endpoints"]
    assert writer.setup() == []
    assert writer.validate() == []
    after = sandbox.stats()["endpoints"]
    assert not [n for n in after if after[n] != before.get(n) and ("create" in n or "update" in n)]


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


def test_properties_it_may_not_write_stop_setup_before_any_change(
    pulled: tuple[Sandbox, Store, HubSpotWriter],
) -> None:
    sandbox, _, writer = pulled
    theirs = {"revenue_this_year": {"property": "industry", "take_over": True},
              "last_nps_score": "domain"}  # fmt: skip
    push = PushMapping.model_validate(
        {**writer.push_mapping.model_dump(exclude={"account_fields"}),
         "account_fields": theirs}
    )  # fmt: skip
    picky = HubSpotWriter("hs", writer.config, push, WORDING)
    before = sandbox.stats()["endpoints"]
    with pytest.raises(ConfigError) as err:
        picky.setup()
    assert [m.split(": ", 1)[1] for m in err.value.messages] == [
        "companies.industry is one of HubSpot's own properties: the writer never writes it; "
        "map the figure to a property of your own",
        "companies.domain is one of HubSpot's own properties: the writer never "
        "writes it; map the figure to a property of your own",
    ]
    assert err.value.messages[0].startswith("hubspot.yaml:")
    after = sandbox.stats()["endpoints"]
    assert not [n for n in after if after[n] != before.get(n) and "create" in n]
    assert picky.validate()[:2] == err.value.messages


def _all(api: Any, obj: str, properties: list[str]) -> list[dict[str, Any]]:
    records, after = [], None
    while True:
        page = api.list_page(obj, properties, after)
        records += page.get("results") or []
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return records


def test_records_are_named_formatted_and_owned_and_companies_get_their_own_figures(
    pulled: tuple[Sandbox, Store, HubSpotWriter],
) -> None:
    _, store, writer = pulled
    owner = str(store.scalar("SELECT min(id) FROM owners WHERE active"))
    email = str(store.scalar("SELECT email FROM owners WHERE id = ?", [owner]))
    push = PushMapping.model_validate({**writer.push_mapping.model_dump(), "default_owner": email})
    writer = HubSpotWriter("hs", writer.config, push, WORDING)
    writer.setup()
    assert writer.push(store).failed == []
    source = HubSpotSource(writer.config, MAPPING, "UTC")
    try:
        wanted = ["kpi_key", "kpi_name", "scope_type", "period", "closing_ratio_value",
                  "hubspot_owner_id"]  # fmt: skip
        records = _all(source.api, "sales_kpi", wanted)
        companies = _all(source.api, "companies", ["crm_kpi_revenue_last_12_months",
                                                   "crm_kpi_customer_since"])  # fmt: skip
    finally:
        source.transport.close()
    stored = {r["key"]: r["value"] for r in store.fetch_dicts(
        "SELECT period_type || '|' || period || '|' || scope_type || '|' || "
        "coalesce(scope_id, '-') AS key, value FROM kpi_results WHERE kpi = 'closing_ratio' "
        "AND breakdown_type IS NULL AND value IS NOT NULL")}  # fmt: skip
    by_key = {r["properties"]["kpi_key"]: r["properties"] for r in records}
    assert len(by_key) == len(records)
    for key, value in list(stored.items())[:20]:
        assert float(by_key[key]["closing_ratio_value"]) == round(value * 100, 1)
    company = next(p for p in by_key.values() if p["scope_type"] == "company")
    assert company["kpi_name"].startswith("Company · ")
    assert company["hubspot_owner_id"] == owner  # the default owner's
    figures = {r["account_id"]: r for r in store.fetch_dicts("SELECT * FROM account_figures")}
    customers = [c for c in companies if figures[c["id"]]["customer_since"] is not None]
    assert customers
    for record in customers:
        props, mine = record["properties"], figures[record["id"]]
        assert float(props["crm_kpi_revenue_last_12_months"]) == round(
            mine["revenue_last_12_months"]
        )
        assert props["crm_kpi_customer_since"] == str(mine["customer_since"])


def old_install(api: Any) -> None:
    """What setup created before this version: properties without descriptions, records
    shown by their key, the territory's figures on companies."""
    props = [{"name": "kpi_key", "label": "KPI key", "type": "string", "fieldType": "text",
              "hasUniqueValue": True},
             {"name": "nps_value", "label": "Nps value (higher is better)", "type": "number",
              "fieldType": "number"}]  # fmt: skip
    egg = {"name": "sales_kpi", "labels": {"singular": "Sales KPI", "plural": "Sales KPIs"},
           "primaryDisplayProperty": "kpi_key", "requiredProperties": ["kpi_key"],
           "properties": props, "associatedObjects": ["COMPANY"]}  # fmt: skip
    api.call("crm.schemas.core_api", "create", egg, what="old schema")
    group = {"name": "sales_kpis", "label": "Sales KPIs", "displayOrder": -1}
    api.call("crm.properties.groups_api", "create", "companies", group, what="old group")
    old = {"name": "crm_kpi_total_revenue", "label": "Total revenue (current month)",
           "type": "number", "fieldType": "number", "groupName": "sales_kpis"}  # fmt: skip
    api.call("crm.properties.core_api", "create", "companies", old, what="old property")
    ids = [r["id"] for r in api.list_page("companies", ["name"], None)["results"][:4]]
    inputs = [{"id": i, "properties": {"crm_kpi_total_revenue": "5"}} for i in ids]
    api.call("crm.objects.batch_api", "update", "companies", {"inputs": inputs}, what="old values")


def test_an_earlier_install_is_upgraded_in_place(
    pulled: tuple[Sandbox, Store, HubSpotWriter],
) -> None:
    _, store, writer = pulled
    source = HubSpotSource(writer.config, MAPPING, "UTC")
    try:
        old_install(source.api)
        actions = writer.setup()
        nps = "updated property sales_kpi.nps_value (label, description, numberDisplayHint)"
        assert nps in actions
        assert "retired property companies.crm_kpi_total_revenue (4 values cleared)" in actions
        assert "updated custom object sales_kpi (records named by kpi_name)" in actions
        assert "created property sales_kpi.kpi_name" in actions
        assert writer.setup() == []
        schema = find_schema(source.api, "sales_kpi")
        assert schema is not None
        assert schema["primaryDisplayProperty"] == "kpi_name"
        retired = {p["name"]: p for p in source.api.properties("companies")}
        assert retired["crm_kpi_total_revenue"]["label"] == (
            "Retired: Total revenue (current month)"
        )
        left = _all(source.api, "companies", ["crm_kpi_total_revenue"])
        assert not [c for c in left if c["properties"].get("crm_kpi_total_revenue")]
        assert writer.push(store).failed == []
    finally:
        source.transport.close()


def test_an_owner_gone_from_hubspot_fails_only_their_records(
    pulled: tuple[Sandbox, Store, HubSpotWriter],
) -> None:
    sandbox, store, writer = pulled
    writer.setup()
    # A rep the store knows as active is removed in HubSpot before the push: HubSpot
    # refuses the whole batch (400) for their records' owner id.
    gone = store.scalar(
        "SELECT min(scope_id) FROM kpi_results WHERE scope_type = 'owner' "
        "AND scope_id IN (SELECT id FROM owners WHERE active)"
    )
    sandbox.org.cursor().execute("DELETE FROM users WHERE n = ?", [int(gone) - OWNER_BASE])
    result = writer.push(store)
    theirs = store.scalar(
        "SELECT count(DISTINCT (period_type, period)) FROM kpi_results "
        "WHERE scope_type = 'owner' AND scope_id = ?",
        [gone],
    )
    assert {f.record.split("|")[3] for f in result.failed} == {gone}
    assert len(result.failed) == theirs
    assert all(f.field == "hubspot_owner_id" for f in result.failed)
    assert all(f"{gone} is not a valid owner id" in f.message for f in result.failed)
    written = {p.record for p in result.planned} - {f.record for f in result.failed}
    assert result.written == len(written)  # everyone else's records went through
    again = writer.push(store)
    assert again.written == 0
    assert len(again.failed) == theirs  # still refused, still only theirs
