"""Equality is the test: the whole engine on DuckDB and on Spark (local) over the sample
exports and a sandbox org must give the same rows, values within 1e-9 relative, and
identical notes, targets, attainment and pace; in two time zones and two fiscal-year
starts, with an in-progress period (pace) and targets of every kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from spark_support import (
    account_figures,
    assert_same_figures,
    assert_same_results,
    computed,
)

from connector.config import Config, load_config
from connector.demo.exports import write_demo_config
from connector.pipeline import open_store, pull
from connector.settings import PaceSettings
from crm_sandbox import Sandbox

pytestmark = pytest.mark.spark

AS_OF = dt.date(2026, 9, 20)  # September 2026 and Q3 in progress: pace
# A CSV / quota style target of every kind the targets table holds.
TARGET_ROWS = [
    ("t1", "total_revenue", "quarter", "2026-07-01", "owner", "REP3@example.com", 90000, "EUR",
     "csv"),
    ("t2", "total_revenue", "month", None, "team", "team 1", 60000, None, "csv"),
    ("t3", "closing_ratio", "quarter", None, "territory", "EMEA North", 0.3, None, "quota"),
]  # fmt: skip


def _with_reporting(config: Config, timezone: str, fiscal: int) -> Config:
    reporting = config.reporting.model_copy(
        update={"timezone": timezone, "fiscal_year_start_month": fiscal}
    )
    kpis = config.kpis.model_copy(update={"churn_after_days": 365, "clv_lifespan_years": None,
                                          **SETTINGS[timezone]})  # fmt: skip
    return config.model_copy(update={"reporting": reporting, "kpis": kpis})


def _add_targets(config: Config) -> None:
    with open_store(config) as store:
        for row in TARGET_ROWS:
            store.execute(
                "INSERT INTO targets (source, id, is_deleted, kpi, period_type, period_start, "
                "scope_type, scope_id, value, currency, origin) "
                "VALUES ('exports', ?, false, ?, ?, ?, ?, ?, ?, ?, ?)",
                list(row),
            )


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The sample exports, pulled, with the demo's targets and a targets table."""
    folder = tmp_path_factory.mktemp("exports")
    config = load_config(write_demo_config(folder))
    with open_store(config) as store:
        pull(config, store)
    _add_targets(config)
    return config


def _salesforce_config(sb: Sandbox, folder: Path) -> Path:
    """A config pulling the running sandbox's Salesforce org (JWT: no secret to pass)."""
    info = sb.info["salesforce"]
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({
        "reporting": {"currency": "USD", "timezone": "UTC"},
        "store": {"path": "store.duckdb"},
        "sources": [{
            "name": "sf", "type": "salesforce", "login_url": info["login_url"],
            "ca_file": sb.info["ca_file"],
            "auth": {"method": "jwt", "consumer_key": info["consumer_key"],
                     "username": info["username"],
                     "private_key_file": info["jwt_private_key_file"]},
            "http": {"initial_backoff_seconds": 0.01}, "pull": {"bulk_poll_seconds": 0},
        }],
        "kpis": {"default_cogs_rate": 0.3, "target_rollup": {"team": ["total_revenue"]}},
        "targets": [
            {"kpi": "total_revenue", "period_type": "month", "value": 400000},
            {"kpi": "nps", "period_type": "quarter", "value": 30},
            {"kpi": "cac", "period_type": "quarter", "value": 5000},
        ],
    }))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def sandbox_org(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A sandbox Salesforce org (seed 11, scale 0.05) pulled through simple-salesforce."""
    folder = tmp_path_factory.mktemp("org")
    with Sandbox(seed=11, scale=0.05, now=dt.datetime(2026, 9, 20)) as sb:
        config = load_config(_salesforce_config(sb, folder))
        with open_store(config) as store:
            summary = pull(config, store)
    assert summary.loaded > 1000
    assert summary.quarantined == 0
    with open_store(config) as store:
        # Quotas of three reps, by their CRM ids: their teams' targets are the sums.
        reps = store.fetch("SELECT id FROM owners WHERE team IS NOT NULL ORDER BY id LIMIT 3")
        assert len(reps) == 3
        for n, (rep,) in enumerate(reps):
            store.execute(
                "INSERT INTO targets (source, id, is_deleted, kpi, period_type, scope_type, "
                "scope_id, value, origin) VALUES ('sf', ?, false, 'total_revenue', 'month', "
                "'owner', ?, ?, 'quota')",
                [f"q{n}", rep, 20000.0 * (n + 1)],
            )
    return config


CASES = [("UTC", 1), ("America/New_York", 4)]
# Per case, the definition choices: the defaults, then growth a year back and a pace that
# waits (September 20th is before day 21; two won deals at least): the notes of both.
SETTINGS: dict[str, dict[str, Any]] = {
    "UTC": {},
    "America/New_York": {"growth_basis": "year_over_year",
                         "pace": PaceSettings(min_days=21, min_deals=2)},
}  # fmt: skip


def _on_both(config: Config, timezone: str, fiscal: int) -> dict[Any, dict[str, Any]]:
    """DuckDB's rows, after checking that Spark computes the same, and the same figures
    of each account (saved, as `run` saves them)."""
    config = _with_reporting(config, timezone, fiscal)
    with open_store(config) as store:
        duck = computed(config, store, "duckdb", AS_OF, save=True)
        duck_figures = account_figures(store)
        on_spark = computed(config, store, "spark", AS_OF, save=True)
        spark_figures = account_figures(store)
    assert_same_results(duck, on_spark)
    assert_same_figures(duck_figures, spark_figures)
    assert any(f[0] for f in duck_figures.values()), "accounts with revenue compared"
    return duck


# Each data set in one of the two cases (a Spark computation costs ~30 s here): the
# exports with New York's zone, April's fiscal year and the non-default definitions, the
# org below with UTC, January and the defaults.
@pytest.mark.parametrize(("timezone", "fiscal"), CASES[1:], ids=["new_york-apr"])
def test_sample_exports_give_the_same_results_on_both_engines(
    spark: Any, exports: Config, timezone: str, fiscal: int
) -> None:
    duck = _on_both(exports, timezone, fiscal)
    # what the comparison covered: pace, and growth so far of the periods in progress
    assert len(duck) > 40_000
    assert any(r["pace"] is not None for r in duck.values())
    so_far = [r for r in duck.values() if r["kpi"] == "sales_growth" and r["value"] is not None
              and (r["note"] or "").startswith("so far: the first ")]  # fmt: skip
    assert so_far, "growth of a period in progress, like for like"
    if SETTINGS[timezone]:
        assert any(r["pace_note"] for r in duck.values()), "pace held back, with its note"
    assert any(r["kpi"] == "churn_rate" and r["note"] for r in duck.values())
    rep3 = [r for r in duck.values() if r["scope_id"] == "U3" and r["target"] is not None]
    assert rep3, "the EUR target of rep 3, named by e-mail, resolved"


@pytest.mark.parametrize(("timezone", "fiscal"), CASES[:1], ids=["UTC-jan"])
def test_a_sandbox_org_gives_the_same_results_on_both_engines(
    spark: Any, sandbox_org: Config, timezone: str, fiscal: int
) -> None:
    duck = _on_both(sandbox_org, timezone, fiscal)
    assert any(r["target"] is not None and r["scope_type"] == "team" for r in duck.values())
