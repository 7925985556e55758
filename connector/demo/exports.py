"""`crm-kpi demo --exports`: the whole pipeline on the sample exports shipped in `data/`."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from rich.console import Console

from connector.config import load_config
from connector.crms.config import shipped_mapping
from connector.errors import EXIT_OK
from connector.invocation import suggest
from connector.pipeline import compute_kpis, open_store, pull, write_dashboard
from connector.report import fetch_results, latest_won_quarter, render_table
from connector.resources import shipped
from connector.store.problems import quarantined


def write_demo_config(workdir: Path) -> Path:
    """A config for the sample exports, with targets, in `workdir`."""
    template = yaml.safe_load(shipped("demo/data/config.yaml").read_text(encoding="utf-8"))
    for source in template["sources"]:
        source["path"] = str(shipped("demo/data/exports"))
        source["mapping"] = str(shipped_mapping("files.yaml"))
    template["store"] = {"path": "crm-kpi.duckdb"}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    return path


def run_demo(workdir: Path, console: Console) -> int:
    """Pull the sample exports, compute every KPI, and print the latest quarter."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    config = load_config(write_demo_config(workdir))
    with open_store(config) as store:
        console.rule("1. pull: sample CRM exports → normalized store")
        summary = pull(config, store, progress=lambda m: console.log(f"reading {m}"))
        console.print(
            f"{summary.loaded:,} records loaded, {summary.quarantined} bad rows quarantined, "
            f"{summary.findings} data-quality findings"
        )
        for row in quarantined(store, limit=5):
            console.print(f"  quarantined {row}")
        console.rule("2. compute: 14 KPIs × month/quarter/year × company/team/owner/territory")
        result = compute_kpis(config, store)
        console.print(
            f"{result.rows:,} KPI rows for {result.periods} periods in {result.seconds:.1f} s"
        )
        quarter = latest_won_quarter(store, config.reporting.fiscal_year_start_month)
        console.rule(f"3. results: company KPIs for {quarter}")
        rows = fetch_results(store, quarter, ["company"], breakdowns=False)
        render_table(rows, config.reporting.currency, console)
    console.print(f"Dashboard: {write_dashboard(config, workdir / 'kpis.html')}")
    console.print(f"\nStore: {config.store.path} (table kpi_results). Try:")
    path = config.config_path
    for args in (("compute", "--config", path, "--period", quarter or "", "--scope", "owner"),
                 ("problems", "--config", path), ("validate", "--config", path)):  # fmt: skip
        console.print(f"  {suggest(*args)}", markup=False, highlight=False, soft_wrap=True)
    return EXIT_OK
