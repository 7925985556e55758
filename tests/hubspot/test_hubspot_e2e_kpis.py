"""End to end: the KPI table from HubSpot equals the one from the same org's file export."""

from __future__ import annotations

from pathlib import Path

import pytest
from hs_helpers import app_config, source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.mapping import load_mapping
from connector.pipeline import build_source, compute_kpis
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
# Owner and product ids differ between the CRMs (the export uses Salesforce ids): those
# scopes and breakdowns are left out. At this scale the org has no deal pointing at a
# company that does not exist (dirty data HubSpot cannot hold as an association).
COMPARED = """
  SELECT kpi, period_type, period, scope_type, coalesce(scope_id, '') AS scope_id,
         coalesce(breakdown_type, '') AS breakdown_type,
         coalesce(breakdown_value, '') AS breakdown_value,
         round(value, 6) AS value, round(numerator, 6) AS numerator,
         round(denominator, 6) AS denominator
  FROM kpi_results
  WHERE scope_type <> 'owner' AND coalesce(breakdown_type, '') <> 'product'
  ORDER BY ALL"""


def _kpis(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute(COMPARED).fetchall()


def test_kpis_from_hubspot_equal_kpis_from_the_file_export(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    sandbox.org.export_files(export)
    files = {"costs": export / "costs.csv", "exchange_rates": export / "exchange_rates.csv"}
    # HubSpot owners carry no territory: the mapping gives each team's (as a portal would).
    teams = (
        sandbox.org.cursor()
        .execute("SELECT DISTINCT r.name, u.territory FROM users u JOIN teams r ON r.n = u.team_n")
        .fetchall()
    )
    default = load_mapping(shipped_mapping("hubspot.yaml"))
    owners = default.owners.model_copy(update={"team_territories": dict(teams)})
    mapping = default.model_copy(update={"files": files, "owners": owners})
    hs_config = source_config(sandbox)
    with Store(tmp_path / "hs.duckdb") as hs_store:
        HubSpotSource(hs_config, mapping, "UTC").pull(hs_store)
        app = app_config(tmp_path / "hs.duckdb", [hs_config.model_dump(mode="json")])
        compute_kpis(app, hs_store)
        from_hubspot = _kpis(hs_store)
    files_app = app_config(
        tmp_path / "files.duckdb", [{"name": "files", "type": "files", "path": str(export)}]
    )
    with Store(tmp_path / "files.duckdb") as files_store:
        build_source(files_app, files_app.sources[0]).pull(files_store)
        compute_kpis(files_app, files_store)
        from_files = _kpis(files_store)
    assert len(from_hubspot) > 100
    missing = sorted(set(from_files) - set(from_hubspot))[:6]
    extra = sorted(set(from_hubspot) - set(from_files))[:6]
    assert (missing, extra) == ([], [])
