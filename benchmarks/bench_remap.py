"""Benchmark a mapping edit applied to every stored record (issue 21), on the Salesforce
sandbox through simple-salesforce.

The org is pulled whole once; a pull of the unchanged org follows (its API calls and
time are the floor of any run); then the mapping's value maps of leads, opportunities
and activities and an exclusion of opportunities are edited, and the next pull derives
every stored opportunity, lead and activity again from the store's raw layer. Each pull
runs in its own process, so the peak RSS printed is that pull's own. Then the store's
size, with the raw layer and with the normalized tables alone (what a store held before
the raw layer), each copied into a fresh file (DuckDB files keep freed blocks).

    .venv/bin/python benchmarks/bench_remap.py [--scale 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from benchmarks.bench_salesforce import Meter, config_for  # noqa: E402
from benchmarks.bench_sandbox_salesforce import start_sandbox  # noqa: E402
from connector.crms import remap  # noqa: E402
from connector.crms.config import shipped_mapping  # noqa: E402
from connector.crms.salesforce.mapping import load_mapping  # noqa: E402
from connector.crms.salesforce.read import SalesforceSource  # noqa: E402
from connector.store import Store  # noqa: E402

EDITS = [  # (line of the shipped mapping, what it becomes)
    ("    Purchased List: other\n", "    Purchased List: other\n    Webinar (legacy): event\n"),
    ("    Task: other\n", "    Task: phone\n"),
    ("    Other: other\n\n", "    Other: in_person\n\n"),
    ("      contact_method: other\n    # include:",
     "      contact_method: other\n    exclude:\n"
     "      Type: [Existing Customer - Downgrade]\n    #"),
]  # fmt: skip


def edited_mapping() -> str:
    text = shipped_mapping("salesforce.yaml").read_text(encoding="utf-8")
    for old, new in EDITS:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def phase(info_file: Path, store_path: Path, mapping: Path, label: str) -> None:
    """One pull in this process: API calls, time, peak RSS, and the time spent deriving
    stored records again (by entity)."""
    rederived: dict[str, float] = defaultdict(float)
    original = remap.rederive

    def timed(store: Any, raw: Any, rules: Any, opts: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(store, raw, rules, opts)
        finally:
            rederived[rules.entity.name] += time.perf_counter() - started

    remap.rederive = timed
    meter = Meter()
    meter.install()
    config = config_for(json.loads(info_file.read_text())).model_copy(
        update={"mapping": mapping})
    source = SalesforceSource("sf", config, load_mapping(mapping), "UTC")
    with Store(store_path) as store:
        started = time.perf_counter()
        results = source.pull(store)
        wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {meter.calls} API calls, {source.records_read:,} records read, "
          f"{wall:.2f} s, peak RSS {peak:,.0f} MiB")  # fmt: skip
    if rederived:
        total = sum(rederived.values())
        parts = ", ".join(f"{entity} {seconds:.2f} s" for entity, seconds in rederived.items())
        print(f"  re-derived from the store in {total:.2f} s ({parts})")
    for note in (n for r in results for n in r.notes):
        print(f"  {note}")


def sizes(store_path: Path, folder: Path) -> None:
    """The store's size as written, and copied into fresh files with and without the
    raw layer."""
    with_raw, without = folder / "with_raw.duckdb", folder / "without_raw.duckdb"
    source = duckdb.connect(str(store_path), read_only=True)
    tables = [r[0] for r in source.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    source.close()
    raw = {t for t in tables if t.startswith("raw_") or t == "derivations"}
    for target, kept in ((with_raw, tables), (without, [t for t in tables if t not in raw])):
        con = duckdb.connect(str(target))
        con.execute(f"ATTACH '{store_path}' AS s (READ_ONLY)")
        for table in kept:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM s.{table}")
        con.execute("CHECKPOINT")
        con.close()
    mib = 1024 * 1024
    rows = _raw_rows(store_path, sorted(raw - {"raw_streams", "derivations"}))
    print(f"store as written {store_path.stat().st_size / mib:.1f} MiB; compacted "
          f"{with_raw.stat().st_size / mib:.1f} MiB with the raw layer ({rows:,} raw rows), "
          f"{without.stat().st_size / mib:.1f} MiB without it (the normalized tables alone)")


def _raw_rows(store_path: Path, tables: list[str]) -> int:
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        return sum(int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
                   for t in tables)  # fmt: skip
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--phase", choices=["pull"], help=argparse.SUPPRESS)
    parser.add_argument("--info", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mapping", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="pull", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args.info, args.store, args.mapping, args.label)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        proc, _ = start_sandbox(args.scale, folder, memory_limit="1GB")
        try:
            shipped, edited = folder / "shipped.yaml", folder / "edited.yaml"
            shipped.write_text(shipped_mapping("salesforce.yaml").read_text(encoding="utf-8"))
            edited.write_text(edited_mapping())
            store = folder / "store.duckdb"
            print(f"scale {args.scale}")
            for label, mapping in (("full pull", shipped), ("unchanged org", shipped),
                                   ("after the edit", edited)):  # fmt: skip
                subprocess.run([sys.executable, __file__, "--phase", "pull", "--info",
                                str(folder / "info.json"), "--store", str(store), "--mapping",
                                str(mapping), "--label", label], check=True, cwd=ROOT)  # fmt: skip
            sizes(store, folder)
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait()


if __name__ == "__main__":
    main()
