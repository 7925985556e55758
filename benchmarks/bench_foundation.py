"""Foundation benchmark: CSV load rate, and the time and memory of computing every KPI.

    .venv/bin/python benchmarks/bench_foundation.py [--fraction 1.0] [--keep]

Generates a synthetic org (at fraction 1: 3 years, 1M opportunities, 3M leads,
10M activities, 200k accounts, 500 owners in 50 teams), loads it through the files
source into a fresh store, then computes all KPIs for every month, quarter and year x
every scope. Each phase runs in its own process so that its peak RSS is its own.
Targets on 2 cores: load >= 500k rows/s within 3 GB peak RSS; compute <= 15 s and
<= 3 GB peak RSS. Rows/s is wall-clock: on a machine shared with other work, quote it
with the load's CPU seconds (the figure contention does not move).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import Size, generate_exports

DATA = Path(__file__).resolve().parent / ".data"
AS_OF = dt.date(2026, 11, 1)


def _size(fraction: float) -> Size:
    full = Size()
    return Size(
        owners=max(int(full.owners * fraction), 5),
        teams=max(int(full.teams * fraction), 2),
        accounts=int(full.accounts * fraction),
        leads=int(full.leads * fraction),
        opportunities=int(full.opportunities * fraction),
        activities=int(full.activities * fraction),
    )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _config(store_path: Path, exports: Path) -> object:
    from connector.config import Config

    return Config.model_validate(
        {
            "reporting": {"currency": "USD", "timezone": "America/New_York"},
            "store": {"path": str(store_path)},
            "sources": [{"name": "bench", "type": "files", "path": str(exports)}],
            "kpis": {"default_cogs_rate": 0.35, "churn_after_days": 365},
            "targets": [
                {"kpi": "total_revenue", "period_type": "month", "value": 1_000_000},
                {"kpi": "closing_ratio", "period_type": "quarter", "value": 0.3},
            ],
        }
    )


def phase_load(store_path: Path, exports: Path) -> dict[str, float]:
    """Load every CSV into a fresh store."""
    from connector.config import Config
    from connector.pipeline import open_store, pull

    config = _config(store_path, exports)
    assert isinstance(config, Config)
    started = time.perf_counter()
    with open_store(config) as store:
        summary = pull(config, store)
    seconds = time.perf_counter() - started
    rows = summary.loaded + summary.quarantined
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
            "cpu_s": _cpu_seconds(), "quarantined": summary.quarantined,
            "peak_rss_mb": _peak_rss_mb()}  # fmt: skip


def phase_compute(store_path: Path, exports: Path) -> dict[str, float]:
    """Compute every KPI for every period and scope."""
    from connector.config import Config
    from connector.pipeline import compute_kpis, open_store

    config = _config(store_path, exports)
    assert isinstance(config, Config)
    with open_store(config) as store:
        result = compute_kpis(config, store, as_of=AS_OF)
    return {"kpi_rows": result.rows, "periods": result.periods, "seconds": result.seconds,
            "peak_rss_mb": _peak_rss_mb()}  # fmt: skip


def _run_phase(name: str, store_path: Path, exports: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--store", str(store_path),
         "--exports", str(exports)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--phase", choices=["load", "compute"])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--exports", type=Path)
    args = parser.parse_args()
    if args.phase:
        phase = phase_load if args.phase == "load" else phase_compute
        print(json.dumps(phase(args.store, args.exports)))
        return
    folder = DATA / f"foundation-{args.fraction}"
    exports, store_path = folder / "exports", folder / "bench.duckdb"
    if not (exports / "activities.csv").exists():
        started = time.perf_counter()
        counts = generate_exports(exports, _size(args.fraction))
        print(f"generated {sum(counts.values()):,} rows in {time.perf_counter() - started:.1f} s")
    store_path.unlink(missing_ok=True)
    load = _run_phase("load", store_path, exports)
    print(f"load:    {load['rows']:,.0f} rows in {load['seconds']:.1f} s = "
          f"{load['rows_per_s']:,.0f} rows/s (target >= 500,000), CPU {load['cpu_s']:.1f} s, "
          f"peak RSS {load['peak_rss_mb']:,.0f} MB (target <= 3,072 MB)")  # fmt: skip
    comp = _run_phase("compute", store_path, exports)
    print(f"compute: {comp['kpi_rows']:,.0f} KPI rows, {comp['periods']:.0f} periods x all scopes "
          f"in {comp['seconds']:.1f} s (target <= 15 s), peak RSS {comp['peak_rss_mb']:,.0f} MB "
          f"(target <= 3,072 MB)")  # fmt: skip
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
