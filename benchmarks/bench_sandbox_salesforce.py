"""Benchmark the sandbox's Salesforce surface through simple-salesforce.

Runs the sandbox in a subprocess through its CLI (so that its peak RSS is its own), then
times a full REST query of all opportunities (query_all_iter) and a Bulk API 2.0 query
of all tasks, and prints records/s and the sandbox's peak memory (VmHWM).

`--as manager` or `--as rep` pulls with that person's session instead of the integration
user's (System Administrator, who reads every record unfiltered): what sharing costs.

    .venv/bin/python benchmarks/bench_sandbox_salesforce.py [--scale 100] [--as rep]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from simple_salesforce import Salesforce

ROOT = Path(__file__).resolve().parent.parent
OPP_FIELDS = ("Id, Name, AccountId, OwnerId, StageName, IsClosed, IsWon, Amount, CurrencyIsoCode, "
              "CloseDate, LeadSource, Type, CreatedDate, SystemModstamp")
TASK_FIELDS = "Id, WhoId, WhatId, AccountId, OwnerId, TaskSubtype, ActivityDate, CreatedDate"


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a live process (Linux VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_sandbox(
    scale: float, folder: Path, memory_limit: str = "512MB"
) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    info_file = folder / "info.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_sandbox.cli", "--scale", str(scale), "--info-file",
         str(info_file), "--memory-limit", memory_limit], cwd=ROOT, stdout=subprocess.DEVNULL)
    while not info_file.exists():
        if proc.poll() is not None:
            raise SystemExit(f"sandbox exited with {proc.returncode}")
        time.sleep(0.2)
    return proc, json.loads(info_file.read_text())


def token_of(sf_info: dict[str, Any], who: str) -> str:
    """The session of the integration user, a manager (of two reps or more) or a rep."""
    if who == "integration":
        return str(sf_info["access_token"])
    users = sf_info["users"]
    manager = next(u for u in users if (u["role"] or "").endswith("Manager")
                   and sum(1 for r in users if r["manager"] == u["username"]) >= 2)
    if who == "manager":
        return str(manager["access_token"])
    return str(next(u for u in users if u["manager"] == manager["username"])["access_token"])


def client(info: dict[str, object], who: str = "integration"
           ) -> tuple[Salesforce, requests.Session]:
    sf_info = info["salesforce"]
    assert isinstance(sf_info, dict)
    session = requests.Session()
    session.verify = str(info["ca_file"])
    session.trust_env = False
    return Salesforce(instance_url=sf_info["instance_url"], session_id=token_of(sf_info, who),
                      session=session, version="60.0"), session


def rest_opportunities(sf: Salesforce) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = sum(1 for _ in sf.query_all_iter(f"SELECT {OPP_FIELDS} FROM Opportunity"))
    return n, time.perf_counter() - t0


def bulk_tasks(sf: Salesforce) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = 0
    for page in sf.bulk2.Task.query(f"SELECT {TASK_FIELDS} FROM Task", max_records=100_000,
                                    wait=0.5):
        n += page.count("\n") - 1
    return n, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--as", dest="who", default="integration",
                        choices=("integration", "manager", "rep"),
                        help="whose session pulls (default: the integration user)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc, info = start_sandbox(args.scale, Path(tmp))
        ready = time.perf_counter() - t0
        sf, session = client(info, args.who)
        try:
            print(f"scale {args.scale}, as {args.who}: sandbox ready in {ready:.1f} s "
                  f"(peak RSS so far {peak_rss_mb(proc.pid):.0f} MiB)")
            n, secs = rest_opportunities(sf)
            print(f"REST query_all_iter Opportunity: {n:,} records in {secs:.1f} s "
                  f"= {n / secs:,.0f} records/s")
            n, secs = bulk_tasks(sf)
            print(f"Bulk 2.0 query Task: {n:,} records in {secs:.1f} s = {n / secs:,.0f} records/s")
            print(f"sandbox peak RSS: {peak_rss_mb(proc.pid):.0f} MiB")
        finally:
            session.close()
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
