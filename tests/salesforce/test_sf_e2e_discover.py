"""End to end, through simple-salesforce against the sandbox org: `crm-kpi discover
salesforce` proposes a mapping that validates and runs, fixes what the org lacks or
names otherwise, lists what must be added, never writes over a file, and costs a few
calls; `crm-kpi validate` reports every problem, static and live, in one pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sf_helpers import config_yaml

from connector.cli import main
from connector.crms.config import shipped_mapping
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def token(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_REFRESH_TOKEN", sandbox.info["salesforce"]["refresh_token"])


def mapping_with(folder: Path, *edits: tuple[str, str]) -> Path:
    text = shipped_mapping("salesforce.yaml").read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = folder / "salesforce.yaml"
    path.write_text(text)
    return path


def spaced(text: str) -> str:
    """One space before each comment (ruamel places the comments it adds itself)."""
    return re.sub(r" +#", " #", text)


def flat(text: str) -> str:
    """The proposal's header with its wrapped lines joined."""
    return re.sub(r"\n# +(?=[^ -])", " ", text)


def calls(sandbox: Sandbox) -> int:
    endpoints = sandbox.stats()["endpoints"]
    return sum(n for name, n in endpoints.items() if name != "salesforce.oauth.token")


def test_the_proposal_places_every_picklist_value_validates_and_runs(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_yaml(sandbox, tmp_path, push=False)
    out = tmp_path / "proposed.yaml"
    sandbox.reset_stats()
    assert main(["discover", "salesforce", "--config", str(config), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    # the global describe and two Composite requests (describes, stages and users)
    assert calls(sandbox) == 3
    assert "salesforce: 3 API calls; the proposal written to" in err
    text = flat(spaced(out.read_text()))
    assert "    Cadence: other # review: nothing in 'Cadence' names a contact method\n" in text
    assert "Closed Won (won)" in text
    assert "Closed - Legacy (lost, inactive)" in text
    assert "59 of 59 mapped fields exist in the org" in text
    assert "NPS_Response__c (NPS Response)" in text
    proposed = config_yaml(sandbox, tmp_path, mapping=out, push=False)
    assert main(["validate", "--config", str(proposed)]) == 0
    assert main(["run", "--config", str(proposed), "--log-format", "plain"]) == 0


def test_what_the_org_lacks_or_names_otherwise_is_fixed_or_listed(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = mapping_with(
        tmp_path,
        ("    Web: web\n", "    Web: web\n    Conference: event\n"),
        ("    Trade Show: event\n    Email: email", "    Trade Shw: event\n    Email: email"),
        ("object: Opportunity\n", "object: Opportunty\n"),
        ("NPS_Response__c", "Survey_Answer__c"),
        ("team: UserRole.Name", "team: Sales_Team__c"),
        ("unit_cost: Unit_Cost__c ", "unit_cost: Product2.Unit_Cst__c "),
        ("      amount: ActualCost\n", "      amount: Spend__c\n"),
        ("    # exclude:\n    #   Type: [Test Account]", "    exclude:\n      Type: [Custmer]"),
    )
    config = config_yaml(sandbox, tmp_path, mapping=mapping, push=False)
    out = tmp_path / "proposed.yaml"
    sandbox.reset_stats()
    args = ["discover", "salesforce", "--config", str(config), "--out", str(out), "--diff"]
    assert main(args) == 0
    assert calls(sandbox) <= 5  # one more round for the replaced objects' relationships
    captured = capsys.readouterr()
    diff = spaced(captured.out)
    assert "-    object: Opportunty\n" in diff
    assert "+    object: Opportunity # was Opportunty, which the org lacks: the nearest " \
           "name\n" in diff
    assert "+    object: NPS_Response__c # was Survey_Answer__c, which the org lacks: a " \
           "custom object whose name speaks of surveys\n" in diff
    assert "-    Conference: event\n" in diff
    assert "-    Trade Shw: event\n" in diff
    assert '+    Trade Show: event # guessed from "trade show"\n' in diff
    assert "+      Type: [Customer] # was 'Custmer', which no value nor record is" in diff
    assert "+      unit_cost: Unit_Cost__c # the cost field of your org" in diff
    text = flat(out.read_text())
    assert ("# - User.Sales_Team__c: Setup → Object Manager → User → Fields & Relationships → "
            "New: Text(80), API name Sales_Team__c; then give the integration user read "
            "access to it\n#     - meanwhile left out: streams[0].fields.team (empty until "
            "then)\n") in text
    assert "Campaign.Spend__c" in text
    assert "left out: streams[8] (costs from Campaign): needs amount" in text
    assert "the org lacks 2 thing(s) the mapping needs" in captured.err
    proposed = config_yaml(sandbox, tmp_path, mapping=out, push=False)
    capsys.readouterr()
    assert main(["validate", "--config", str(proposed)]) == 0, capsys.readouterr().err


def test_a_diff_against_last_releases_mapping_shows_what_the_org_changes_not_respellings(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = Path(__file__).parents[1] / "previous_mappings" / "salesforce.yaml"
    mapping = tmp_path / "salesforce.yaml"
    mapping.write_text(previous.read_text())
    config = config_yaml(sandbox, tmp_path, mapping=mapping, push=False)
    capsys.readouterr()
    assert main(["discover", "salesforce", "--config", str(config), "--diff"]) == 0
    diff = capsys.readouterr().out
    assert diff.startswith(f"--- {mapping} (its 11 old spellings as `crm-kpi init "
                           "--upgrade-mapping` rewrites them)\n+++ proposed\n")  # fmt: skip
    removed = [line for line in diff.splitlines()[2:] if line.startswith("-")]
    assert removed == [], removed  # the org adds a value to review, and changes nothing else
    assert "+    Cadence: other  # review:" in diff
    assert mapping.read_text() == previous.read_text()


def test_discover_never_writes_over_a_file_and_spends_no_call_finding_out(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_yaml(sandbox, tmp_path, push=False)
    out = tmp_path / "mine.yaml"
    out.write_text("keep me\n")
    sandbox.reset_stats()
    assert main(["discover", "salesforce", "--config", str(config), "--out", str(out)]) == 2
    assert f"{out}: already exists" in capsys.readouterr().err
    assert out.read_text() == "keep me\n"
    assert calls(sandbox) == 0
    assert main(["discover", "hubspot", "--config", str(config)]) == 2
    assert "no source named or of type 'hubspot'" in capsys.readouterr().err


def test_validate_reports_static_and_live_problems_at_their_lines_in_one_pass(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = mapping_with(
        tmp_path,
        ("    Web: web\n", "    Web: web\n    Conference: event\n"),
        ("object: Opportunity\n", "object: Opportunty\n"),
        ("territory: Territory__c\n      created_at", "territory: Territry__c\n      created_at"),
        ("    # exclude:\n    #   Type: [Test Account]", "    exclude:\n      Type: [Custmer]"),
        ("    Email: email\n    Social Media", "    Email: e-mail\n    Social Media"),
    )
    lines = mapping.read_text().splitlines()
    extra = "targets:\n  - {kpi: closing_ratio, period_type: quarter, value: 30}\n"
    config = config_yaml(sandbox, tmp_path, mapping=mapping, push=False, extra=extra)
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err.splitlines()

    def line(text: str) -> int:
        return next(n for n, found in enumerate(lines, 1) if found.strip() == text)

    assert err[0].startswith("config.yaml:")
    assert "targets[0].value: closing_ratio: a ratio is written as a fraction" in err[0]
    assert err[1].startswith(f"salesforce.yaml:{line('Email: e-mail')} value_maps.lead_source"
                             ".Email: 'e-mail' is not a contact method")
    live = "\n".join(err[2:])
    assert (f"salesforce.yaml:{line('object: Opportunty')} streams[3].object: Opportunty: "
            "sObject not found or not readable by the integration user (hint: did you mean "
            "Opportunity?") in live
    assert (f"salesforce.yaml:{line('territory: Territry__c')} streams[1].fields.territory: "
            "Account.Territry__c: field Territry__c is missing") in live
    assert "did you mean Territory__c?" in live
    assert (f"salesforce.yaml:{line('Conference: event')} value_maps.lead_source.Conference: "
            "'Conference' is not a value of Lead.LeadSource and no record holds it") in live
    assert (f"salesforce.yaml:{line('Type: [Custmer]')} streams[1].exclude.Type[0]: 'Custmer' "
            "is not a value of Account.Type and no record holds it, so it selects nothing; "
            "did you mean 'Customer'?") in live
    assert len(err) == 6


def test_a_value_the_picklist_lacks_but_records_hold_is_no_problem(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An unrestricted picklist keeps deactivated values on old records (the describe no
    # longer lists them): the sandbox's legacy stage is one such value.
    sandbox.org.update("opportunities", 1, {"stage": "Closed - Legacy"})
    mapping = mapping_with(
        tmp_path, ("    # include:\n    #   RecordType.DeveloperName: [Sales]",
                   "    exclude:\n      StageName: [Closed - Legacy]"),
    )
    config = config_yaml(sandbox, tmp_path, mapping=mapping, push=False)
    assert main(["validate", "--config", str(config)]) == 0, capsys.readouterr().err


def test_an_exclusion_on_a_text_field_is_asked_of_the_records(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SOQL's = ignores case: 'na east' finds the 'NA East' records, which a load (case
    # included) would not leave out; the value read back says so, at no extra call.
    mapping = mapping_with(
        tmp_path, ("    # exclude:\n    #   Type: [Test Account]",
                   "    exclude:\n      Territory__c: [NA Wst, na east, NA East]"),
    )
    config = config_yaml(sandbox, tmp_path, mapping=mapping, push=False)
    line = mapping.read_text().splitlines().index(
        "      Territory__c: [NA Wst, na east, NA East]") + 1
    sandbox.reset_stats()
    assert main(["validate", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"salesforce.yaml:{line} streams[1].exclude.Territory__c[0]: no record's "
        "Account.Territory__c is 'NA Wst', so it selects nothing\n"
        f"salesforce.yaml:{line} streams[1].exclude.Territory__c[1]: 'na east' selects "
        "nothing: records are selected by the value as Account.Territory__c writes it, case "
        "included; did you mean 'NA East'?\n")
    composite = {n: c for n, c in sandbox.stats()["endpoints"].items() if "composite" in n}
    # the describes take two; the three values one more, as when their Ids were read
    assert sum(composite.values()) == 3, composite


def test_values_only_stored_records_hold_are_proposed_from_the_raw_layer(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An unrestricted picklist keeps deactivated values on old records: the describe
    # no longer lists them, the store's raw rows still hold them.
    sandbox.org.update("leads", 1, {"source": "Webinar (legacy)"})
    config = config_yaml(sandbox, tmp_path, push=False)
    assert main(["pull", "--config", str(config)]) == 0
    capsys.readouterr()
    sandbox.reset_stats()
    assert main(["discover", "salesforce", "--config", str(config)]) == 0
    captured = capsys.readouterr()
    assert ('    Webinar (legacy): event  # guessed from "webinar"; not a value of the '
            "picklist today, but stored records hold it\n") in captured.out
    assert "(and 1 only stored records hold), 1 new ones guessed" in captured.err
    assert calls(sandbox) <= 3  # what the store holds costs no call
