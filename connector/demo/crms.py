"""`crm-kpi demo`: the nightly job end to end against both sandbox CRMs.

Two sandboxes play two business units: one org in Salesforce, another in HubSpot.
The demo writes a config for them (secrets as ${ENV} references, set for this process
only), creates the KPI object and fields in each CRM, runs `crm-kpi run` through the
real client libraries, prints the KPIs and where they landed, writes the dashboard, and
stops both sandboxes. It shows what a named rep sees on the KPI card in each CRM, and
writes the HubSpot card's project for its config (`crm-kpi card hubspot`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rich.console import Console

from connector.config import Config, load_config
from connector.crms.hubspot.config import HubSpotConfig
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.mapping import load_mapping
from connector.demo.hubspot_view import show_hubspot_rep_view
from connector.demo.salesforce_view import show_rep_view
from connector.demo.sandbox import Sandbox
from connector.invocation import suggest
from connector.kpi.periods import period_of
from connector.pipeline import build_writer, write_dashboard
from connector.report import fetch_results, latest_won_quarter, render_table
from connector.resources import shipped
from connector.run import RunSummary, format_summary, run_nightly
from connector.runlog import RunLog
from connector.store import Store
from connector.store.push import ensure_state, pushed

HUBSPOT_TOKEN_ENV = "CRM_KPI_DEMO_HUBSPOT_TOKEN"
REPS_SHOWN = 8


def demo_config(workdir: Path, salesforce: dict[str, Any], hubspot: dict[str, Any]) -> Path:
    """config.yaml for the two sandbox CRMs, with the sample targets."""
    text = shipped("demo/data/config.yaml").read_text(encoding="utf-8")
    # The company's targets from the sample config; each rep's and team's come from the
    # CRMs themselves: Salesforce quotas, HubSpot goals.
    targets = [t for t in yaml.safe_load(text)["targets"] if "scope_type" not in t]
    sf = salesforce["salesforce"]
    # The sandboxes' files vanish with them; the commands suggested afterwards load this
    # config (it names them), so it names copies kept in the workdir, relative to the
    # config's folder as every relative path in a config is read.
    kept = workdir / "sandbox"
    kept.mkdir(exist_ok=True)
    sf_ca = shutil.copyfile(salesforce["ca_file"], kept / "salesforce-ca.pem")
    sf_key = shutil.copyfile(sf["jwt_private_key_file"], kept / "salesforce-jwt-key.pem")
    hs_ca = shutil.copyfile(hubspot["ca_file"], kept / "hubspot-ca.pem")
    config = {
        "reporting": {"currency": "USD", "timezone": "America/New_York"},
        "store": {"path": "crm-kpi.duckdb"},
        "sources": [
            {
                "name": "salesforce", "type": "salesforce", "login_url": sf["login_url"],
                "ca_file": str(sf_ca.relative_to(workdir)),
                "auth": {"method": "jwt", "consumer_key": sf["consumer_key"],
                         "username": sf["username"],
                         "private_key_file": str(sf_key.relative_to(workdir))},
                "pull": {"bulk_poll_seconds": 0},
                # the sandbox deploys at once: its first check comes sooner than an org's
                "push": {"enabled": True, "deploy_poll_seconds": 0.2},
            },
            {
                "name": "hubspot", "type": "hubspot", "host": hubspot["hubspot"]["host"],
                "ca_file": str(hs_ca.relative_to(workdir)),
                "auth": {"method": "private_app", "access_token": f"${{{HUBSPOT_TOKEN_ENV}}}"},
                "push": {"enabled": True},
            },
        ],
        "kpis": {"default_cogs_rate": 0.35, "churn_after_days": 730},
        "targets": targets,
    }  # fmt: skip
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def run_crm_demo(workdir: Path, console: Console, scale: float = 0.1) -> int:
    """Run the demo in `workdir` (emptied first); nothing keeps running afterwards."""
    started = time.perf_counter()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    console.rule("1. two sandbox CRMs on loopback HTTPS (Salesforce and HubSpot orgs)")
    with Sandbox(seed=7, scale=scale) as sf_org, Sandbox(seed=11, scale=scale) as hs_org:
        os.environ[HUBSPOT_TOKEN_ENV] = hs_org.info["hubspot"]["access_token"]
        try:
            summary = _run(workdir, console, sf_org, hs_org)
        finally:
            os.environ.pop(HUBSPOT_TOKEN_ENV, None)
    console.print(f"\nDone in {time.perf_counter() - started:.0f} s; both sandboxes stopped. "
                  f"Config and store: {workdir}")  # fmt: skip
    return summary.exit_code


def _run(workdir: Path, console: Console, sf_org: Sandbox, hs_org: Sandbox) -> RunSummary:
    config = load_config(demo_config(workdir, sf_org.info, hs_org.info))
    console.print(f"Salesforce org at {sf_org.info['salesforce']['instance_url']}, "
                  f"HubSpot portal at {hs_org.info['hubspot']['host']}")  # fmt: skip
    console.rule("2. setup: the KPI object and fields in each CRM")
    for line in _setup(config):
        console.print(f"  {line}")
    console.rule("3. crm-kpi run: pull both CRMs, compute, push back")
    summary = run_nightly(config, RunLog("plain", sys.stdout))
    console.print(format_summary(summary, config.config_path), markup=False)
    _show_results(config, console)
    console.rule("What a Salesforce rep sees (their own session, the card's query)")
    sf_source = next(s for s in config.sources if isinstance(s, SalesforceConfig))
    show_rep_view(sf_org.info["salesforce"], sf_org.info["ca_file"],
                  load_mapping(sf_source.mapping_path).push, console)  # fmt: skip
    console.rule("What a HubSpot rep sees (the card's project, its requests, its rows)")
    hs_source = next(s for s in config.sources if isinstance(s, HubSpotConfig))
    show_hubspot_rep_view(config, hs_source, hs_org.info["hubspot"], workdir / "hubspot-card",
                          console)  # fmt: skip
    console.rule("5. dashboard")
    out = write_dashboard(config, workdir / "kpis.html")
    console.print(f"  {out} (one offline HTML file)")
    _suggest(config, console)
    return summary


def _setup(config: Config) -> list[str]:
    lines = []
    for source in config.sources:
        if source.pushes:
            actions = build_writer(config, source).setup()
            lines += [f"{source.name}: {a}" for a in actions] or [f"{source.name}: in place"]
    return lines


def _show_results(config: Config, console: Console) -> None:
    with Store(config.store.path) as store:
        quarter = latest_won_quarter(store, config.reporting.fiscal_year_start_month)
        console.rule(f"4. KPIs, both CRMs merged: company, {quarter}")
        rows = fetch_results(store, quarter, ["company"], breakdowns=False)
        render_table(rows, config.reporting.currency, console)
        month = period_of(dt.datetime.now(ZoneInfo(config.reporting.timezone)).date(), "month")
        console.rule(f"Reps against their own quota (Salesforce) or goal (HubSpot), {month}")
        reps = [r for r in fetch_results(store, month.key, ["owner"], breakdowns=False)
                if r["kpi"] == "total_revenue" and r["target"] is not None]  # fmt: skip
        render_table(reps[:REPS_SHOWN], config.reporting.currency, console)
        console.print("Where the results landed:")
        for line in _landed(store):
            console.print(f"  {line}")


def _suggest(config: Config, console: Console) -> None:
    """Commands to go on with, as they can be typed here (the sandboxes are stopped: these
    read the store)."""
    path = config.config_path
    console.print("\nTry:")
    for args in (("status", "--config", path), ("problems", "--config", path),
                 ("compute", "--config", path, "--scope", "owner")):  # fmt: skip
        console.print(f"  {suggest(*args)}", markup=False, highlight=False, soft_wrap=True)


def _landed(store: Store) -> list[str]:
    lines = [
        f"{source}: {records:,} {target} records, {fields} fields each at most"
        for source, target, records, fields in pushed(store)
    ]
    return lines + [f"e.g. {example}" for example in _examples(store)]


def _examples(store: Store) -> list[str]:
    """One record of each kind as the CRMs were last given it (revenue, names, periods):
    a rep's own values on User, a rep's latest monthly KPI record, an account's or
    company's figures — of each kind the record with the most values."""
    ensure_state(store)
    rows = store.fetch(
        """WITH filled AS (SELECT source, target, record_key, count(value) AS n FROM push_state
                           WHERE target IN ('User', 'Account', 'companies')
                              OR record_key LIKE 'month|%|owner|%'
                           GROUP BY 1, 2, 3),
           one AS (SELECT source, target, arg_max(record_key, (n, record_key)) AS record_key
                   FROM filled GROUP BY 1, 2)
           SELECT s.source, s.target, s.record_key,
                  string_agg(s.field || ' ' || s.value, ', ' ORDER BY s.field)
           FROM push_state s JOIN one USING (source, target, record_key)
           WHERE s.value IS NOT NULL AND (s.target IN ('User', 'Account', 'companies')
             OR regexp_matches(lower(s.field), 'revenue|name|^period|owner'))
           GROUP BY 1, 2, 3 ORDER BY 1, 2"""
    )
    return [f"{source} {target} {key}: {values}" for source, target, key, values in rows]
