"""End to end, through hubspot-api-client against the sandbox portal: `crm-kpi discover
hubspot` proposes a mapping that validates and runs, fixes what the portal names
otherwise, lists what must be added, at a bounded cost; `crm-kpi validate` reports
every problem, static and live, at its line, in one pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hs_helpers import source_config

from connector.cli import main
from connector.crms.config import shipped_mapping
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e


def config_with(sandbox: Sandbox, folder: Path, mapping: Path | None, extra: str = "") -> Path:
    source = source_config(sandbox, push={"enabled": False})
    data = source.model_dump(mode="json", exclude_none=True)
    if mapping is not None:
        data["mapping"] = str(mapping)
    else:
        data.pop("mapping", None)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({"reporting": {"currency": "USD", "timezone": "UTC"},
                                    "store": {"path": str(folder / "store.duckdb")},
                                    "sources": [data]}) + extra)
    return path


def mapping_with(folder: Path, *edits: tuple[str, str]) -> Path:
    text = shipped_mapping("hubspot.yaml").read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = folder / "hubspot.yaml"
    path.write_text(text)
    return path


def calls(sandbox: Sandbox) -> int:
    return sum(sandbox.stats()["endpoints"].values())


def test_the_proposal_places_every_option_validates_and_runs(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_with(sandbox, tmp_path, None)
    out = tmp_path / "proposed.yaml"
    sandbox.reset_stats()
    assert main(["discover", "hubspot", "--config", str(config), "--out", str(out)]) == 0
    spent = calls(sandbox)
    # properties of the 9 object types, the schemas, the pipelines, two owner listings
    assert spent == 13
    assert f"hs: {spent} API calls; the proposal written to" in capsys.readouterr().err
    text = re.sub(r"\n# +(?=[^ -])", " ", out.read_text())
    assert "36 of 36 mapped properties exist" in text
    assert "deal pipeline Sales Pipeline (id default;" in text
    assert "Closed Won (won)" in text
    proposed = config_with(sandbox, tmp_path, out)
    assert main(["validate", "--config", str(proposed)]) == 0
    assert main(["run", "--config", str(proposed), "--log-format", "plain"]) == 0


def test_what_the_portal_lacks_or_names_otherwise_is_fixed_or_listed(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = mapping_with(
        tmp_path,
        ("cost: deal_cost", "cost: deal_costs"),
        ("      territory: territory\n      type:", "      territory: sales_region\n      type:"),
        ("        Web: web\n", "        Web: web\n        Conference: event\n"),
        ("object: feedback_submissions", "object: nps_answers"),
    )
    config = config_with(sandbox, tmp_path, mapping)
    out = tmp_path / "proposed.yaml"
    args = ["discover", "hubspot", "--config", str(config), "--out", str(out), "--diff"]
    assert main(args) == 0
    captured = capsys.readouterr()
    diff = re.sub(r" +#", " #", captured.out)
    assert "+      cost: deal_cost # was deal_costs, which the portal lacks: its name suggests " \
           "cost\n" in diff
    assert "+      territory: territory # was sales_region, which the portal lacks" in diff
    assert "-        Conference: event\n" in diff
    assert "streams[0].values.contact_method.Conference left out" in captured.err
    text = re.sub(r"\n# +(?=[^ -])", " ", out.read_text())
    assert ("# - object type nps_answers: the token cannot read it, or the portal has no such "
            "object type") in text
    assert "meanwhile left out: streams[8] (survey_responses from nps_answers)" in text
    proposed = config_with(sandbox, tmp_path, out)
    capsys.readouterr()
    assert main(["validate", "--config", str(proposed)]) == 0, capsys.readouterr().err


def test_validate_reports_static_and_live_problems_at_their_lines_in_one_pass(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = mapping_with(
        tmp_path,
        ("      amount: amount\n", "      amount: amout\n"),
        ("        Web: web\n", "        Web: web\n        Conference: event\n"),
        ("        Email: email\n", "        Email: e-mail\n"),
        ("    object: calls\n", "    object: cals\n"),
        ("hs_survey_type: [CSAT, CES, CUSTOM]", "hs_survey_type: [CSAT, CES, CUSTM]"),
    )
    lines = mapping.read_text().splitlines()
    extra = "targets:\n  - {kpi: closing_ratio, period_type: quarter, value: 30}\n"
    assert main(["validate", "--config", str(config_with(sandbox, tmp_path, mapping, extra))]) == 2
    err = capsys.readouterr().err.splitlines()

    def line(text: str) -> int:
        return next(n for n, found in enumerate(lines, 1) if found.strip() == text)

    assert "targets[0].value: closing_ratio: a ratio is written as a fraction" in err[0]
    assert err[1].startswith(f"hubspot.yaml:{line('Email: e-mail')} streams[0].values."
                             "contact_method.Email: 'e-mail' is not a contact method")
    live = "\n".join(err[2:])
    assert (f"hubspot.yaml:{line('amount: amout')} streams[0].fields.amount: property "
            "'amout' is missing in HubSpot (deals); did you mean 'amount'?") in live
    assert (f"hubspot.yaml:{line('object: cals')} streams[4].object: HubSpot has no object "
            "type 'cals'; did you mean 'calls'?") in live
    assert (f"hubspot.yaml:{line('Conference: event')} streams[0].values.contact_method."
            "Conference: 'Conference' is not a value of deals.lead_source") in live
    assert (f"hubspot.yaml:{line('hs_survey_type: [CSAT, CES, CUSTM]')} streams[8].exclude."
            "hs_survey_type[2]: 'CUSTM' is not a value of feedback_submissions.hs_survey_type "
            "and no record holds it, so it selects nothing; did you mean 'CUSTOM'?") in live


def test_an_exclusion_on_a_text_property_is_asked_of_the_records(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A search's EQ ignores case: 'new customer' finds the 'New Customer' deals, which a
    # load (case included) would not leave out; the value read back says so.
    listed = "[New Custmer, new customer, New Customer]"
    mapping = mapping_with(
        tmp_path, ("    defaults:\n      contact_method: other\n\n  - entity: leads",
                   f"    exclude:\n      deal_type_detail: {listed}\n"
                   "    defaults:\n      contact_method: other\n\n  - entity: leads"),
    )
    line = mapping.read_text().splitlines().index(f"      deal_type_detail: {listed}") + 1
    sandbox.reset_stats()
    assert main(["validate", "--config", str(config_with(sandbox, tmp_path, mapping))]) == 2
    assert capsys.readouterr().err.splitlines()[-2:] == [
        f"hubspot.yaml:{line} streams[0].exclude.deal_type_detail[0]: no record's "
        "deals.deal_type_detail is 'New Custmer', so it selects nothing",
        f"hubspot.yaml:{line} streams[0].exclude.deal_type_detail[1]: 'new customer' selects "
        "nothing: records are selected by the value as deals.deal_type_detail writes it, "
        "case included; did you mean 'New Customer'?"]
    assert sandbox.stats()["endpoints"].get("hubspot.search") == 3, sandbox.stats()
