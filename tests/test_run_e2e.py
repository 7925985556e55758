"""`crm-kpi run` end to end on the Salesforce sandbox, as a scheduler sees it: processes,
exit codes, kill -9, a second run during the first, dry runs, and no secret anywhere."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from salesforce.sf_helpers import config_yaml

from connector.cli import main
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e

TOKEN_ENV = "SF_REFRESH_TOKEN"  # config_yaml's
SECRET_ENV = "E2E_SF_CLIENT_SECRET"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=5, scale=0.01) as sb:
        yield sb


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    info = sandbox.info["salesforce"]
    monkeypatch.setenv(TOKEN_ENV, info["refresh_token"])
    monkeypatch.setenv(SECRET_ENV, info["client_secret"])
    path = config_yaml(sandbox, tmp_path, secret_env=SECRET_ENV, http={
        "initial_backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "max_attempts": 3})
    assert main(["setup", "salesforce", "--config", str(path)]) == 0
    return path


def run(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", "run", "--config", str(config),
         "--log-format", "plain"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "run", "--config", str(config),
         "--log-format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def writes(sb: Sandbox) -> int:
    return sum(n for name, n in sb.stats()["endpoints"].items() if "collection" in name.lower())


def kpi_records(sb: Sandbox) -> list[str]:
    info = sb.info["salesforce"]
    with requests.Session() as session:
        session.verify, session.trust_env = sb.info["ca_file"], False
        url = f"{info['instance_url']}/services/data/v60.0/query/"
        headers = {"Authorization": f"Bearer {info['access_token']}"}
        keys: list[str] = []
        answer = session.get(url, params={"q": "SELECT KPI_Key__c FROM Sales_KPI__c"},
                             headers=headers, timeout=30).json()  # fmt: skip
        while True:
            keys += [r["KPI_Key__c"] for r in answer["records"]]
            if answer["done"]:
                return keys
            answer = session.get(info["instance_url"] + answer["nextRecordsUrl"],
                                 headers=headers, timeout=30).json()  # fmt: skip


def last_run(config: Path) -> dict[str, object]:
    with Store(config.parent / "store.duckdb") as store:
        row = store.con.execute(
            "SELECT summary FROM runs ORDER BY started_at DESC LIMIT 1"
        ).fetchall()
    return dict(json.loads(row[0][0]))


def hold_push(sb: Sandbox, after: int = 0) -> None:
    """Hold the run's writes (after letting `after` through) until the test releases "push"."""
    sb.faults.add({"kind": "hold", "path": "composite/sobjects", "name": "push",
                   "after": after})  # fmt: skip


def wait_held(sb: Sandbox, proc: subprocess.Popen[str], seconds: float = 120) -> None:
    """Until the run's push is held; fails at once if the run ends first."""
    deadline = time.monotonic() + seconds
    while not sb.faults.wait_held("push", timeout=0.1):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached its push"


def test_kill_9_during_push_then_rerun_loses_and_duplicates_nothing(
    sandbox: Sandbox, config: Path
) -> None:
    hold_push(sandbox, after=1)  # one batch written, the next held: the run is mid-push
    proc = start(config)
    try:
        wait_held(sandbox, proc)
    finally:  # killed whatever happens: no run outlives the test
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    # The held batch lands after the kill and its answer is lost, as a write in flight
    # would: the rerun must neither write it twice nor miss the batches never sent.
    sandbox.faults.release("push")
    deadline = time.monotonic() + 60
    while writes(sandbox) < 2:
        assert time.monotonic() < deadline, "the held batch never landed"
        time.sleep(0.05)
    written_before_kill = len(kpi_records(sandbox))
    sandbox.faults.clear()
    again = run(config)
    assert again.returncode == 0, again.stderr
    assert "took over the stale lock" in again.stderr
    keys = kpi_records(sandbox)
    assert len(keys) == len(set(keys)), "no KPI record twice"
    with Store(config.parent / "store.duckdb") as store:
        expected = store.con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT period_type, period, scope_type, scope_id "
            "FROM kpi_results WHERE breakdown_type IS NULL)"
        ).fetchall()[0][0]
        statuses = [r[0] for r in store.con.execute("SELECT status FROM runs").fetchall()]
    assert len(keys) == expected > written_before_kill, "nothing lost"
    assert sorted(statuses) == ["interrupted", "succeeded"]
    third = run(config)
    assert third.returncode == 0
    # nothing changed: only the "as of" of the period in progress is sent again (its KPI
    # records and the reps' current figures on User), no closed period's record
    with Store(config.parent / "store.duckdb") as store:
        running = store.con.execute(
            "SELECT count(DISTINCT (period_type, period, scope_type, scope_id)) FROM kpi_results "
            "WHERE period_status = 'in progress'").fetchall()[0][0]  # fmt: skip
        reps = store.con.execute(
            "SELECT count(DISTINCT r.scope_id) FROM kpi_results r JOIN owners o ON o.id = "
            "r.scope_id AND NOT o.is_deleted AND coalesce(o.active, true) WHERE r.period_type = "
            "'month' AND r.scope_type = 'owner' AND r.period_status = 'in progress'"
        ).fetchall()[0][0]  # fmt: skip
    assert last_run(config)["written"] == running + reps


def test_a_second_run_during_the_first_exits_3(sandbox: Sandbox, config: Path) -> None:
    hold_push(sandbox)  # the first run waits inside its push until released
    first = start(config)
    try:
        wait_held(sandbox, first)
        second = run(config)
        assert second.returncode == 3, second.stderr
        assert f"pid {first.pid} on {socket.gethostname()}" in second.stderr
        assert "since" in second.stderr
        sandbox.faults.release("push")
        out, _ = first.communicate(timeout=300)
    finally:
        if first.poll() is None:  # a failed check above: no run outlives the test
            first.kill()
            first.communicate()
    assert first.returncode == 0
    assert all(json.loads(line)["run_id"] for line in out.splitlines())


def test_per_record_failures_exit_1_and_are_listed(sandbox: Sandbox, config: Path) -> None:
    sandbox.faults.add({"kind": "record_error", "path": "composite/sobjects/Sales_KPI__c",
                        "error_code": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                        "message": "Scope is locked"})  # fmt: skip
    result = run(config)
    assert result.returncode == 1
    assert "FAILED salesforce:" in result.stderr
    assert "Scope is locked" in result.stderr


def test_spent_api_allowance_exits_4_and_the_next_run_finishes(
    sandbox: Sandbox, config: Path
) -> None:
    sandbox.faults.add({"kind": "limit", "path": "query", "after": 3})
    stopped = run(config)
    assert stopped.returncode == 4, stopped.stderr
    assert "REQUEST_LIMIT_EXCEEDED" in stopped.stderr or "limit" in stopped.stderr.lower()
    sandbox.faults.clear()
    assert run(config).returncode == 0


def test_refused_credentials_exit_5_a_person_must_act(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "not-the-refresh-token")
    result = run(config)
    assert result.returncode == 5, result.stderr
    assert "invalid_grant" in result.stderr
    assert "issue a new one" in result.stderr
    assert "not-the-refresh-token" not in result.stdout + result.stderr


def test_an_unknown_consumer_key_exits_5_saying_which_setting(config: Path) -> None:
    text = config.read_text()
    client_id = yaml.safe_load(text)["sources"][0]["auth"]["client_id"]
    config.write_text(text.replace(str(client_id), "3MVG9-not-this-orgs-app"))
    result = run(config)
    assert result.returncode == 5, result.stderr
    assert "invalid_client_id" in result.stderr
    assert "consumer key" in result.stderr
    assert last_run(config)["exit_code"] == 5


def test_dry_run_prints_old_and_new_and_writes_nothing(sandbox: Sandbox, config: Path) -> None:
    before = writes(sandbox)
    dry = subprocess.run([sys.executable, "-m", "connector.cli", "run", "--config", str(config),
                          "--dry-run", "--log-format", "plain"],
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    assert writes(sandbox) == before
    assert kpi_records(sandbox) == []
    planned = [line for line in dry.stderr.splitlines() if "would write salesforce:" in line]
    assert planned
    assert all("→" in line for line in planned)


def test_no_secret_in_any_output_or_in_the_store(sandbox: Sandbox, config: Path) -> None:
    info = sandbox.info["salesforce"]
    secrets = [info["refresh_token"], info["client_secret"], info["access_token"]]
    outputs = [run(config), run(config)]
    dry = subprocess.run([sys.executable, "-m", "connector.cli", "run", "--config", str(config),
                          "--dry-run", "--log-format", "json"],
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    status = subprocess.run([sys.executable, "-m", "connector.cli", "status", "--config",
                             str(config)], capture_output=True, text=True, check=True)  # fmt: skip
    text = "".join(p.stdout + p.stderr for p in [*outputs, dry, status])
    stored = b"".join(p.read_bytes() for p in config.parent.glob("store.duckdb*"))
    for secret in secrets:
        assert secret not in text
        assert secret.encode() not in stored
    assert os.environ[TOKEN_ENV] == info["refresh_token"]
