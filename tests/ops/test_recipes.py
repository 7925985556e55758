"""The deploy/ recipes, each checked by its own tool as far as this machine allows, and
the exit-code policy: README, docs/production.md, `crm-kpi --help` and every recipe
agree with connector.errors.EXIT_CODES (only 0 and 1 are success; 3, 4 and 143 are
retried; the rest wait for a person)."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from connector.cli import main
from connector.config import load_config
from connector.errors import EXIT_CODES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
SUCCESS = {e.code for e in EXIT_CODES if e.scheduler in ("success", "alert")}
RETRY = {e.code for e in EXIT_CODES if e.scheduler == "retry"}
FAIL = {e.code for e in EXIT_CODES if e.scheduler == "fail"}


def test_the_policy_is_what_the_recipes_are_written_for() -> None:
    assert {0, 1} == SUCCESS
    assert {3, 4, 143} == RETRY
    assert {2, 5, 70, 130} == FAIL


def test_hadolint_passes_the_dockerfile_and_catches_a_bad_one(tmp_path: Path) -> None:
    hadolint = BIN / "hadolint"
    result = subprocess.run([hadolint, DEPLOY / "Dockerfile"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    text = (DEPLOY / "Dockerfile").read_text()
    assert "USER 10001" in text
    assert 'VOLUME ["/var/lib/crm-kpi"]' in text
    bad = tmp_path / "Dockerfile"
    bad.write_text(text.replace("FROM python:3.12-slim\n", "FROM python\n"))
    assert subprocess.run([hadolint, bad], capture_output=True).returncode != 0


def manifests() -> list[dict[str, object]]:
    return list(yaml.safe_load_all((DEPLOY / "kubernetes" / "crm-kpi.yaml").read_text()))


def test_the_kubernetes_manifests_validate_strictly_against_the_api_schemas() -> None:
    version = kubernetes_validate.latest_version()
    for doc in manifests():
        kubernetes_validate.validate(doc, version, strict=True)
    cronjob = next(d for d in manifests() if d["kind"] == "CronJob")
    spec = cronjob["spec"]
    assert isinstance(spec, dict)
    assert spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    rules = {r["action"]: set(r["onExitCodes"]["values"]) for r in
             job["podFailurePolicy"]["rules"] if "onExitCodes" in r}  # fmt: skip
    assert rules == {"FailJob": FAIL, "Count": RETRY}
    pod = job["template"]["spec"]
    claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert claim in {d["metadata"]["name"] for d in manifests()  # type: ignore[index]
                     if d["kind"] == "PersistentVolumeClaim"}  # fmt: skip
    assert pod["containers"][0]["command"] == ["crm-kpi-job"]  # exit 1 counts as done
    spec["concurencyPolicy"] = spec.pop("concurrencyPolicy")  # the check does catch a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, version, strict=True)


def test_yamllint_and_the_configmaps_config_loads(tmp_path: Path) -> None:
    result = subprocess.run([BIN / "yamllint", "-d", "{extends: default, rules: {line-length: "
                             "{max: 110}, document-start: disable}}", DEPLOY / "kubernetes"],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout
    config = next(d for d in manifests() if d["kind"] == "ConfigMap")["data"]
    path = tmp_path / "config.yaml"
    path.write_text(config["config.yaml"])  # type: ignore[index]
    loaded = load_config(path, offline=True)
    assert str(loaded.store.path).startswith("/var/lib/crm-kpi/")
    assert loaded.alerts[0].on == ["failure", "partial", "excluded", "stale"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_units_verify_and_follow_the_policy(tmp_path: Path) -> None:
    service = (DEPLOY / "systemd" / "crm-kpi.service").read_text()
    assert set(_numbers(service, "SuccessExitStatus")) == SUCCESS - {0}
    assert set(_numbers(service, "RestartPreventExitStatus")) == FAIL
    assert "Restart=on-failure" in service
    # Verified as this machine can: the command and user exist here, the env file is optional.
    local = (service.replace("/opt/crm-kpi/.venv/bin/crm-kpi", str(BIN / "crm-kpi"))
             .replace("User=crm-kpi", "User=root").replace("Group=crm-kpi", "Group=root")
             .replace("EnvironmentFile=/", "EnvironmentFile=-/"))  # fmt: skip
    (tmp_path / "crm-kpi.service").write_text(local)
    shutil.copy(DEPLOY / "systemd" / "crm-kpi.timer", tmp_path)
    units = [tmp_path / "crm-kpi.service", tmp_path / "crm-kpi.timer"]
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units],
                            capture_output=True, text=True)  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    (tmp_path / "crm-kpi.service").write_text(local + "SucessExitStatus=1\n")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", units[0]],
                            capture_output=True, text=True)  # fmt: skip
    assert "Unknown key" in result.stderr


def _numbers(text: str, key: str) -> list[int]:
    found = re.search(rf"^{key}=(.*)$", text, re.MULTILINE)
    assert found, key
    return [int(n) for n in found.group(1).split()]


CRON_FAKE = """#!/bin/sh
echo "$*" >> "$CRON_CALLS"
[ "$1" = run ] && exit "$FAKE_EXIT"
exit 0
"""


def cron_jobs(tmp_path: Path) -> dict[str, str]:
    """deploy/cron/crm-kpi's commands by their time, pointed at `tmp_path`."""
    jobs = {}
    for line in (DEPLOY / "cron" / "crm-kpi").read_text().splitlines():
        fields = line.split(None, 6)
        if line.startswith("#") or len(fields) < 7 or "=" in fields[0]:
            continue
        assert fields[2:5] == ["*", "*", "*"], line
        assert fields[5] == "crm-kpi", line
        command = (fields[6].replace("/etc/crm-kpi/secrets.env", str(tmp_path / "secrets.env"))
                   .replace("/var/lib/crm-kpi", str(tmp_path)).replace("/var/log/crm-kpi",
                   str(tmp_path)))  # fmt: skip
        jobs[f"{int(fields[1]):02}:{int(fields[0]):02}"] = command
    return jobs


@pytest.mark.parametrize("code", sorted({e.code for e in EXIT_CODES}))
def test_cron_retries_at_05_15_only_the_codes_worth_a_retry(tmp_path: Path, code: int) -> None:
    """The 02:15 run ends with `code`; the 05:15 line runs again only for 3, 4 and 143,
    as the policy says (and never when the first night's code is missing)."""
    (tmp_path / "secrets.env").write_text("")
    fake = tmp_path / "bin" / "crm-kpi"
    fake.parent.mkdir()
    fake.write_text(CRON_FAKE)
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}:/usr/bin:/bin", "CRON_CALLS": str(tmp_path / "calls"),
           "FAKE_EXIT": str(code)}  # fmt: skip
    jobs = cron_jobs(tmp_path)
    assert set(jobs) == {"02:15", "05:15", "09:00"}
    for at in ("05:15", "02:15", "05:15"):
        subprocess.run(["/bin/sh", "-c", jobs[at]], env=env, check=False, timeout=30)
    runs = (tmp_path / "calls").read_text().splitlines()
    assert all(r.startswith("run --config /etc/crm-kpi/config.yaml") for r in runs)
    assert len(runs) == (2 if code in RETRY else 1)
    assert (tmp_path / "last-exit").read_text().strip() == str(code)


@pytest.mark.parametrize("path", ["airflow/crm_kpi_dag.py", "dagster/crm_kpi_dagster.py"])
def test_the_airflow_and_dagster_code_follows_the_policy(path: str) -> None:
    tree = ast.parse((DEPLOY / path).read_text())
    sets = {t.id: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name) and t.id in ("SUCCESS", "RETRY")}  # fmt: skip
    assert sets == {"SUCCESS": SUCCESS, "RETRY": RETRY}


FAKE = """#!{python}
import os, signal, sys, time
code = int(os.environ["FAKE_EXIT"])
if code == 143:  # wait for SIGTERM, then exit as crm-kpi does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("waiting", flush=True)
    time.sleep(60)
sys.exit(code)
"""


@pytest.mark.parametrize(("exit_code", "job_code"), [(0, 0), (1, 0), (4, 4), (5, 5), (70, 70)])
def test_the_job_wrapper_counts_a_partial_run_as_done(
    tmp_path: Path, exit_code: int, job_code: int
) -> None:
    fake = tmp_path / "crm-kpi"
    fake.write_text(FAKE.format(python=sys.executable))
    fake.chmod(0o755)
    env = {**os.environ, "CRM_KPI": str(fake), "FAKE_EXIT": str(exit_code)}
    done = subprocess.run([DEPLOY / "crm-kpi-job", "--config", "c.yaml"], env=env, timeout=30)
    assert done.returncode == job_code


def test_the_job_wrapper_passes_sigterm_on_and_keeps_its_code(tmp_path: Path) -> None:
    fake = tmp_path / "crm-kpi"
    fake.write_text(FAKE.format(python=sys.executable))
    fake.chmod(0o755)
    env = {**os.environ, "CRM_KPI": str(fake), "FAKE_EXIT": "143"}
    job = subprocess.Popen([DEPLOY / "crm-kpi-job"], env=env, stdout=subprocess.PIPE, text=True)
    assert job.stdout is not None
    assert job.stdout.readline().strip() == "waiting"
    started = time.monotonic()
    job.send_signal(signal.SIGTERM)
    assert job.wait(timeout=20) == 143
    job.stdout.close()
    assert time.monotonic() - started < 10  # crm-kpi got it, rather than a timeout


def exit_rows(text: str) -> dict[int, str]:
    """`| code | meaning | ... | a scheduler |` rows of a Markdown table: the last cell,
    by code."""
    return {int(m.group(1)): m.group(2).rsplit("|", 2)[-2].strip() for m in
            re.finditer(r"^\| (\d+) \|(.*)$", text, re.MULTILINE)}  # fmt: skip


@pytest.mark.parametrize("doc", ["README.md", "docs/production.md"])
def test_readme_and_production_docs_list_every_exit_code_and_its_policy(doc: str) -> None:
    rows = exit_rows((ROOT / doc).read_text())
    assert set(rows) == {e.code for e in EXIT_CODES}
    assert {c for c, said in rows.items() if said.startswith("success")} == SUCCESS
    assert {c for c, said in rows.items() if said.startswith("retry")} == RETRY
    assert {c for c, said in rows.items() if said.startswith("fail")} == FAIL


def test_help_lists_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for code in EXIT_CODES:
        assert re.search(rf"^\s+{code.code}\s+{re.escape(code.meaning[:30])}", out,
                         re.MULTILINE), code  # fmt: skip


QUICK_FAKE = """#!/bin/sh
if [ "$FAKE_EXIT" = wait ]; then  # until SIGTERM, then exit as crm-kpi does
  trap 'echo term > "$FAKE_TERMED"; exit 143' TERM
  while :; do sleep 0.1; done
fi
exit "$FAKE_EXIT"
"""
VENVS = os.environ.get("CRM_KPI_ORCHESTRATOR_VENVS")


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["airflow", "dagster"])
def test_the_orchestrator_loads_the_recipe_and_acts_on_each_exit_code(
    tool: str, tmp_path: Path
) -> None:
    """Airflow's DagBag and Dagster's own loader, in venvs of their own made by
    `deploy/check-orchestrators` (too heavy to install in every CI run: see
    docs/production.md); the task meets a fake crm-kpi exiting with each code."""
    python = Path(VENVS or "/nonexistent") / tool / "bin" / "python"
    if not python.exists():
        pytest.skip("set CRM_KPI_ORCHESTRATOR_VENVS (deploy/check-orchestrators makes them)")
    fake = tmp_path / "crm-kpi"
    fake.write_text(QUICK_FAKE)
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    done = subprocess.run([python, Path(__file__).with_name("orchestrators.py"), tool, DEPLOY,
                           fake], capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env={**env, "AIRFLOW_HOME": str(tmp_path / "airflow"),
                               "DAGSTER_HOME": str(tmp_path),
                               "FAKE_TERMED": str(tmp_path / "termed")})  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-4000:]
    found = json.loads(line.removeprefix("RESULT "))
    expected = {str(c): "success" for c in SUCCESS} | {str(c): "retry" for c in RETRY}
    expected |= {str(c): "fail" for c in FAIL - {130}}
    assert found["outcome"] == expected
    assert found["sigterm_on_stop"]  # a stopped task lets crm-kpi save state and the lease
    if tool == "airflow":
        assert (found["errors"], found["dags"]) == ({}, ["crm_kpi_nightly"])
        assert (found["retries"], found["max_active_runs"]) == (2, 1)
    else:
        assert (found["job"], found["schedules"]) == ("crm_kpi_nightly", ["15 2 * * *"])
