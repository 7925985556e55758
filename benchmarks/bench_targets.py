"""Targets benchmark: loading a big targets CSV, reading quotas and goals from the
sandbox CRMs, and what `crm-kpi validate` costs in API calls.

    .venv/bin/python benchmarks/bench_targets.py [--rows 200000] [--scale 1.0]

Prints, for each: rows (or records), API calls, wall time and this process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.config import Config
from connector.crms.hubspot import read as hubspot_source
from connector.crms.hubspot.targets import read_goals
from connector.crms.salesforce import read as salesforce_source
from connector.crms.salesforce.targets import read_quotas
from connector.pipeline import load_targets_file
from connector.settings import Reporting
from connector.store import ParseOptions, Store
from connector.validation import validate_config
from crm_sandbox import Sandbox

TOKEN_ENV = "CRM_KPI_BENCH_HUBSPOT_TOKEN"
REPORTING = Reporting(currency="USD", timezone="UTC")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, work: Callable[[], tuple[int, int]]) -> None:
    started = time.perf_counter()
    rows, calls = work()
    seconds = time.perf_counter() - started
    rate = f", {rows / seconds:,.0f} rows/s" if rows else ""
    print(f"{label}: {rows:,} rows, {calls:,} API calls, {seconds:.2f} s{rate}, "
          f"peak RSS {_peak_rss_mb():,.0f} MB")  # fmt: skip


def targets_csv(folder: Path, rows: int) -> None:
    path = folder / "targets.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("kpi,period_type,period,scope_type,scope,value\n")
        for i in range(rows):
            year, month = 2000 + (i // 12) % 30, i % 12 + 1
            out.write(f"total_revenue,month,{year}-{month:02d},owner,rep{i // 360}@example.com,"
                      f"{1000 + i % 997}\n")  # fmt: skip
    (folder / "exports").mkdir()
    config = Config.model_validate({
        "reporting": {"currency": "USD", "timezone": "UTC"},
        "sources": [{"name": "exports", "type": "files", "path": str(folder / "exports")}],
        "targets_file": str(path),
    })  # fmt: skip

    def load() -> tuple[int, int]:
        with Store(folder / "store.duckdb") as store:
            result = load_targets_file(config, store)
            assert result is not None
            assert result.quarantined == 0
            return result.loaded, 0

    _timed(f"targets CSV, {rows:,} rows (first load)", load)
    _timed(f"targets CSV, {rows:,} rows (same file again)", load)


def sandbox_sources(sb: Sandbox) -> tuple[dict[str, Any], dict[str, Any]]:
    info = sb.info["salesforce"]
    salesforce = {
        "name": "salesforce", "type": "salesforce", "login_url": info["login_url"],
        "ca_file": sb.info["ca_file"],
        "auth": {"method": "jwt", "consumer_key": info["consumer_key"],
                 "username": info["username"], "private_key_file": info["jwt_private_key_file"]},
    }  # fmt: skip
    os.environ[TOKEN_ENV] = sb.info["hubspot"]["access_token"]
    hubspot = {
        "name": "hubspot", "type": "hubspot", "host": sb.info["hubspot"]["host"],
        "ca_file": sb.info["ca_file"],
        "auth": {"method": "private_app", "access_token": f"${{{TOKEN_ENV}}}"},
        "limits": {"requests_per_window": 10_000, "search_requests_per_second": 1_000},
    }  # fmt: skip
    return salesforce, hubspot


def crm_targets(sb: Sandbox, folder: Path) -> None:
    salesforce, hubspot = sandbox_sources(sb)
    config = Config.model_validate({"reporting": {"currency": "USD", "timezone": "UTC"},
                                    "sources": [salesforce, hubspot]})  # fmt: skip
    sf = salesforce_source(config.sources[0], REPORTING)  # type: ignore[arg-type]
    hs = hubspot_source(config.sources[1], REPORTING)  # type: ignore[arg-type]
    sb.hubspot.limits.configure(per_ten_seconds=None, search_per_second=None)  # limits lifted

    def quotas() -> tuple[int, int]:
        with sf.transport() as transport, Store(folder / "crm.duckdb") as store:
            result, _ = read_quotas(transport, sf.mapping.targets.quotas, store=store,
                                    source="salesforce", timezone="UTC")  # fmt: skip
            return result.loaded, transport.api_calls

    def goals() -> tuple[int, int]:
        with Store(folder / "crm.duckdb") as store:
            before = hs.api_calls
            result, _ = read_goals(hs.api, hs.mapping.targets.goals, store=store,
                                   source="hubspot", opts=ParseOptions("UTC"))  # fmt: skip
            return result.loaded, hs.api_calls - before

    def validate() -> tuple[int, int]:
        before = sb.stats()["total"]
        report = validate_config(config)
        assert not report.problems, report.problems
        return 0, int(sb.stats()["total"]) - int(before)

    _timed("Salesforce ForecastingQuota → targets", quotas)
    _timed("Salesforce quotas again within every_hours (kept, not read)", quotas)
    _timed("HubSpot goal_targets → targets", goals)
    _timed("HubSpot goals again within every_hours (kept, not read)", goals)
    _timed("crm-kpi validate, both CRMs (calls counted by the sandbox)", validate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the targets CSV")
    parser.add_argument("--scale", type=float, default=1.0, help="sandbox org size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        targets_csv(folder, args.rows)
        started = time.perf_counter()
        with Sandbox(seed=7, scale=args.scale) as sb:
            print(f"sandbox at scale {args.scale:g} ready in {time.perf_counter() - started:.1f} s")
            crm_targets(sb, folder)


if __name__ == "__main__":
    main()
