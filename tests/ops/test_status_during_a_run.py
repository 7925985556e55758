"""While a run holds the store (DuckDB lets no other process open it), `status` and a
monitor's `status --check` read the copy of the run log each run keeps beside the store,
and a run refused by the lease still raises `stale`. Stage-end events count each stage
alone, so a log pipeline sums them into the run's totals."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from connector.cli import main
from connector.config import load_config
from connector.errors import LockedError
from connector.ops.facts import SourceFacts
from connector.outcome import RunSummary
from connector.run import _stage, lock_path, run_nightly
from connector.runlog import RunLog
from connector.store.runs import runs_copy_path

from .conftest import Receiver

HOLDER = """
import sys, time
from pathlib import Path
from connector.lock import RunLock
from connector.store import Store
with RunLock(Path(sys.argv[1]), "night-run", lease_seconds=30), Store(Path(sys.argv[2])):
    print("held", flush=True)
    time.sleep(60)
"""


@contextmanager
def a_run_holding(config_path: Path) -> Iterator[None]:
    """Another process holding the lease and the store, as a run does."""
    config = load_config(config_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path(config)), str(config.store.path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()},
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.communicate(timeout=10)


def test_status_and_check_read_the_copy_while_a_run_holds_the_store(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_nightly(load_config(config_path), RunLog("plain", io.StringIO()))
    copy = runs_copy_path(config_path.parent / "store.duckdb")
    assert copy.stat().st_mode & 0o077 == 0  # the owner's only, as the store
    with a_run_holding(config_path):
        assert main(["status", "--config", str(config_path), "--check"]) == 0
        assert capsys.readouterr().out.startswith("OK: the last run")
        assert main(["status", "--config", str(config_path), "--format", "json"]) == 0
        said = capsys.readouterr()
        (run,) = json.loads(said.out)
        assert (run["outcome"], run["exit_code"], run["counts"]["pulled"]) == ("succeeded", 0, 7)
        assert "a run holds the store: the runs as of" in said.err
        copy.unlink()  # no copy (a store older than it): said, not guessed
        assert main(["status", "--config", str(config_path), "--check"]) == 3
        assert "UNKNOWN: the store" in capsys.readouterr().out


def test_a_run_refused_by_the_lease_raises_stale_from_the_copy(
    config_path: Path, receiver: Receiver
) -> None:
    config = load_config(config_path)
    run_nightly(config, RunLog("plain", io.StringIO()))
    copy = runs_copy_path(config.store.path)
    body = json.loads(copy.read_text())
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)).replace(tzinfo=None).isoformat()
    body["stale_since"] = body["last_success"] = old
    copy.write_text(json.dumps(body))
    config_path.write_text(config_path.read_text() + yaml.safe_dump(
        {"alerts": [{"webhook": receiver.url, "on": ["stale"]}]}))  # fmt: skip
    with a_run_holding(config_path), pytest.raises(LockedError):
        run_nightly(load_config(config_path), RunLog("plain", io.StringIO()))
    (alert,) = receiver.bodies
    assert (alert["events"], alert["exit_code"]) == (["stale"], 3)
    assert alert["stale_hours"] == pytest.approx(30, abs=0.2)


class _Lease:
    def check(self) -> None:
        pass


def test_each_stage_end_counts_that_stage_alone() -> None:
    """A source pulled then pushed: the pull's end says what it read and called, the
    push's what it wrote and called; summed, they are the run's totals."""
    out = io.StringIO()
    log, summary = RunLog("json", out), RunSummary(run_id="r1")
    facts: SourceFacts = summary.source("hubspot")
    lease = _Lease()
    with _stage(summary, log, "pull hubspot", lease):  # type: ignore[arg-type]
        facts.read, facts.api_calls, facts.api_remaining = 24, 6, 990
    with _stage(summary, log, "push hubspot", lease):  # type: ignore[arg-type]
        facts.written, facts.failed, facts.api_calls = 27, 1, 8
    ends = [e for e in map(json.loads, out.getvalue().splitlines())
            if e.get("event") == "stage_end"]  # fmt: skip
    fields = ("records_read", "records_written", "records_failed", "api_calls")
    assert [[e[f] for f in fields] for e in ends] == [[24, 0, 0, 6], [0, 27, 1, 2]]
    assert [e["api_daily_remaining"] for e in ends] == [990, 990]
