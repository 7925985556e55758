"""Benchmark the sandbox's HubSpot surface through hubspot-api-client.

Runs the sandbox in a subprocess (this script with `--serve`, so that its memory is its
own and HubSpot's rate limits can be switched off for it), then times a full listing of
all deals and of all contacts — through hubspot-api-client, and through bare urllib3
(what the sandbox can serve when the client's model building is out of the way) — and
prints records/s, the sandbox's CPU seconds, and its peak memory (VmHWM) at startup and
while serving.

    .venv/bin/python benchmarks/bench_sandbox_hubspot.py [--scale 100]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import urllib3
from hubspot import HubSpot

ROOT = Path(__file__).resolve().parent.parent
DEAL_PROPS = ["dealname", "amount", "closedate", "dealstage", "pipeline", "hubspot_owner_id",
              "deal_currency_code", "lead_source", "hs_is_closed_won", "createdate"]
CONTACT_PROPS = ["email", "lifecyclestage", "hs_lead_status", "hubspot_owner_id",
                 "lead_source", "hs_lifecyclestage_opportunity_date", "createdate"]


def serve(scale: float, info_file: Path) -> int:
    """Child mode: a Sandbox without rate limits, until SIGTERM."""
    sys.path.insert(0, str(ROOT))
    from crm_sandbox import Sandbox
    from crm_sandbox.cli import write_info

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Sandbox(seed=7, scale=scale) as sb:
        sb.hubspot.limits.configure(per_ten_seconds=None, search_per_second=None, daily=None)
        write_info(info_file, sb.info)
        stop.wait()
    return 0


def proc_status(pid: int, key: str) -> float:
    """A /proc/<pid>/status size field (VmHWM, VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> None:
    """Restart VmHWM from the current RSS (Linux clear_refs 5), to see serving's own peak."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def list_with_client(hs: HubSpot, path: str, props: list[str]) -> int:
    api: Any = hs.crm.deals.basic_api if path == "deals" else hs.crm.contacts.basic_api
    count, after = 0, None
    try:
        while True:
            page = api.get_page(limit=100, after=after, properties=props)
            count += len(page.results)
            if page.paging is None:
                return count
            after = page.paging.next.after
    finally:
        api.api_client.rest_client.pool_manager.clear()


def list_raw(info: dict[str, Any], ca_file: str, path: str, props: list[str]) -> int:
    pool = urllib3.PoolManager(ca_certs=ca_file, cert_reqs="CERT_REQUIRED")
    headers = {"Authorization": f"Bearer {info['access_token']}"}
    fields: list[tuple[str, str]] = [("limit", "100"), *(("properties", p) for p in props)]
    count, after = 0, None
    try:
        while True:
            query = fields + ([("after", after)] if after else [])
            resp = pool.request("GET", f"{info['host']}/crm/v3/objects/{path}", fields=query,
                                headers=headers)
            body = json.loads(resp.data)
            count += len(body["results"])
            after = body.get("paging", {}).get("next", {}).get("after")
            if after is None:
                return count
    finally:
        pool.clear()


def timed(pid: int, label: str, run: Callable[[], int]) -> None:
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    n = run()
    wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    print(f"{label:<34} {n:>10,} records {wall:8.1f} s {n / wall:>10,.0f} rec/s   "
          f"sandbox CPU {cpu:6.1f} s ({cpu / wall:4.0%} of wall)", flush=True)


def bench(scale: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-hubspot-"))
    info_file = folder / "info.json"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", "--scale", str(scale),
                             "--info-file", str(info_file)], cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        while not info_file.exists():
            if proc.poll() is not None:
                raise SystemExit(f"sandbox exited with {proc.returncode}")
            time.sleep(0.2)
        full = json.loads(info_file.read_text())
        info, ca_file = full["hubspot"], full["ca_file"]
        print(f"scale {scale}: sandbox ready in {time.perf_counter() - t0:.1f} s, "
              f"peak {proc_status(proc.pid, 'VmHWM'):.0f} MiB while generating, "
              f"RSS {proc_status(proc.pid, 'VmRSS'):.0f} MiB ready", flush=True)
        reset_peak(proc.pid)
        hs = HubSpot(access_token=info["access_token"], host=info["host"], ssl_ca_cert=ca_file)
        for path, props in (("deals", DEAL_PROPS), ("contacts", CONTACT_PROPS)):
            timed(proc.pid, f"{path} via hubspot-api-client",
                  lambda p=path, pr=props: list_with_client(hs, p, pr))
            timed(proc.pid, f"{path} via bare urllib3",
                  lambda p=path, pr=props: list_raw(info, ca_file, p, pr))
        print(f"sandbox peak memory while serving: {proc_status(proc.pid, 'VmHWM'):.0f} MiB",
              flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--info-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.scale, args.info_file)
    bench(args.scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
