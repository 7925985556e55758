"""Benchmark what running crm-kpi as a service adds to a nightly run: the metrics file,
a Pushgateway push, three alert destinations (two webhooks and an e-mail over STARTTLS,
all on loopback), the excluded-data and staleness checks, the run log's copy that
`status` reads while a run holds the store.

Both sandbox CRMs (the demo's config) are set up and pulled once; then nights alternate
between the plain config and the one with every reporting feature, each a real
incremental `run_nightly` through the real clients. Printed per config: wall time, the
time spent in reporting (timed inside the run), CRM API calls (counted by the sandboxes)
and peak RSS; then a failed night's full delivery (every destination sent to) timed on
its own. Target: reporting < 1 % of a nightly run, 0 extra CRM API calls.

    .venv/bin/python benchmarks/bench_ops_overhead.py [--scale 0.1] [--nights 3]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connector import outcome, run  # noqa: E402
from connector.config import Config, load_config  # noqa: E402
from connector.demo.crms import HUBSPOT_TOKEN_ENV, demo_config  # noqa: E402
from connector.ops.facts import RunFacts  # noqa: E402
from connector.pipeline import build_writer  # noqa: E402
from connector.runlog import RunLog  # noqa: E402
from crm_sandbox import Sandbox  # noqa: E402


@contextmanager
def receiver() -> Iterator[str]:
    """A loopback HTTP endpoint taking webhook POSTs and Pushgateway PUTs."""

    class Handler(BaseHTTPRequestHandler):
        def _ok(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.end_headers()

        do_POST = do_PUT = _ok

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_server() -> Iterator[tuple[int, Path]]:
    """aiosmtpd with STARTTLS (a trustme certificate) on loopback: (port, CA file)."""
    import socket
    import ssl

    import trustme
    from aiosmtpd.controller import Controller

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    folder = Path(tempfile.mkdtemp())
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Handler:
        async def handle_DATA(self, *_: object) -> str:
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)  # fmt: skip
    controller.start()
    try:
        yield port, folder / "ca.pem"
    finally:
        controller.stop()


def with_reporting(config_path: Path, http: str, smtp_port: int, ca: Path) -> Path:
    """A copy of the config with a metrics file, a Pushgateway and three destinations."""
    data = yaml.safe_load(config_path.read_text())
    data["alerts"] = [{"webhook": f"{http}/hook", "format": "slack", "on": ["failure", "partial",
                       "excluded", "stale"]}, {"webhook": f"{http}/json", "on": ["failure"]},
                      {"email": "ops@example.com", "on": ["failure", "stale"]}]  # fmt: skip
    data["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "ca_file": str(ca)}
    data["observability"] = {"metrics_file": str(config_path.parent / "crm_kpi.prom"),
                             "pushgateway": http}  # fmt: skip
    path = config_path.with_name("config-ops.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def calls(orgs: list[Sandbox]) -> int:
    """CRM API calls the sandboxes served so far."""
    return sum(sum(org.stats()["endpoints"].values()) for org in orgs)


def timed_reporting() -> tuple[list[float], Callable[[], None]]:
    """Time every reporting step inside the run: metrics, push, alerts, excluded data,
    staleness, the run log's copy for `status` (written at start and end). Returns the
    list the seconds go to, and a function undoing the patch."""
    spent: list[float] = []
    originals = {(run, "report"): run.report, (run, "_note_exclusions"): run._note_exclusions,
                 (run, "_note_staleness"): run._note_staleness,
                 (run, "_copy_runs"): run._copy_runs}  # fmt: skip

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - started)

        return timed

    for (module, name), fn in originals.items():
        setattr(module, name, wrap(fn))

    def undo() -> None:
        for (module, name), fn in originals.items():
            setattr(module, name, fn)

    return spent, undo


def night(config: Config, orgs: list[Sandbox]) -> tuple[float, float, int]:
    """One nightly run: (wall seconds, seconds in reporting, CRM API calls)."""
    spent, undo = timed_reporting()
    before = calls(orgs)
    started = time.perf_counter()
    try:
        run.run_nightly(config, RunLog("plain", io.StringIO()))
    finally:
        undo()
    return time.perf_counter() - started, sum(spent), calls(orgs) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--nights", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ops-"))
    with Sandbox(seed=7, scale=args.scale) as sf, Sandbox(seed=11, scale=args.scale) as hs, \
            receiver() as http, smtp_server() as (smtp_port, ca):  # fmt: skip
        os.environ[HUBSPOT_TOKEN_ENV] = hs.info["hubspot"]["access_token"]
        plain_path = demo_config(work, sf.info, hs.info)
        plain = load_config(plain_path)
        ops = load_config(with_reporting(plain_path, http, smtp_port, ca))
        for source in plain.sources:
            if source.pushes:
                build_writer(plain, source).setup()
        first = night(plain, [sf, hs])
        print(f"first (full) run: {first[0]:.1f} s, {first[2]:,} CRM API calls")
        results: dict[str, list[tuple[float, float, int]]] = {"plain": [], "reporting": []}
        for _ in range(args.nights):
            results["plain"].append(night(plain, [sf, hs]))
            results["reporting"].append(night(ops, [sf, hs]))
        for label, nights in results.items():
            wall = statistics.median(n[0] for n in nights)
            spent = statistics.median(n[1] for n in nights)
            api = [n[2] for n in nights]
            print(f"{label:>9}: nightly run {wall:.2f} s (median of {len(nights)}), reporting "
                  f"{spent * 1000:.1f} ms = {spent / wall:.2%} of the run, CRM API calls {api}")
        delivery = failed_night_delivery(ops)
        wall = statistics.median(n[0] for n in results["reporting"])
        print(f"a failed night's delivery (metrics file, push, 2 webhooks, 1 e-mail over "
              f"STARTTLS): {delivery * 1000:.1f} ms = {delivery / wall:.2%} of a nightly run")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB (this process, sandboxes included)")


def failed_night_delivery(config: Config) -> float:
    """Seconds to report a failed run to every destination (median of 5)."""
    now = time.time()
    facts = RunFacts(run_id="bench", command="run", outcome="failed", exit_code=4,
                     started_at=now - 60, finished_at=now, stage="pull salesforce",
                     reason="the CRM's daily API allowance is spent",
                     stale_hours=30.0)  # fmt: skip
    seconds = []
    for _ in range(5):
        started = time.perf_counter()
        problems = outcome.report(config, facts, lambda _: None)
        seconds.append(time.perf_counter() - started)
        assert not problems, problems
    return statistics.median(seconds)


if __name__ == "__main__":
    main()
