"""End to end through the CLI: validate, setup hubspot, and a whole run that pushes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hs_helpers import source_config
from mapping_edit import edited_mapping

from connector.cli import main
from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.mapping import load_mapping
from connector.crms.hubspot.setup import find_schema
from connector.invocation import suggest
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))


def _config(sandbox: Sandbox, tmp_path: Path) -> Path:
    source = source_config(sandbox).model_dump(mode="json", exclude_none=True)
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "reporting": {"currency": "USD", "timezone": "UTC"},
                "store": {"path": str(tmp_path / "store.duckdb")},
                "sources": [source],
            }
        )
    )
    return path


def test_validate_setup_and_run(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(sandbox, tmp_path)
    assert main(["validate", "--config", str(config)]) == 2  # the writer's object is missing
    hint = f"run `{suggest('setup', 'hs', '--config', config)}`"
    assert f"create custom object sales_kpi: {hint}" in capsys.readouterr().err
    assert main(["setup", "hubspot", "--config", str(config)]) == 0
    assert "created custom object sales_kpi" in capsys.readouterr().out
    assert main(["validate", "--config", str(config)]) == 0
    assert main(["setup", "hubspot", "--config", str(config)]) == 0
    assert "already in place" in capsys.readouterr().out
    assert main(["run", "--config", str(config)]) == 0
    captured = capsys.readouterr()
    summary = captured.out + captured.err
    assert "API calls: hs" in summary
    assert "FAILED" not in summary


def test_an_untrusted_certificate_exits_5_naming_tls_without_a_traceback(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(sandbox, tmp_path)
    data = yaml.safe_load(config.read_text())
    del data["sources"][0]["ca_file"]
    config.write_text(yaml.safe_dump(data))
    for command in ("validate", "run"):
        assert main([command, "--config", str(config)]) == 5
        err = capsys.readouterr().err
        assert "TLS to the CRM failed" in err
        assert "ca_file" in err
        assert "Traceback" not in err
        assert "AttributeError" not in err


def test_run_with_a_mapping_that_does_not_fit_exits_2_like_validate(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "hubspot.yaml"
    shipped = Path(__file__).parents[2] / "connector" / "mappings" / "hubspot.yaml"
    mapping.write_text(shipped.read_text().replace("cost: deal_cost", "cost: no_such_prop"))
    config = _config(sandbox, tmp_path)
    data = yaml.safe_load(config.read_text())
    data["sources"][0]["mapping"] = str(mapping)
    config.write_text(yaml.safe_dump(data))
    assert main(["validate", "--config", str(config)]) == 2
    assert "no_such_prop" in capsys.readouterr().err
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "no_such_prop" in err
    assert str(mapping) in err


def _with_company_property(sandbox: Sandbox, folder: Path, mapped: str) -> tuple[Path, int]:
    """A config whose mapping writes `revenue_this_year` into `mapped` (a YAML value), and
    the mapping line that says so."""
    mapping, line = edited_mapping(folder, "hubspot.yaml",
                                   "    revenue_this_year: crm_kpi_revenue_this_year",
                                   f"    revenue_this_year: {mapped}")  # fmt: skip
    config = _config(sandbox, folder)
    data = yaml.safe_load(config.read_text())
    data["sources"][0]["mapping"] = str(mapping)
    config.write_text(yaml.safe_dump(data))
    return config, line


def test_validate_and_setup_refuse_properties_the_writer_may_not_write(
    sandbox: Sandbox, tmp_path: Path, refused: Callable[[str, Path], str]
) -> None:
    at = "push.account_fields.revenue_this_year"
    config, line = _with_company_property(sandbox, tmp_path, "territory")
    said = refused("hubspot", config)
    assert (f"hubspot.yaml:{line} {at}: the writer never writes a property it reads: "
            "companies.territory is read by") in said  # fmt: skip
    source = HubSpotSource(source_config(sandbox), MAPPING, "UTC")
    try:
        note = {"name": "region_note", "label": "Region note", "type": "string",
                "fieldType": "text", "groupName": "companyinformation"}  # fmt: skip
        source.api.call("crm.properties.core_api", "create", "companies", note, what="theirs")
        config, line = _with_company_property(sandbox, tmp_path, "region_note")
        said = refused("hubspot", config)
        assert f"hubspot.yaml:{line} {at}: companies.region_note exists" in said
        assert "take_over: true" in said
        handed = "{field: region_note, take_over: true}"
        config, line = _with_company_property(sandbox, tmp_path, handed)
        said = refused("hubspot", config)
        assert f"hubspot.yaml:{line} {at}: companies.region_note is a string" in said
        assert find_schema(source.api, "sales_kpi") is None  # setup changed nothing
    finally:
        source.transport.close()
