"""`crm-kpi sandbox`: run the sandbox until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

from .faults import Fault, parse_spec
from .hubspot.tier import TIERS
from .salesforce.access_tables import API_ONLY, PROFILES, SYSTEM_ADMINISTRATOR
from .salesforce.usage import DEFAULT_DAILY_LIMIT
from .sandbox import Sandbox
from .tls import MissingDependency


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the `sandbox` command."""
    parser.add_argument("--seed", type=int, default=7, help="org generator seed")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="org size (1 ≈ 20k leads, 5k deals, 100k activities)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = free)")
    parser.add_argument("--info-file", type=Path, help="write the connection info JSON here")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        help="fault to inject, e.g. kind=status,status=429,path=/query,count=2")
    parser.add_argument("--daily-api-limit", type=int, default=DEFAULT_DAILY_LIMIT,
                        help="DailyApiRequests allowance")
    parser.add_argument("--hubspot-daily-remaining", type=int, default=None, metavar="N",
                        help="HubSpot calls left today (0: the next call answers 429 DAILY)")
    parser.add_argument("--hubspot-tier", default="enterprise", choices=TIERS,
                        help="the HubSpot portal's subscription: below enterprise it has "
                        "no custom objects (schema creation answers 403)")
    parser.add_argument("--memory-limit", default="512MB", metavar="SIZE",
                        help="the org database's memory (e.g. 4GB for scale 40 and above)")
    parser.add_argument("--integration-profile", default=SYSTEM_ADMINISTRATOR,
                        choices=[name for _, name, _, _ in PROFILES], metavar="PROFILE",
                        help="Salesforce profile of the integration user (default: "
                             f"{SYSTEM_ADMINISTRATOR}; e.g. '{API_ONLY}')")


def write_info(path: Path, info: dict[str, object]) -> None:
    """Atomically write the info JSON (readers never see a partial file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sandbox-info-")
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh, indent=2)
    os.replace(tmp, path)


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print how to connect, serve until a signal arrives.

    Exit status: 0 after a signal, 2 for a bad --fault, 1 when the sandbox extra is missing.
    """
    try:
        faults = [parse_spec(s) for s in args.fault]
    except (ValueError, KeyError) as exc:
        print(f"crm-kpi sandbox: bad --fault: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        serve(args, faults, stop)
    except MissingDependency as exc:
        print(f"crm-kpi sandbox: {exc}", file=sys.stderr)
        return 1
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return 0


def serve(args: argparse.Namespace, faults: list[Fault], stop: threading.Event) -> None:
    """Run one sandbox, print how to connect, and serve until `stop` is set."""
    with Sandbox(seed=args.seed, scale=args.scale, port=args.port, faults=list(faults),
                 daily_api_limit=args.daily_api_limit,
                 hubspot_daily_remaining=args.hubspot_daily_remaining,
                 hubspot_tier=args.hubspot_tier,
                 memory_limit=args.memory_limit,
                 integration_profile=args.integration_profile) as sb:
        if args.info_file:
            write_info(args.info_file, sb.info)
        sf, hs = sb.info["salesforce"], sb.info["hubspot"]
        print(f"sandbox serving {sf['instance_url']} (seed {args.seed}, scale {args.scale})")
        print(f"  CA file:      {sb.info['ca_file']}")
        print(f"  Salesforce:   instance_url {sf['instance_url']}")
        print(f"                access token {sf['access_token']}")
        print(f"  HubSpot:      host {hs['host']}")
        print(f"                access token {hs['access_token']}")
        print(f"  stats:        {sf['instance_url']}/__sandbox__/stats")
        if args.info_file:
            print(f"  info JSON:    {args.info_file}")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass


def main() -> int:
    """Standalone entry (`python -m crm_sandbox.cli`)."""
    parser = argparse.ArgumentParser(prog="crm-kpi sandbox")
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
