"""`crm-kpi run`: stages, lock, run log, exit codes, output formats and redaction."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import connector.secrets
from connector.cli import main
from connector.config import load_config
from connector.errors import LockedError
from connector.lock import RunLock
from connector.resources import shipped
from connector.run import lock_path, run_nightly
from connector.runlog import RunLog
from connector.secrets import register_secret
from connector.store import Store
from connector.store.runs import recent_runs


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "owners.csv").write_text("id,name,team\nu1,Ann,T1\n")
    (exports / "opportunities.csv").write_text(
        "id,owner_id,created_at,close_date,is_closed,is_won,amount\n"
        "o1,u1,2025-01-05,2025-01-20,true,true,1000\n"
        "o2,u1,2025-01-06,,true,true,500\n"
    )
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\n"
    )
    return path


def test_run_pulls_computes_and_logs_the_run(config_path: Path) -> None:
    config = load_config(config_path)
    out = io.StringIO()
    summary = run_nightly(config, RunLog("plain", out))
    assert summary.status == "succeeded"
    assert (summary.pulled, summary.quarantined) == (2, 1)
    assert summary.kpi_rows > 0
    assert set(summary.stage_seconds) == {"pull exports", "compute"}
    assert "pull exports: done in" in out.getvalue()
    with Store(config.store.path) as store:
        runs = recent_runs(store)
    assert [(r.run_id, r.status) for r in runs] == [(summary.run_id, "succeeded")]
    assert json.loads(runs[0].summary or "")["pulled"] == 2
    assert not lock_path(config).exists()


def test_json_log_is_one_object_per_line(config_path: Path) -> None:
    out = io.StringIO()
    run_nightly(load_config(config_path), RunLog("json", out))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["stage"] for r in records} >= {"run", "pull exports", "compute"}
    assert all(r["run_id"] for r in records)


def test_a_second_run_while_one_holds_the_lock_exits_3(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(config_path)
    with RunLock(lock_path(config), "first-run"):
        assert main(["run", "--config", str(config_path)]) == 3
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err
    assert "first-run" in err
    assert "since" in err


def test_stale_lock_of_a_dead_process_is_taken_over(config_path: Path) -> None:
    config = load_config(config_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    lock_path(config).write_text(json.dumps({
        "pid": int(dead.stdout), "host": socket.gethostname(), "run_id": "killed-run",
        "since": "2026-01-01T00:00:00+00:00",
    }))  # fmt: skip
    out = io.StringIO()
    summary = run_nightly(config, RunLog("plain", out))
    assert summary.status == "succeeded"
    assert "took over the stale lock of run killed-run" in out.getvalue()


def test_a_lock_naming_a_reused_pid_is_taken_over(config_path: Path) -> None:
    # pid 1 exists (it is init), but it did not take a lock in 2020: it started later.
    config = load_config(config_path)
    lock_path(config).write_text(json.dumps({
        "pid": 1, "host": socket.gethostname(), "run_id": "run-of-2020",
        "since": "2020-01-01T00:00:00+00:00",
    }))  # fmt: skip
    out = io.StringIO()
    summary = run_nightly(config, RunLog("plain", out))
    assert summary.status == "succeeded"
    said = out.getvalue()
    assert f"took over the stale lock of run run-of-2020, pid 1 on {socket.gethostname()}" in said
    assert "(pid 1 is another process now)" in said


def test_a_lock_is_held_only_by_the_process_that_started_when_it_says(tmp_path: Path) -> None:
    path = tmp_path / "store.lock"
    with RunLock(path, "mine"):
        holder = json.loads(path.read_text())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert holder["pid"] == os.getpid()
        with pytest.raises(LockedError):
            RunLock(path, "second").acquire()
        # The same pid with another start time is another process: the pid was reused.
        path.write_text(json.dumps({**holder, "process_started": holder["process_started"] - 60}))
        second = RunLock(path, "second")
        second.acquire()
        assert second.took_over_because == f"pid {os.getpid()} is another process now"
        second.release()


def test_lock_of_another_host_is_respected(tmp_path: Path) -> None:
    path = tmp_path / "store.lock"
    path.write_text(json.dumps({"pid": 1, "host": "elsewhere", "run_id": "r", "since": "x"}))
    with pytest.raises(LockedError, match="on elsewhere"):
        RunLock(path, "mine").acquire()


def test_interrupted_run_is_marked_and_the_next_run_finishes(config_path: Path) -> None:
    config = load_config(config_path)
    with Store(config.store.path) as store:
        store.con.execute(
            "INSERT INTO runs VALUES ('killed', 'run (pid 1)', now(), NULL, 'running', NULL)"
        )
    summary = run_nightly(config, RunLog("plain", io.StringIO()))
    with Store(config.store.path) as store:
        statuses = {r.run_id: r.status for r in recent_runs(store)}
    assert statuses == {"killed": "interrupted", summary.run_id: "succeeded"}


def test_status_lists_runs(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--config", str(config_path)]) == 0
    assert "no runs yet" in capsys.readouterr().out
    assert main(["run", "--config", str(config_path), "--log-format", "plain"]) == 0
    capsys.readouterr()
    assert main(["status", "--config", str(config_path)]) == 0
    assert "succeeded" in capsys.readouterr().out


def test_validate_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "owners.csv").write_text("id,id\n1,2\n")
    (exports / "leads.csv").write_text("")
    (exports / "opportunities.csv").write_text("id,created_at\n")
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: exports, mapping: files.yaml}\n"
    )
    (tmp_path / "files.yaml").write_text(
        "entities:\n  opportunities:\n    columns: {amount: Amount}\n"
    )
    assert main(["validate", "--config", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "owners.csv:1 header row is empty or repeats a column name",
        "leads.csv is empty (0 bytes): even an export without records has its header row. "
        "Re-run the export, or delete the file if the entity has no data.",
        "opportunities.csv:1 column 'Amount' mapped to opportunities.amount is not in the "
        "file (files.yaml:3 streams[0].fields.amount; columns: id, created_at)",
    ]


def test_no_secret_reaches_the_log(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector.secrets, "_known", set())
    register_secret("s3cr3t-token-value")
    out = io.StringIO()
    log = RunLog("json", out)
    log.run_id = "r"
    log.event("pull", "calling with s3cr3t-token-value", header="Bearer s3cr3t-token-value")
    plain = io.StringIO()
    RunLog("plain", plain).event("pull", "token=s3cr3t-token-value")
    assert "s3cr3t-token-value" not in out.getvalue() + plain.getvalue()
    assert "***" in out.getvalue()


def test_a_secret_that_is_also_a_key_name_keeps_json_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A process-wide registry: give this test its own, so "stage" stays secret only here.
    monkeypatch.setattr(connector.secrets, "_known", set())
    register_secret("stage")
    out = io.StringIO()
    RunLog("json", out).event("pull", "stage two", detail={"stage": 1})
    record = json.loads(out.getvalue())
    assert record["stage"] == "pull"
    assert record["message"] == "*** two"


def test_init_writes_a_valid_config_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "kpi"
    assert main(["init", "--crm", "files", "--dir", str(folder)]) == 0
    assert f"next: put your CSV exports in {folder / 'exports'}; " in capsys.readouterr().out
    assert (folder / "mappings" / "files.yaml").is_file()
    assert (folder / "exports").is_dir(), "the folder the config names, for the exports"
    config = load_config(folder / "config.yaml")
    assert [s.type for s in config.sources] == ["files"]
    # An empty export folder would compute nothing: validate says so, then passes once
    # the exports are in it.
    capsys.readouterr()
    assert main(["validate", "--config", str(folder / "config.yaml")]) == 2
    assert "sources[0].path: the export folder" in capsys.readouterr().err
    for export in shipped("demo/data/exports").iterdir():
        (folder / "exports" / export.name).write_bytes(export.read_bytes())
    assert main(["validate", "--config", str(folder / "config.yaml")]) == 0
    assert main(["init", "--crm", "files", "--dir", str(folder)]) == 2
    assert "already exists (use --force to overwrite)" in capsys.readouterr().err
    assert main(["init", "--crm", "files", "--dir", str(folder), "--force"]) == 0
    assert main(["init", "--crm", "dynamics", "--dir", str(folder)]) == 2


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_init_for_a_crm_writes_a_config_that_loads(tmp_path: Path, crm: str) -> None:
    assert main(["init", "--crm", crm, "--dir", str(tmp_path)]) == 0
    text = (tmp_path / "config.yaml").read_text()
    if crm == "salesforce":
        (tmp_path / "secrets").mkdir()
        (tmp_path / "secrets" / "salesforce-jwt.key").write_text("key")
    config = load_config(tmp_path / "config.yaml")
    assert [s.type for s in config.sources] == [crm]
    assert config.sources[0].pushes
    assert "${" in text or crm == "salesforce"
    assert (tmp_path / "mappings" / f"{crm}.yaml").is_file()
