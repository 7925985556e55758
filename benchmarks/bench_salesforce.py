"""Benchmark the Salesforce source and writer against the sandbox, through simple-salesforce.

The sandbox runs in its own process (so the peak memory printed is the connector's own):
a full pull, a pull of the unchanged org, 1 % of opportunities, leads and tasks changed
through Bulk API 2.0 and an incremental pull, then a push of 10k KPI rows and an unchanged
re-push, and the next night's push (nothing changed, the period in progress
re-stamped). Each pull prints API calls, records read (every record the API answered),
records loaded, wall time and peak RSS.

    .venv/bin/python benchmarks/bench_salesforce.py [--scale 40] [--push-rows 10000]
        [--push-only]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_sandbox_salesforce import start_sandbox  # noqa: E402
from connector.crms.salesforce.client import SalesforceSession  # noqa: E402
from connector.crms.salesforce.config import SalesforceConfig  # noqa: E402
from connector.crms.salesforce.mapping import load_mapping  # noqa: E402
from connector.crms.salesforce.read import SalesforceSource  # noqa: E402
from connector.crms.salesforce.write import SalesforceWriter  # noqa: E402
from connector.kpi.engine import RESULTS_DDL  # noqa: E402
from connector.presentation import Wording  # noqa: E402
from connector.store import Store  # noqa: E402

CHANGED = {"Opportunity": ("opportunities", "Amount"), "Lead": ("leads", "Status"),
           "Task": ("activities", "Subject")}  # fmt: skip


class Meter:
    """Counts API calls and time spent in HTTP, by wrapping the session's `request`."""

    def __init__(self) -> None:
        self.calls = 0
        self.http_seconds = 0.0
        self.kinds: Counter[str] = Counter()  # API calls by method and path shape
        self._original = SalesforceSession.request

    def install(self) -> None:
        original, meter = self._original, self

        def request(session: SalesforceSession, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(session, *args, **kwargs)
            finally:
                meter.http_seconds += time.perf_counter() - started
                url = str(args[1] if len(args) > 1 else "")
                if "/services/data/" in url or "/services/Soap/" in url:  # REST, Metadata API
                    meter.calls += 1
                    meter.kinds[f"{args[0]} {call_kind(url)}"] += 1

        SalesforceSession.request = request  # type: ignore[method-assign]

    def reset(self) -> None:
        self.calls, self.http_seconds = 0, 0.0
        self.kinds.clear()


def call_kind(url: str) -> str:
    """The path of an API call without version, ids and query string."""
    full = urlsplit(url).path
    if "/services/Soap/" in full:  # the Metadata API: deployRequest[/{id}]
        rest = full.split("/services/Soap/", 1)[1].split("/", 2)[-1]
        return "Soap " + re.sub(r"/[0-9A-Za-z]{15,18}$", "/{id}", rest)
    path = full.split("/services/data/", 1)[1].split("/", 1)[-1]
    return re.sub(r"/[0-9A-Za-z]{15,18}(?=/|$)", "/{id}", path)


def config_for(info: dict[str, Any]) -> SalesforceConfig:
    sf = info["salesforce"]
    return SalesforceConfig.model_validate({
        "name": "sf", "type": "salesforce", "login_url": sf["login_url"],
        "ca_file": info["ca_file"], "push": {"enabled": True},
        "auth": {"method": "jwt", "consumer_key": sf["consumer_key"], "username": sf["username"],
                 "private_key_file": sf["jwt_private_key_file"]},
        "pull": {"bulk_poll_seconds": 1},
    })  # fmt: skip


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_pull(label: str, source: SalesforceSource, store: Store, meter: Meter) -> int:
    """Wall time, API calls, records read, and client throughput two ways: wall minus time
    in HTTP, and per second of this process's CPU (meaningful when other processes share
    the CPUs). Returns the API calls."""
    meter.reset()
    started, cpu_started = time.perf_counter(), time.process_time()
    results = source.pull(store)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    records = sum(r.loaded + r.deleted for r in results)
    client = max(wall - meter.http_seconds, 1e-9)
    print(f"{label}: {meter.calls} API calls, {source.records_read:,} records read, "
          f"{records:,} loaded or deleted, {wall:.1f} s wall ({records / wall:,.0f} records/s); "
          f"client side {client:.1f} s = {records / client:,.0f} records/s normalized and "
          f"stored; client CPU {cpu:.1f} s = {records / max(cpu, 1e-9):,.0f} records/s; "
          f"peak RSS {peak_mb():,.0f} MiB")  # fmt: skip
    print("  " + ", ".join(f"{n} {kind}" for kind, n in sorted(meter.kinds.items())))
    return meter.calls


def change_one_percent(source: SalesforceSource, store: Store) -> int:
    """Update 1 % of opportunities, leads and tasks through Bulk API 2.0 (another user)."""
    total = 0
    with source.transport() as transport:
        for sobject, (table, field) in CHANGED.items():
            prefix = "00T" if sobject == "Task" else ""
            ids = [r[0] for r in store.con.execute(
                f"SELECT id FROM {table} WHERE NOT is_deleted AND id LIKE '{prefix}%' "
                "ORDER BY id").fetchall()]  # fmt: skip
            picked = ids[::100]
            value = (
                "Working - Contacted" if field == "Status" else "42" if field == "Amount" else "x"
            )
            handler = getattr(transport.client.bulk2, sobject)
            handler.update(records=[{"Id": i, field: value} for i in picked], wait=1)
            total += len(picked)
    return total


def kpi_rows(store: Store, keys: int) -> None:
    """`keys` period × scope rows of 15 KPIs, the shape the KPI engine writes."""
    store.con.execute(RESULTS_DDL)
    store.con.execute(f"""INSERT INTO kpi_results (kpi, period_type, period, period_start,
          period_end, scope_type, scope_id, breakdown_type, breakdown_value, value, numerator,
          denominator, target, attainment, gap, note, computed_at, source, pace)
        SELECT k.kpi, 'month', strftime(d, '%Y-%m'), d, last_day(d), 'team', 'team-' || s,
          NULL, NULL, random() * 1000, NULL, NULL, 500, NULL, NULL, NULL, now(), NULL, NULL
        FROM range({keys}) r(i), (SELECT DATE '2020-01-01' + INTERVAL (i % 60) MONTH AS d,
          i // 60 AS s, i FROM range({keys}) t(i)) p,
          (SELECT unnest(['total_revenue','gross_margin','sales_growth','lead_to_opportunity',
            'closing_ratio','lead_to_sale','sales_by_contact_method','avg_sales_cycle_days',
            'arpa','cac','clv','clv_to_cac','retention_rate','churn_rate','nps']) AS kpi) k
        WHERE p.i = r.i""")  # fmt: skip
    # As the engine says it: the last month in progress, every other one closed.
    store.con.execute("UPDATE kpi_results SET period_status = CASE WHEN period = "
                      "(SELECT max(period) FROM kpi_results) THEN 'in progress' "
                      "ELSE 'closed' END")  # fmt: skip


def next_night(store: Store) -> int:
    """The results as the next night's run leaves them when nothing changed: computed
    a day later. Returns the records of the period in progress (re-stamped)."""
    store.con.execute("UPDATE kpi_results SET computed_at = computed_at + INTERVAL 1 DAY")
    return int(store.scalar("SELECT count(DISTINCT (period, scope_type, scope_id)) "
                            "FROM kpi_results WHERE period_status = 'in progress'"))


def timed_push(label: str, writer: SalesforceWriter, store: Store) -> None:
    started = time.perf_counter()
    result = writer.push(store)
    print(f"{label}: {result.written:,} records written, {result.unchanged:,} unchanged, "
          f"{len(result.failed)} failed, {result.api_calls} API calls, "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip


def run(
    info: dict[str, Any],
    folder: Path,
    say: Callable[[str], None],
    push_rows: int,
    *,
    pull: bool = True,
) -> None:
    meter = Meter()
    meter.install()
    config = config_for(info)
    mapping = load_mapping(config.mapping_path)
    source = SalesforceSource("sf", config, mapping, "UTC")
    if pull:
        pulls(source, folder, meter, say)
    if not push_rows:
        return
    writer = SalesforceWriter("sf", config, mapping.push, Wording("USD"))
    for label in ("setup", "setup again, nothing new"):
        meter.reset()
        started = time.perf_counter()
        actions = writer.setup()
        say(f"{label}: {len(actions)} actions, {meter.calls} API calls (deploy included), "
            f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    with Store(":memory:") as kpis:
        kpi_rows(kpis, push_rows)
        timed_push(f"push of {push_rows:,} KPI rows", writer, kpis)
        timed_push("re-push, nothing changed", writer, kpis)
        running = next_night(kpis)
        timed_push(f"the next night, nothing changed ({running} records in progress, "
                   "re-stamped)", writer, kpis)  # fmt: skip


def pulls(
    source: SalesforceSource, folder: Path, meter: Meter, say: Callable[[str], None]
) -> None:
    """A full pull, an unchanged pull, 1 % of changes and the incremental pull reading them."""
    with Store(folder / "bench.duckdb", memory_limit="2GB") as store:
        full_calls = timed_pull("full pull", source, store, meter)
        for table in ("opportunities", "leads", "activities"):
            say(f"  {table}: {store.count(table, source='sf'):,}")
        timed_pull("pull of the unchanged org", source, store, meter)
        changed = change_one_percent(source, store)
        say(f"changed {changed:,} records (1 %) through Bulk API 2.0")
        calls = timed_pull("incremental pull", source, store, meter)
        say(f"  incremental calls = {calls / full_calls:.1%} of the full pull's; records read "
            f"= {source.records_read / changed:.2f} x records changed (rates, pulled whole, "
            "included)")  # fmt: skip
        timed_pull("unchanged again (re-reads what changed in the overlap before it)",
                   source, store, meter)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=40.0)
    parser.add_argument("--push-rows", type=int, default=10_000, help="0: pulls only")
    parser.add_argument("--push-only", action="store_true", help="setup and push, no pulls")
    parser.add_argument("--sandbox-memory", default="4GB",
                        help="the sandbox org database's memory (scale 40 needs more than 1GB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        proc, info = start_sandbox(args.scale, Path(tmp), args.sandbox_memory)
        print(f"sandbox at scale {args.scale} ready in {time.perf_counter() - started:.0f} s")
        try:
            run(info, Path(tmp), print, args.push_rows, pull=not args.push_only)
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
