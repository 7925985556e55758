"""A portal below Enterprise (no custom objects), end to end through the CLI: validate
and setup say what is and is not written, setup creates the company properties, and a
run writes the companies' figures, says what it left out and exits 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hs_helpers import SCALE, TOKEN_ENV, hubspot_info, source_config, unlimited

import connector.crms.hubspot.setup as hs_setup
from connector.cli import main
from connector.crms.hubspot.client import HubSpotClient
from crm_sandbox import Sandbox
from crm_sandbox.hubspot.tier import NO_CUSTOM_OBJECTS

pytestmark = pytest.mark.e2e
NOT_WRITTEN = "this HubSpot portal has no custom objects"


@pytest.fixture
def professional(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(seed=7, scale=SCALE, hubspot_tier="professional") as sb:
        monkeypatch.setenv(TOKEN_ENV, hubspot_info(sb)["access_token"])
        unlimited(sb)
        yield sb


def _config(sandbox: Sandbox, tmp_path: Path) -> Path:
    source = source_config(sandbox).model_dump(mode="json", exclude_none=True)
    path = tmp_path / "config.yaml"
    store = str(tmp_path / "store.duckdb")
    path.write_text(yaml.safe_dump({"reporting": {"currency": "USD", "timezone": "UTC"},
                                    "store": {"path": store}, "sources": [source]}))
    return path


def test_the_sandbox_answers_as_hubspot_below_enterprise(professional: Sandbox) -> None:
    client = HubSpotClient(source_config(professional))
    with client:
        limits = client.call("crm.limits.custom_object_types", "get", what="limits").body
        assert limits == {"limit": 0, "percentage": 0.0, "usage": 0}
        listed = client.call("crm.schemas.core_api", "get_all", what="list").body
        assert listed["results"] == []
    assert hubspot_info(professional)["tier"] == "professional"


def test_setup_validate_and_run_do_what_the_portal_allows(
    professional: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(professional, tmp_path)
    assert main(["validate", "--config", str(config)]) == 2  # company properties missing
    out = capsys.readouterr()
    assert NOT_WRITTEN in out.out + out.err
    assert "create custom object" not in out.out + out.err
    assert main(["setup", "hubspot", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert NOT_WRITTEN in out
    assert "Enterprise subscription" in out
    assert "created property companies.crm_kpi_revenue_this_year" in out
    assert "Traceback" not in out
    assert main(["validate", "--config", str(config)]) == 0
    assert NOT_WRITTEN in capsys.readouterr().out
    assert main(["run", "--config", str(config)]) == 0
    captured = capsys.readouterr()
    summary = captured.out + captured.err
    assert "sales_kpi records not written" in summary
    assert "FAILED" not in summary
    endpoints = professional.stats()["endpoints"]
    assert "hubspot.createSchema" not in endpoints  # the limits API said 0: never tried
    assert endpoints["hubspot.batch"] == 1  # the companies' figures, one batch update
    with HubSpotClient(source_config(professional)) as client:
        body = {"filterGroups": [{"filters": [{"propertyName": "crm_kpi_customer_since",
                                               "operator": "HAS_PROPERTY"}]}], "limit": 1}
        found = client.call("crm.objects.search_api", "do_search", "companies", body,
                            what="search", search=True).body
    assert found["total"] > 0


def test_a_refused_schema_is_said_not_a_traceback(
    professional: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the limits API cannot tell (refused), setup tries the object: HubSpot's 403
    becomes the same account of what is and is not written, with HubSpot's words."""
    monkeypatch.setattr(hs_setup, "custom_object_limit", lambda api: None)
    config = _config(professional, tmp_path)
    assert main(["setup", "hubspot", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert NOT_WRITTEN in out
    assert NO_CUSTOM_OBJECTS in out
    assert professional.stats()["endpoints"]["hubspot.createSchema"] == 1
