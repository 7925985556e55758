"""End to end: `crm-kpi validate` and `crm-kpi run` with a config.yaml on the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mapping_edit import edited_mapping
from sf_helpers import config_yaml, make_source

from connector.cli import main
from connector.invocation import suggest
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
    assert main(["validate", "--config", str(config)]) == 2  # setup has not run yet
    pending = capsys.readouterr().err
    # the command to type, with this config: setup's hint is runnable as printed
    setup = suggest("setup", "salesforce", "--config", config)
    assert f"salesforce.yaml: run `{setup}`: " in pending
    assert f"--config {config}" in pending
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
    assert "created" not in second.out  # the same deploy again, nothing new in the org
    assert "assigned" not in second.out
    assert "salesforce: deployed 14 components" in second.out
    printed = first.out + first.err + second.out + second.err
    assert sandbox.info["salesforce"]["refresh_token"] not in printed


def _with_account_field(sb: Sandbox, folder: Path, mapped: str) -> tuple[Path, int]:
    """A config whose mapping writes `revenue_this_year` into `mapped` (a YAML value), and
    the mapping line that says so."""
    mapping, line = edited_mapping(folder, "salesforce.yaml",
                                   "    revenue_this_year: KPI_Revenue_This_Year__c",
                                   f"    revenue_this_year: {mapped}")  # fmt: skip
    config = write_config(sb, folder)
    config.write_text(config.read_text() + f"    mapping: {mapping}\n")
    return config, line


def test_validate_and_setup_refuse_fields_the_writer_may_not_write(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    refused: Callable[[str, Path], str],
) -> None:
    monkeypatch.setenv("SF_REFRESH_TOKEN", sandbox.info["salesforce"]["refresh_token"])
    # A field the pull mapping reads.
    config, line = _with_account_field(sandbox, tmp_path, "Territory__c")
    said = refused("salesforce", config)
    assert (f"salesforce.yaml:{line} push.account_fields.revenue_this_year: the writer never "
            "writes a field it reads: Account.Territory__c is read by") in said  # fmt: skip
    # A field someone else created, not handed over.
    with make_source(sandbox).transport() as transport:
        transport.restful("tooling/sobjects/CustomField", "POST", {
            "FullName": "Account.Region_Note__c",
            "Metadata": {"label": "Region note", "type": "Text", "length": 80},
        })  # fmt: skip
    config, line = _with_account_field(sandbox, tmp_path, "Region_Note__c")
    said = refused("salesforce", config)
    assert (f"salesforce.yaml:{line} push.account_fields.revenue_this_year: "
            "Account.Region_Note__c exists and was not created by crm-kpi") in said  # fmt: skip
    # Handed over, but a text field cannot become a Currency without losing data.
    handed = "{field: Region_Note__c, take_over: true}"
    config, line = _with_account_field(sandbox, tmp_path, handed)
    said = refused("salesforce", config)
    assert (
        f"salesforce.yaml:{line} push.account_fields.revenue_this_year: "
        "Account.Region_Note__c is a string field; crm-kpi writes a Currency there"
    ) in said
    with make_source(sandbox).transport() as transport:  # setup created nothing
        sobjects = {o["name"] for o in transport.restful("sobjects")["sobjects"]}
        assert "Sales_KPI__c" not in sobjects
        assert "KPI_Revenue_This_Year__c" not in {
            f["name"] for f in transport.describe("Account")["fields"]}  # fmt: skip
