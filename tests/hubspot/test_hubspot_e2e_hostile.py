"""Issue 22's hostile records, read through the real clients (simple-salesforce,
hubspot-api-client) from the sandbox: a won deal closing 9999-12-31 or 9000-01-01, one
created 0001-01-01, amounts NaN, Infinity and 1e308 are quarantined with field, value
and reason, and every KPI value, target and attainment computed is finite."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hs_helpers import app_config, source_config
from salesforce.sf_helpers import make_source

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.mapping import load_mapping
from connector.pipeline import compute_kpis
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # ~7 s: two pulls and two computes

HOSTILE = [
    ("amount", float("nan"), "not a finite number"),
    ("amount", float("inf"), "not a finite number"),
    ("amount", 1e308, "more than any currency field holds"),
    ("close_date", dt.date(9999, 12, 31), "outside the reporting window"),
    ("close_date", dt.date(9000, 1, 1), "outside the reporting window"),
    ("created_at", dt.datetime(1, 1, 1), "outside the reporting window"),
]


def check(store: Store) -> None:
    quarantined = store.fetch(
        "SELECT field, reason FROM quarantine WHERE entity = 'opportunities' ORDER BY ALL"
    )
    for field, _, reason in HOSTILE:
        assert any(f == field and reason in r for f, r in quarantined), (field, quarantined)
    rows = store.fetch("SELECT value, target, attainment FROM kpi_results")
    assert len(rows) > 1000
    assert all(v is None or math.isfinite(v) for row in rows for v in row)
    assert store.scalar("SELECT max(abs(value)) FROM kpi_results") < 1e12


def test_hostile_crm_records_are_quarantined_and_the_kpis_stay_finite(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    won = sandbox.org.cursor().execute(
        "SELECT n FROM opportunities WHERE is_won ORDER BY n LIMIT ?", [len(HOSTILE)]
    ).fetchall()
    for (n,), (field, value, _) in zip(won, HOSTILE, strict=True):
        sandbox.org.update("opportunities", n, {field: value})
    files = {"name": "files", "type": "files", "path": str(tmp_path)}
    with Store(tmp_path / "sf.duckdb") as store:
        make_source(sandbox).pull(store)
        compute_kpis(app_config(tmp_path / "sf.duckdb", [files]), store)
        check(store)
    hubspot = source_config(sandbox)
    with Store(tmp_path / "hs.duckdb") as store:
        HubSpotSource(hubspot, load_mapping(shipped_mapping("hubspot.yaml")), "UTC").pull(store)
        compute_kpis(app_config(tmp_path / "hs.duckdb", [hubspot.model_dump(mode="json")]),
                     store)  # fmt: skip
        check(store)
