"""End to end: `crm-kpi validate` and `crm-kpi run` with a config.yaml on the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.cli import main
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e


def write_config(sb: Sandbox, folder: Path) -> Path:
    info = sb.info["salesforce"]
    path = folder / "config.yaml"
    path.write_text(
        f"""reporting: {{currency: USD, timezone: UTC}}
store: {{path: store.duckdb}}
sources:
  - name: salesforce
    type: salesforce
    login_url: {info["login_url"]}
    ca_file: {sb.info["ca_file"]}
    auth:
      method: refresh_token
      client_id: {info["client_id"]}
      refresh_token: ${{SF_REFRESH_TOKEN}}
    http: {{initial_backoff_seconds: 0.01}}
    pull: {{bulk_poll_seconds: 0}}
    push: {{enabled: true}}
"""
    )
    return path


def test_validate_then_nightly_run_then_an_unchanged_rerun(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SF_REFRESH_TOKEN", sandbox.info["salesforce"]["refresh_token"])
    config = write_config(sandbox, tmp_path)
    assert main(["validate", "--config", str(config)]) == 2  # setup has not run yet
    pending = capsys.readouterr().err
    assert "salesforce.yaml: run `crm-kpi setup salesforce`: " in pending
    assert "changes to make (create custom object Sales_KPI__c;" in pending
    assert main(["setup", "salesforce", "--config", str(config)]) == 0
    first = capsys.readouterr()
    assert "created custom object Sales_KPI__c" in first.out
    assert main(["validate", "--config", str(config)]) == 0
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0
    with Store(tmp_path / "store.duckdb") as store:
        pushed = store.con.execute("SELECT count(*) FROM push_state").fetchall()[0][0]
    assert pushed > 0
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0
    assert main(["setup", "salesforce", "--config", str(config)]) == 0
    second = capsys.readouterr()
    assert "already in place" in second.out
    printed = first.out + first.err + second.out + second.err
    assert sandbox.info["salesforce"]["refresh_token"] not in printed
