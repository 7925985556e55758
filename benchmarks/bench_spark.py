"""Spark beside DuckDB: every KPI of the foundation data set on each engine, and how
Spark's time grows with the data.

    .venv/bin/python benchmarks/bench_spark.py [--fractions 1,3] [--master local[2]]
        [--driver-memory 8g] [--keep]

For each fraction of the foundation org (1: 1M opportunities, 3M leads, 10M activities;
3: three times that), generates the exports (benchmarks/synthetic.py), loads them into a
fresh store, then computes every KPI for every period and scope on DuckDB and on local
Spark, each in its own process. Spark's figures include the Parquet hand-off (the store's
tables written for Spark) and the results' way back through Arrow; its peak memory is the
driver's Python process plus the JVM's (VmHWM). Nothing is saved: both compute into the
temporary results.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_foundation import AS_OF, DATA, _config, _size, phase_load
from benchmarks.synthetic import generate_exports


def _jvm_peak_mb() -> float:
    """Peak RSS of this process's children (the Spark JVM), from /proc (VmHWM)."""
    import os

    peak = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(os.getpid()) and "VmHWM" in fields:
            peak += int(fields["VmHWM"].split()[0]) / 1024
    return peak


def phase_compute(
    store_path: Path, exports: Path, engine: str, spark: dict[str, object]
) -> dict[str, float]:
    """Compute every KPI on one engine; time, rows, peak memory."""
    from connector.config import Config
    from connector.pipeline import compute_kpis, open_store

    config = _config(store_path, exports)
    assert isinstance(config, Config)
    config = config.model_copy(update={
        "kpis": config.kpis.model_copy(update={"engine": engine}),
        "spark": config.spark.model_validate(spark),
    })  # fmt: skip
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(message: str) -> None:
        if "to Parquet" in message:
            marks["parquet_s"] = float(message.rsplit(" in ", 1)[1].split()[0])

    with open_store(config) as store:
        result = compute_kpis(config, store, as_of=AS_OF, save=False, progress=progress)
        jvm = _jvm_peak_mb() if engine == "spark" else 0.0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kpi_rows": result.rows, "seconds": time.perf_counter() - started,
            "parquet_s": marks.get("parquet_s", 0.0), "peak_rss_mb": own + jvm,
            "jvm_mb": jvm}  # fmt: skip


def _run(args: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True)  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _one_fraction(fraction: float, spark: dict[str, object], keep: bool) -> dict[str, float]:
    folder = DATA / f"foundation-{fraction}"
    exports, store_path = folder / "exports", folder / "bench.duckdb"
    if not (exports / "activities.csv").exists():
        started = time.perf_counter()
        counts = generate_exports(exports, _size(fraction))
        print(f"[{fraction}x] generated {sum(counts.values()):,} rows in "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    if not store_path.exists():
        load = _run(["--phase", "load", "--store", str(store_path), "--exports", str(exports)])
        print(f"[{fraction}x] loaded {load['rows']:,.0f} rows in {load['seconds']:.0f} s",
              flush=True)  # fmt: skip
    common = ["--store", str(store_path), "--exports", str(exports), "--spark", json.dumps(spark)]
    figures: dict[str, float] = {}
    for engine in ("duckdb", "spark"):
        got = _run(["--phase", "compute", "--engine", engine, *common])
        figures.update({f"{engine}_{k}": v for k, v in got.items()})
        print(f"[{fraction}x] {engine:6} {got['kpi_rows']:,.0f} KPI rows in {got['seconds']:,.1f} s"
              + (f" (Parquet hand-off {got['parquet_s']:.1f} s)" if engine == "spark" else "")
              + f", peak RSS {got['peak_rss_mb']:,.0f} MB"
              + (f" (JVM {got['jvm_mb']:,.0f} MB)" if engine == "spark" else ""),
              flush=True)  # fmt: skip
    if not keep:
        shutil.rmtree(folder)
    return figures


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fractions", default="1,3")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--phase", choices=["load", "compute"])
    parser.add_argument("--engine", choices=["duckdb", "spark"])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--exports", type=Path)
    parser.add_argument("--spark", default="{}")
    args = parser.parse_args()
    if args.phase == "load":
        print(json.dumps(phase_load(args.store, args.exports)))
        return
    if args.phase == "compute":
        print(json.dumps(phase_compute(args.store, args.exports, args.engine,
                                       json.loads(args.spark))))  # fmt: skip
        return
    spark = {"master": args.master, "conf": {"spark.driver.memory": args.driver_memory,
             "spark.ui.enabled": False}}  # fmt: skip
    fractions = [float(f) for f in args.fractions.split(",")]
    results = {f: _one_fraction(f, spark, args.keep) for f in fractions}
    if len(fractions) > 1:
        first, last = fractions[0], fractions[-1]
        grow = results[last]["spark_seconds"] / results[first]["spark_seconds"]
        duck = results[last]["duckdb_seconds"] / results[first]["duckdb_seconds"]
        print(f"{last / first:.0f}x the data: Spark {grow:.2f}x the time, DuckDB {duck:.2f}x")


if __name__ == "__main__":
    main()
