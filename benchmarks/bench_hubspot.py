"""Benchmark the HubSpot source and writer through hubspot-api-client against the sandbox.

Prints, per phase: API calls (search calls against ceil(records / 200)), association
batches, wall time, time spent waiting for answers, client-side throughput (records per
second of the connector's own work: wall time minus HTTP and limiter waits), 429s, and
the process's peak RSS (the sandbox runs in the same process: an upper bound).

    .venv/bin/python benchmarks/bench_hubspot.py [--scale 2] [--limits-scale 0.02]
        [--push-rows 10000] [--skip-default-limits] [--push-only] [--overlap-wait 62]
        [--full-only]

Phases: (1) a full pull at the shipped default limits against the sandbox's default
HubSpot limits (100 calls / 10 s, 5 searches / s): zero 429s expected; (2) a full pull at
`--scale` with the limits lifted on both sides (throughput); (3) a pull of the unchanged
portal; (4) an incremental pull after 1 % of deals, contacts and engagements changed; (5)
an unchanged pull right after it (the overlap of its searches cannot be settled yet); (6)
an unchanged pull once the overlap has passed (`--overlap-wait`, real seconds: the
overlap's records are searched once more, nothing written); (7) a full pull through the
CRM exports API into a fresh store, checked equal to the searched one; (8) a pull with the
weekly purge check due (every live id read), then with the ids exported; (9) setup and a
push of `--push-rows` KPI records (0: none), then an unchanged re-push and the next
night's (the period in progress re-stamped). Each pull prints API calls by endpoint,
records read, wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connector.crms.config import shipped_mapping  # noqa: E402
from connector.crms.hubspot.config import HubSpotConfig  # noqa: E402
from connector.crms.hubspot.mapping import load_mapping  # noqa: E402
from connector.crms.hubspot.read import HubSpotSource  # noqa: E402
from connector.crms.hubspot.write import HubSpotWriter  # noqa: E402
from connector.kpi.engine import RESULTS_DDL  # noqa: E402
from connector.presentation import Wording  # noqa: E402
from connector.store import Store  # noqa: E402
from crm_sandbox import Sandbox  # noqa: E402

MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))
TOKEN_ENV = "CRM_KPI_BENCH_HUBSPOT_TOKEN"
TABLES = ("opportunities", "leads", "accounts", "line_items", "activities", "survey_responses")


def surface(sb: Sandbox) -> Any:
    for mounted in sb.app.surfaces:
        if getattr(mounted, "name", "") == "hubspot":
            return mounted
    from crm_sandbox.hubspot.surface import HubSpotSurface

    mounted = HubSpotSurface(sb.org, sb.faults)
    sb.app.mount(mounted)
    return mounted


def config(sb: Sandbox, fast: bool, exports: bool = False, purge: bool = False) -> HubSpotConfig:
    info = sb.info.get("hubspot") or surface(sb).info(sb.info["base_url"])
    os.environ[TOKEN_ENV] = info["access_token"]
    limits = {"requests_per_window": 1_000_000, "search_requests_per_second": 100_000}
    return HubSpotConfig.model_validate(
        {
            "name": "hs",
            "type": "hubspot",
            "host": info["host"],
            "ca_file": sb.info["ca_file"],
            "auth": {"method": "private_app", "access_token": "${" + TOKEN_ENV + "}"},
            "limits": limits if fast else {},
            "pull": {"exports": exports, "export_poll_seconds": 0.2,
                     **({"purge_check_every_hours": 0} if purge else {})},
            "push": {"enabled": True},
        }
    )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pull(sb: Sandbox, store: Store, fast: bool, label: str, exports: bool = False,
         purge: bool = False) -> int:  # fmt: skip
    """One pull, its figures printed; returns its API calls."""
    sb.reset_stats()
    source = HubSpotSource(config(sb, fast, exports, purge), MAPPING, "UTC")
    said: list[str] = []  # what a run says of exports (the first pull's figure)
    started = time.perf_counter()
    results = source.pull(store, progress=said.append)
    wall = time.perf_counter() - started
    stats, calls = sb.stats(), source.transport.stats
    records = sum(r.loaded for r in results)
    own = wall - calls.http_seconds - calls.limiter_wait_seconds
    endpoints = stats["endpoints"]
    searches = endpoints.get("hubspot.search", 0)
    print(f"\n== {label}")
    print(
        f"API calls {calls.calls:,}, records read {source.records_read:,}, records loaded "
        f"{records:,}, {wall:,.1f} s wall; HTTP {calls.http_seconds:,.1f} s, limiter waits "
        f"{calls.limiter_wait_seconds:,.1f} s; peak RSS {rss_mb():,.0f} MiB"
    )
    print(
        f"client-side throughput {records / max(own, 1e-9):,.0f} records/s "
        f"(own work {own:,.1f} s); end-to-end {records / wall:,.0f} records/s"
    )
    print(f"API calls {calls.calls:,}: {dict(sorted(endpoints.items()))}")
    for line in said:
        if "crm.export" in line:
            print(f"said: {line}")
    print(
        f"search calls {searches:,} (ceil(records/200) = {math.ceil(records / 200):,} "
        f"+ one last page per object); association batches "
        f"{endpoints.get('hubspot.associationsBatchRead', 0):,}"
    )
    print(
        f"429s seen by the sandbox {stats['statuses'].get('429', 0)}, "
        f"throttled {calls.throttled}, retries {calls.retries}; peak RSS {rss_mb():,.0f} MiB"
    )
    return int(calls.calls)


def same_store(a: Store, b: Store) -> bool:
    """Whether two stores hold the same records (the source column aside) and the same
    raw layer (what a mapping edit re-derives them from)."""
    for table in ("owners", *TABLES):
        query = f"SELECT * EXCLUDE (source) FROM {table} ORDER BY id"
        if a.fetch(query) != b.fetch(query):
            return False
    return raw_layer(a) == raw_layer(b)


def raw_layer(store: Store) -> list[Any]:
    """Every stream's raw table, with its columns' meaning."""
    streams = store.fetch("SELECT stream, raw_table, columns FROM raw_streams ORDER BY stream")
    return [(stream, columns, store.fetch(f"SELECT * FROM {table} ORDER BY id"))
            for stream, table, columns in streams]  # fmt: skip


def change_one_percent(sb: Sandbox) -> int:
    org = sb.org
    org.advance_clock(dt.timedelta(minutes=5))
    changed = 0
    for table, column in (
        ("opportunities", "amount"),
        ("leads", "company"),
        ("activities", "subject"),
    ):
        keys = org.keys(table, "NOT is_deleted")
        picked = keys[::100]
        value: Any = 1.0 if column == "amount" else "changed"
        org.update_many(table, [(k, {column: value}) for k in picked])
        changed += len(picked)
    return changed


def push(sb: Sandbox, store: Store, rows: int) -> None:
    store.con.execute(RESULTS_DDL)
    store.con.execute("DELETE FROM kpi_results")
    store.con.execute(
        "INSERT INTO kpi_results (kpi, period_type, period, period_start, period_end, "
        "scope_type, scope_id, value, target, attainment) "
        "SELECT k.kpi, 'month', 'p' || (i % 100), DATE '2020-01-01', DATE '2020-01-31', "
        "'territory', 'T' || (i // 100), random() * 1000, 500, random() "
        "FROM range(?) r(i), (SELECT unnest(['total_revenue', 'nps', 'cac']) AS kpi) k",
        [rows],
    )
    store.con.execute("UPDATE kpi_results SET period_status = CASE WHEN period = 'p99' "
                      "THEN 'in progress' ELSE 'closed' END, computed_at = now()")  # fmt: skip
    writer = HubSpotWriter("hs", config(sb, fast=True), MAPPING.push, Wording("USD"))
    actions = writer.setup()
    sb.reset_stats()
    started = time.perf_counter()
    first = writer.push(store)
    wall = time.perf_counter() - started
    print(f"\n== push of {rows:,} KPI records ({len(actions)} setup actions before)")
    print(
        f"written {first.written:,}, failed {len(first.failed)}, API calls {first.api_calls} "
        f"(bound: {math.ceil(rows / 100) + 10}), {wall:,.1f} s"
    )
    again = writer.push(store)
    print(
        f"unchanged re-push: written {again.written}, API calls {again.api_calls}, "
        f"unchanged {again.unchanged:,}"
    )
    # The next night, nothing changed: computed a day later, the period in progress
    # (p99: 100 records) re-stamped.
    store.con.execute("UPDATE kpi_results SET computed_at = computed_at + INTERVAL 1 DAY")
    night = writer.push(store)
    print(
        f"the next night, nothing changed: written {night.written}, API calls "
        f"{night.api_calls}, unchanged {night.unchanged:,}"
    )


def default_limits(scale: float, folder: Path) -> None:
    """A full pull at the shipped limits against HubSpot's own: zero 429s expected."""
    with Sandbox(seed=7, scale=scale) as sb, Store(folder / "a.duckdb") as store:
        surface(sb).limits.configure(per_ten_seconds=100, search_per_second=5)
        pull(sb, store, fast=False, label=f"full pull at default limits, scale {scale}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=2.0)
    parser.add_argument("--limits-scale", type=float, default=0.1)
    parser.add_argument("--push-rows", type=int, default=10_000)
    parser.add_argument("--skip-default-limits", action="store_true")
    parser.add_argument("--push-only", action="store_true", help="phase (9) alone")
    parser.add_argument("--full-only", action="store_true", help="phase (2) alone")
    parser.add_argument("--overlap-wait", type=float, default=62.0,
                        help="seconds between phases (5) and (6): past pull.overlap_seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.push_only:
            with (
                Sandbox(seed=7, scale=args.limits_scale) as sb,
                Store(Path(folder) / "p.duckdb") as store,
            ):
                surface(sb).limits.configure(per_ten_seconds=None, search_per_second=None)
                push(sb, store, args.push_rows)
            return
        if not args.skip_default_limits:
            default_limits(args.limits_scale, Path(folder))
        with (
            Sandbox(seed=7, scale=args.scale, memory_limit="4GB") as sb,
            Store(Path(folder) / "b.duckdb") as store,
        ):
            surface(sb).limits.configure(per_ten_seconds=None, search_per_second=None, daily=None)
            counts = {t: sb.org.count(t) for t in TABLES if t != "survey_responses"}
            print(f"\norg at scale {args.scale}: {counts}")
            full = pull(sb, store, fast=True, label=f"full pull, limits lifted, scale {args.scale}")
            if args.full_only:
                return
            pull(sb, store, fast=True, label="pull of the unchanged portal")
            changed = change_one_percent(sb)
            calls = pull(sb, store, fast=True,
                         label=f"incremental pull after {changed:,} changes (1 %)")  # fmt: skip
            print(f"incremental calls = {calls / full:.1%} of the full pull's")
            pull(sb, store, fast=True, label="unchanged, right after the change set")
            print(f"\n(waiting {args.overlap_wait:.0f} s: the overlap passes, as between nights)")
            time.sleep(args.overlap_wait)
            pull(sb, store, fast=True, label="unchanged, once the overlap has passed")
            with Store(Path(folder) / "c.duckdb") as exported:
                by_export = pull(sb, exported, fast=True, exports=True,
                                 label="full pull through the exports API")  # fmt: skip
                print(f"exports full pull calls = {by_export / full:.2%} of the searched full "
                      f"pull's; same store: {same_store(store, exported)}")
            purged = pull(sb, store, fast=True, purge=True,
                          label="pull with the weekly purge check due (every live id read)")
            print(f"purge check pull calls = {purged / full:.1%} of the full pull's, once a week")
            by_exports = pull(sb, store, fast=True, purge=True, exports=True,
                              label="the same with pull.exports on (the ids exported)")
            print(f"purge check pull through exports = {by_exports / full:.1%} of the full "
                  "pull's")
            if args.push_rows:
                push(sb, store, args.push_rows)


if __name__ == "__main__":
    main()
