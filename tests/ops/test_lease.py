"""The run lease: renewed while a run lives, taken over on any host once its holder
stopped renewing it, never while it renews; a holder that lost it stops."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connector.config import load_config
from connector.errors import LockedError
from connector.lock import RunLock
from connector.run import lock_path, run_nightly
from connector.runlog import RunLog

FOREIGN = "crm-kpi-nightly-29xk4-x7k2p"


def foreign_lease(path: Path, heartbeat_age: float, lease: float = 300) -> None:
    """A lease written by a run on another host, last renewed `heartbeat_age` s ago."""
    beat = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=heartbeat_age)
    path.write_text(json.dumps({
        "run_id": "pod-run", "pid": 7, "host": FOREIGN, "process_started": 1.0,
        "since": beat.isoformat(), "heartbeat": beat.isoformat(),
        "expires": (beat + dt.timedelta(seconds=lease)).isoformat(), "lease_seconds": lease,
    }))  # fmt: skip


def test_a_renewed_lease_of_another_host_is_respected(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb.lock"
    foreign_lease(path, heartbeat_age=30)
    with pytest.raises(LockedError, match=f"pid 7 on {FOREIGN}.*expires if not renewed for 300 s"):
        RunLock(path, "mine").acquire()


def test_a_lease_another_host_stopped_renewing_is_taken_over_naming_its_holder(
    config_path: Path,
) -> None:
    config = load_config(config_path)
    foreign_lease(lock_path(config), heartbeat_age=600, lease=300)
    out = io.StringIO()
    summary = run_nightly(config, RunLog("plain", out))
    assert summary.status == "succeeded"
    said = out.getvalue()
    assert f"took over the stale lock of run pod-run, pid 7 on {FOREIGN}" in said
    assert f"no heartbeat from {FOREIGN} for 600 s, past its 300 s lease" in said
    assert not lock_path(config).exists()


def test_renewal_moves_heartbeat_and_expiry_and_a_holder_that_lost_its_lease_stops(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.duckdb.lock"
    lock = RunLock(path, "mine", lease_seconds=60)
    lock.acquire()
    first = json.loads(path.read_text())
    time.sleep(1.1)  # timestamps are to the second
    assert lock.renew()
    renewed = json.loads(path.read_text())
    assert renewed["heartbeat"] > first["heartbeat"]
    expires = dt.datetime.fromisoformat(renewed["expires"])
    assert expires - dt.datetime.fromisoformat(renewed["heartbeat"]) == dt.timedelta(seconds=60)
    foreign_lease(path, heartbeat_age=0)  # taken over while this holder was frozen
    assert not lock.renew()
    with pytest.raises(LockedError, match=f"was taken over: run pod-run, pid 7 on {FOREIGN}"):
        lock.check()
    lock.release()
    assert json.loads(path.read_text())["run_id"] == "pod-run"  # never removes another's


HOLDER = """
import sys, time
from pathlib import Path
from connector.lock import RunLock
lock = RunLock(Path(sys.argv[1]), "pod-run", lease_seconds=2)
lock.__enter__()
print("held", flush=True)
time.sleep(120)
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_a_holder_on_another_hostname_killed_with_sigkill_is_taken_over(
    config_path: Path,
) -> None:
    """A real holder under another hostname (a UTS namespace): while it lives its lease
    holds past its length; once SIGKILLed, it is taken over when the lease runs out."""
    config = load_config(config_path)
    path = lock_path(config)
    holder = subprocess.Popen(
        ["unshare", "--uts", "sh", "-c", f'hostname {FOREIGN} && exec "$0" -c "$1" "$2"',
         sys.executable, HOLDER, str(path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()},
    )  # fmt: skip
    try:
        if holder.stdout is None or holder.stdout.readline().strip() != "held":
            pytest.skip("unshare --uts is not permitted here")
        assert json.loads(path.read_text())["host"] == FOREIGN
        time.sleep(2.5)  # longer than the lease: it was renewed meanwhile
        with pytest.raises(LockedError, match=f"on {FOREIGN}"):
            run_nightly(config, RunLog("plain", io.StringIO()))
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        time.sleep(2.2)  # the lease runs out
        out = io.StringIO()
        assert run_nightly(config, RunLog("plain", out)).status == "succeeded"
    finally:
        holder.kill()
        holder.communicate(timeout=10)
    said = out.getvalue()
    assert f"took over the stale lock of run pod-run, pid {holder.pid} on {FOREIGN}" in said
    assert "past its 2 s lease" in said
