"""Long-name benchmark: a CRM name of a megabyte must not move compute time beyond noise.

    .venv/bin/python benchmarks/bench_long_names.py [--chars 1000000] [--repeat 3]
        [--variant both|plain|long]

On the demo's sample exports (42k records), the `plain` org as shipped and the `long`
org where one rep's name is `--chars` characters long (names come from the CRM, where
any user can edit their own): the pull, every KPI of every period saved (what
`crm-kpi run` computes), and `crm-kpi compute --scope all`, as CSV and as the table.
Prints records, wall time (each of `--repeat` runs, and the median), the output's size
and this process's peak RSS. Issue 22 measured, before text was bounded: compute 6 s →
87 s, `compute --scope all` as a table past 300 s, its CSV 83 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.cli import main
from connector.config import load_config
from connector.pipeline import compute_kpis, open_store, pull
from connector.resources import shipped

DEMO = shipped("demo/data")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _org(folder: Path, chars: int) -> Path:
    """The demo's exports and config in `folder`; with `chars`, rep U0's name that long."""
    shutil.copytree(DEMO / "exports", folder / "exports")
    mapping = shipped("mappings/files.yaml")
    (folder / "config.yaml").write_text(
        (DEMO / "config.yaml").read_text(encoding="utf-8")
        .replace("../mappings/files.yaml", str(mapping))
        .replace("../.demo/crm-kpi.duckdb", str(folder / "store.duckdb")),
        encoding="utf-8",
    )  # fmt: skip
    if chars:
        path = folder / "exports" / "owners.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        rows[0]["name"] = "N" * chars
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder / "config.yaml"


def _timed(label: str, repeat: int, work: Callable[[], str]) -> None:
    seconds, said = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        said = work()
        seconds.append(time.perf_counter() - started)
    runs = ", ".join(f"{s:.2f}" for s in seconds)
    print(f"  {label}: median {statistics.median(seconds):.2f} s (runs {runs}); {said}; "
          f"peak RSS {_peak_rss_mb():,.0f} MB", flush=True)  # fmt: skip


def bench(variant: str, chars: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="crm-kpi-bench-") as tmp:
        config_path = _org(Path(tmp), chars if variant == "long" else 0)
        config = load_config(config_path)
        print(f"{variant}: " + (f"rep U0's name {chars:,} characters long"
                                if variant == "long" else "the sample exports as shipped"))

        def pulled() -> str:
            with open_store(config) as store:
                summary = pull(config, store)
            return f"{summary.loaded:,} records, {summary.findings:,} findings"

        def computed() -> str:
            with open_store(config) as store:
                result = compute_kpis(config, store)
            return f"{result.rows:,} KPI rows, {result.periods:,} periods"

        def table_csv() -> str:
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                code = main(["compute", "--config", str(config_path), "--scope", "all",
                             "--format", "csv"])  # fmt: skip
            text = out.getvalue()
            csv.field_size_limit(sys.maxsize)  # before text was bounded, a cell held the name
            longest = max((len(cell) for row in csv.reader(io.StringIO(text)) for cell in row),
                          default=0)  # fmt: skip
            return (f"exit {code}, {text.count(chr(10)):,} lines, {len(text.encode()):,} "
                    f"bytes, longest cell {longest:,} characters")

        def table() -> str:
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                code = main(["compute", "--config", str(config_path), "--scope", "all"])
            return f"exit {code}, {len(out.getvalue().encode()):,} bytes"

        _timed("pull", 1, pulled)
        _timed("compute, every period, saved", repeat, computed)
        _timed("compute --scope all --format csv", repeat, table_csv)
        _timed("compute --scope all (the table)", repeat, table)


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variant", choices=["both", "plain", "long"], default="both")
    args = parser.parse_args()
    for variant in ("plain", "long") if args.variant == "both" else (args.variant,):
        bench(variant, args.chars, args.repeat)


if __name__ == "__main__":
    run()
