"""The machine under a run: SIGTERM, a full disk and a file-size limit (on a small
tmpfs), a read-only store, a store removed mid-run, a dashboard without the CA file."""

from __future__ import annotations

import importlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from connector.cli import main
from connector.config import load_config
from connector.run import lock_path
from connector.store import Store
from connector.store.runs import recent_runs

from .conftest import write_config

CLI = f"{shlex.quote(sys.executable)} -m connector.cli"


def namespaced(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a mount namespace of its own (mounts vanish with it)."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("mount namespaces are not permitted here")
    return subprocess.run(["unshare", "--mount", "sh", "-c", f"set -u; cd {tmp_path}; {script}"],
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})  # fmt: skip


def last_run(config: Path) -> dict[str, Any]:
    with Store(config.parent / "store.duckdb", read_only=True) as store:
        run = recent_runs(store, 1)[0]
    return {"status": run.status, **json.loads(run.summary or "{}")}


def test_sigterm_stops_a_run_as_ctrl_c_does(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from connector import run as run_module

    real = run_module.compute_kpis

    def terminated(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)  # what a scheduler or Kubernetes sends
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "compute_kpis", terminated)
    assert main(["run", "--config", str(config_path), "--log-format", "plain"]) == 143
    assert "stopped by SIGTERM" in capsys.readouterr().err
    run = last_run(config_path)
    assert (run["status"], run["exit_code"]) == ("stopped", 143)
    assert run["error"] == "stopped by SIGTERM (the scheduler or kill)"
    assert run["stage"] == "compute"
    assert not lock_path(load_config(config_path)).exists()
    with Store(config_path.parent / "store.duckdb", read_only=True) as store:
        assert store.count("opportunities") == 6  # the pull before it was kept
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handler restored


@pytest.mark.parametrize(("signum", "code", "error"), [
    (signal.SIGTERM, 143, "stopped by SIGTERM (the scheduler or kill)"),
    (signal.SIGINT, 130, "stopped by the user (Ctrl-C)"),
])  # fmt: skip
@pytest.mark.parametrize("where", ["compute", "a pull's transaction"])
def test_a_signal_stops_a_long_query_at_once(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int, code: int, error: str,
    where: str,
) -> None:  # fmt: skip
    """DuckDB runs a query without returning to Python, where signal handlers run: the
    query is stopped at the signal, the stop is a stop, not a crash (exit 70), the pull's
    transaction is rolled back, the run recorded as stopped, and the next run succeeds."""
    from connector import run as run_module
    ingest = importlib.import_module("connector.store.ingest")  # the function shadows it

    def long_query(con: Any) -> None:
        threading.Timer(0.3, os.kill, (os.getpid(), signum)).start()
        con.execute("SELECT count(*) FROM range(100000000000) t(n) WHERE n % 7 = 3")
        raise AssertionError("the query ran to its end")

    if where == "compute":
        monkeypatch.setattr(run_module, "compute_kpis", lambda c, store, **_: long_query(store))
    else:
        monkeypatch.setattr(ingest, "_insert", lambda con, *_: long_query(con))
    # What was there before (another test's library, e.g. Spark, may have set its own).
    handlers = {n: signal.getsignal(n) for n in (signal.SIGTERM, signal.SIGINT)}
    started = time.monotonic()
    assert main(["run", "--config", str(config_path), "--log-format", "plain"]) == code
    assert time.monotonic() - started < 30  # the query alone takes minutes
    run = last_run(config_path)
    assert (run["status"], run["exit_code"], run["error"]) == ("stopped", code, error)
    assert not lock_path(load_config(config_path)).exists()
    assert not list(config_path.parent.glob("*crash*"))
    assert {n: signal.getsignal(n) for n in handlers} == handlers  # handlers put back
    assert signal.set_wakeup_fd(-1) == -1  # and the wakeup fd put back
    monkeypatch.undo()
    assert main(["run", "--config", str(config_path), "--log-format", "plain"]) == 0


def test_a_store_removed_mid_run_fails_the_run(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from connector import run as run_module

    real = run_module.compute_kpis

    def removed(*args: Any, **kwargs: Any) -> Any:
        (config_path.parent / "store.duckdb").unlink()  # a clean-up job, a lost volume
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "compute_kpis", removed)
    assert main(["run", "--config", str(config_path), "--log-format", "plain"]) == 5
    err = capsys.readouterr().err
    assert "was removed or replaced while the run used it" in err
    assert "succeeded" not in err



def test_a_store_removed_during_compute_save_is_no_success(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from connector import pipeline

    assert main(["run", "--config", str(config_path), "--log-format", "plain"]) == 0
    real = pipeline.compute_kpis

    def removed(*args: Any, **kwargs: Any) -> Any:
        (config_path.parent / "store.duckdb").unlink()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "compute_kpis", removed)
    assert main(["compute", "--config", str(config_path), "--save"]) == 5
    err = capsys.readouterr().err
    assert "was removed or replaced while the run used it" in err
    assert "saved" not in err

FILL_AND_RUN = """
import sys
from pathlib import Path
from connector.cli import main
run = ["run", "--config", "config.yaml", "--log-format", "plain"]
print("first", main(run), flush=True)
with open("vol/filler", "wb") as filler:  # every byte the tmpfs has left
    try:
        while True:
            filler.write(bytes(65536))
            filler.flush()
    except OSError:
        pass
with open("exports/opportunities.csv", "a") as more:
    more.writelines(f"n{i},u1,2025-02-01,2025-02-20,true,true,{i},USD\\n" for i in range(3000))
print("second", main(run), flush=True)
Path("vol/filler").unlink()
print("third", main(run), flush=True)
"""


@pytest.mark.slow
def test_a_run_on_a_full_file_system_says_so_and_the_next_run_resumes(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("path: store.duckdb", "path: vol/store.duckdb"))
    (tmp_path / "fill.py").write_text(FILL_AND_RUN)
    result = namespaced("mkdir vol && mount -t tmpfs -o size=6m tmpfs vol && "
                        f"{shlex.quote(sys.executable)} fill.py", tmp_path)  # fmt: skip
    assert "first 0" in result.stdout, result.stderr[-2000:]
    assert "second 5" in result.stdout, result.stderr[-2000:]
    assert f"the store's file system is full: free space at {tmp_path / 'vol'}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "third 0" in result.stdout, result.stderr[-2000:]


@pytest.mark.slow
def test_a_file_size_limit_is_said_as_a_full_file_system(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = subprocess.run(
        ["bash", "-c", f"ulimit -f 64; {CLI} run --config {config} --log-format plain"],
        capture_output=True, text=True, timeout=240,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )  # fmt: skip
    assert result.returncode == 5, result.stderr[-2000:]
    assert "the store's file system is full: a file-size limit stopped a write" in result.stderr
    assert "Traceback" not in result.stderr


READ_ONLY = """
import json
from connector.cli import main
config = ["--config", "ro/config.yaml"]
codes = [main(["status", *config, "--format", "json"]), main(["status", *config, "--check"]),
         main(["problems", *config]), main(["compute", *config, "--period", "2025-01"]),
         main(["dashboard", *config, "--out", "out/kpis.html"])]
print("read", json.dumps(codes), flush=True)
print("run", main(["run", *config, "--log-format", "plain"]), flush=True)
"""


@pytest.mark.slow
def test_read_only_commands_work_on_a_read_only_store_and_a_run_says_why_not(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "ro")
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0
    (tmp_path / "out").mkdir()
    (tmp_path / "read.py").write_text(READ_ONLY)
    python = shlex.quote(sys.executable)
    result = namespaced("mount --bind ro ro && mount -o remount,ro,bind ro && touch ro/x; "
                        f"echo touch=$?; {python} read.py", tmp_path)  # fmt: skip
    assert "touch=1" in result.stdout, result.stderr  # the store's folder really is read-only
    assert "read [0, 0, 0, 0, 0]" in result.stdout, result.stdout + result.stderr[-3000:]
    assert '"outcome": "succeeded"' in result.stdout
    assert "OK: the last run" in result.stdout
    assert (tmp_path / "out" / "kpis.html").stat().st_size > 0
    assert "run 5" in result.stdout
    assert "is on a read-only file system: a run writes to it" in result.stderr


def test_the_dashboard_and_status_do_not_need_the_crms_ca_file(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(config_path), "--log-format", "plain"]) == 0
    data = yaml.safe_load(config_path.read_text())
    data["sources"].append({"name": "hubspot", "type": "hubspot", "ca_file": "gone/ca.pem",
                            "auth": {"method": "private_app",
                                     "access_token": "${HUBSPOT_ACCESS_TOKEN}"}})  # fmt: skip
    config_path.write_text(yaml.safe_dump(data))
    assert main(["dashboard", "--config", str(config_path), "--out", str(tmp_path / "k.html")]) == 0
    assert main(["status", "--config", str(config_path)]) == 0
    capsys.readouterr()
    assert main(["validate", "--config", str(config_path)]) == 2  # reaching the CRM needs it
    assert "ca_file: file not found" in capsys.readouterr().err
