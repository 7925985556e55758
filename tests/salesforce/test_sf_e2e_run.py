"""End to end: `crm-kpi validate` and `crm-kpi run` with a config.yaml on the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from sf_helpers import config_yaml

from connector.cli import main
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e


def write_config(sb: Sandbox, folder: Path) -> Path:
    return config_yaml(sb, folder)


def test_validate_then_nightly_run_then_an_unchanged_rerun(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SF_REFRESH_TOKEN", sandbox.info["salesforce"]["refresh_token"])
    config = write_config(sandbox, tmp_path)
    assert main(["validate", "--config", str(config)]) == 0
    assert main(["setup", "salesforce", "--config", str(config)]) == 0
    first = capsys.readouterr()
    assert "created custom object Sales_KPI__c" in first.out
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
