"""`crm-kpi validate` on CSV exports: headers against the mapping, value maps against the
values the files hold, the targets CSV's rows, and every target's rep, team or territory,
all at once, exit 2, each problem with its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connector.cli import main
from connector.crms.config import shipped_mapping
from connector.resources import shipped


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(shipped("demo/data/exports"), tmp_path / "exports")
    shutil.copy(shipped_mapping("files.yaml"), tmp_path / "files.yaml")
    return tmp_path


def write_config(folder: Path, extra: str = "") -> Path:
    path = folder / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: exports, mapping: files.yaml}\n" + extra
    )
    return path


def validate(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    capsys.readouterr()
    code = main(["validate", "--config", str(config)])
    captured = capsys.readouterr()
    return code, captured.err.splitlines(), captured.out


def break_mapping(folder: Path, old: str, new: str) -> int:
    """Replace one line of files.yaml; its line number."""
    path = folder / "files.yaml"
    lines = path.read_text().splitlines()
    index = lines.index(old)
    lines[index] = new
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def test_the_shipped_mapping_and_sample_exports_are_valid(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = "targets:\n  - {kpi: total_revenue, period_type: month, scope_type: owner, "
    extra += "scope_id: REP3@example.com, value: 5}\n"
    assert validate(write_config(folder, extra), capsys) == (
        0, [], f"{folder / 'config.yaml'}: config, mappings, targets and 1 source(s) are valid\n"
    )  # fmt: skip


def test_headers_and_value_maps_against_the_files_all_at_once(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    column = break_mapping(folder, "      type: Type", "      type: Deal Type")
    value = break_mapping(folder, "        Trade Show: event", "        Trade Shows: event")
    excluded = break_mapping(folder, "      Type: [Test Account]", "      Kind: [Test Account]")
    (folder / "exports" / "leads.csv").write_text("id,owner_id\nL1,U1\n")
    extra = "targets:\n  - {kpi: nps, period_type: year, scope_type: team, scope_id: T, value: 5}\n"
    code, err, out = validate(write_config(folder, extra), capsys)
    assert code == 2
    columns = ("Opportunity ID, Account ID, Opportunity Owner ID, Created Date, Close Date, "
               "Closed, Won, Amount, Opportunity Currency, Cost of Sale, Lead Source, Lead ID, "
               "Territory, Type")  # fmt: skip
    assert err == [
        "leads.csv:1 required column(s) created_at missing (columns: id, owner_id)",
        "opportunities.csv:1 column 'Deal Type' mapped to opportunities.type is not in the "
        f"file; did you mean 'Type'? (files.yaml:{column} streams[0].fields.type; columns: "
        f"{columns})",
        f"opportunities.csv:1 exclude column 'Kind' is not in the file (files.yaml:{excluded} "
        "streams[0].exclude.Kind)",
        f"files.yaml:{value} streams[0].values.contact_method[\"Trade Shows\"]: "
        "'Trade Shows' is not a value of column 'Lead Source' of opportunities.csv; did you "
        "mean 'Trade Show'? (no key maps 'Trade Show', so its records count as the default; "
        "the values: Carrier Pigeon, Cold Call, Email, Meeting, Other, Partner Referral, "
        "Social Media, Trade Show, Web)",
    ]
    assert "not checked: fix the problems of the sources first" in out


def test_every_target_naming_a_rep_team_or_territory_no_source_knows(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "targets.csv").write_text(
        "kpi,period_type,period,scope_type,scope,value\n"
        "total_revenue,quarter,2025-Q1,owner,rep1@example.com,5000\n"
        "total_revenue,quarter,2025-Q1,owner,rep1@exmaple.com,5000\n"
        "total_revenue,quarter,,owner,U2,5000\n"
        "total_revenue,quarter,,team,team 1,5000\n"
        "total_revenue,quarter,,territory,Mars,5000\n"
        "closing_ratio,quarter,,company,,30\n"
    )
    extra = "targets_file: targets.csv\ntargets:\n"
    extra += "  - {kpi: total_revenue, period_type: month, scope_type: owner, scope_id: U2, "
    extra += "value: 5}\n"
    extra += "  - {kpi: total_revenue, period_type: month, scope_type: team, scope_id: Team 12, "
    extra += "value: 5}\n"
    code, err, _ = validate(write_config(folder, extra), capsys)
    assert code == 2
    assert err == [
        "targets.csv:7 value='30': closing_ratio: a ratio is written as a fraction: 0.25 for "
        "25 %",
        "config.yaml:7 targets[1].scope_id: no team of exports is named 'Team 12'; did you "
        "mean 'Team 2'? (teams: Team 0, Team 1, Team 2, Team 3, Team 4)",
        "targets.csv:3 scope: no rep of exports has the e-mail 'rep1@exmaple.com'; did you "
        "mean 'rep1@example.com'?",
        "targets.csv:4 scope: 'U2' is a rep's CRM id: the targets CSV names reps by e-mail "
        "(ids name them in config.yaml only)",
        "targets.csv:6 scope: no territory of exports is named 'Mars' (territories: DACH, "
        "EMEA North, EMEA South, LATAM, North America)",
    ]


def test_a_targets_csv_left_in_the_export_folder_is_pointed_at(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "exports" / "targets.csv").write_text("kpi,period_type,period,scope_type,"
                                                    "scope,value\n")  # fmt: skip
    code, _, out = validate(write_config(folder), capsys)
    assert code == 0
    assert out.startswith(f"note: {folder / 'exports' / 'targets.csv'} is not read as an "
                          "export: if it holds targets, name it in config.yaml as "
                          "targets_file")  # fmt: skip
    code, _, out = validate(write_config(folder, "targets_file: exports/targets.csv\n"), capsys)
    assert (code, out.startswith("note:")) == (0, False)


def test_an_unreadable_export_and_targets_csv_are_problems_beside_the_others(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "exports" / "leads.csv").write_bytes(b"")
    (folder / "targets.csv").write_text("kpi,period_type,period,scope_type,value\n")
    code, err, _ = validate(write_config(folder, "targets_file: targets.csv\n"), capsys)
    assert code == 2
    assert len(err) == 2, err
    assert [line.split(" ")[0].split(":")[0] for line in err] == ["leads.csv", "targets.csv"]
    assert "empty" in err[0]
    assert "'scope'" in err[1]


def test_an_exclusion_the_file_holds_only_in_another_case_is_a_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A load compares exclusions case included: 'test account' leaves no row out.
    line = break_mapping(folder, "      Type: [Test Account]", "      Type: [test account]")
    code, err, _ = validate(write_config(folder), capsys)
    assert (code, err) == (2, [
        f"files.yaml:{line} streams[0].exclude.Type[0]: 'test account' selects nothing: "
        "records are selected by the value as column 'Type' of opportunities.csv writes it, "
        "case included; did you mean 'Test Account'?"])  # fmt: skip


def test_an_export_folder_holding_none_of_the_files_fails_at_the_setting_naming_it(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A run would load nothing and compute nothing: not "valid".
    shutil.rmtree(folder / "exports")
    (folder / "exports").mkdir()
    (folder / "exports" / "notes.txt").write_text("")
    code, err, _ = validate(write_config(folder), capsys)
    assert code == 2
    assert err == [
        f"config.yaml:3 sources[0].path: the export folder {folder / 'exports'} holds none of "
        "the files a files source reads (owners.csv, accounts.csv, leads.csv, "
        "opportunities.csv, line_items.csv, activities.csv, survey_responses.csv, costs.csv, "
        "exchange_rates.csv; it holds no CSV file), so a run would load no record and compute "
        "no KPI (hint: check the path, or name each file with a stream's file: in the mapping)"
    ]


def test_a_file_the_mapping_reads_is_a_problem_when_absent_and_an_optional_one_a_note(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = folder / "exports"
    (exports / "opportunities.csv").rename(exports / "Opportunities.csv")
    (exports / "costs.csv").unlink()  # no stream names costs: read when exported
    note = (f"note: {exports} has no costs.csv, so a run loads no costs (no stream of the "
            "mapping reads costs: it is read when exported)")  # fmt: skip
    code, err, out = validate(write_config(folder), capsys)
    line = (folder / "files.yaml").read_text().splitlines().index("  - entity: opportunities")
    assert (code, err, out.splitlines()) == (2, [
        f"files.yaml:{line + 1} streams[0].entity: opportunities.csv is not in {exports}: the "
        "mapping reads opportunities from it, so a run would load no opportunities; did you "
        "mean 'Opportunities.csv'?"], [note])  # fmt: skip
    (exports / "Opportunities.csv").rename(exports / "opportunities.csv")
    code, err, out = validate(write_config(folder), capsys)
    assert (code, err, out.splitlines()[0]) == (0, [], note)


def test_an_absent_file_whose_records_the_store_holds_fails_as_the_run_would(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(folder)
    assert main(["pull", "--config", str(config)]) == 0
    (folder / "exports" / "costs.csv").unlink()
    code, err, _ = validate(config, capsys)
    assert code == 2
    assert err[0].startswith(f"config.yaml:3 sources[0].path: costs.csv is not in "
                             f"{folder / 'exports'} while the store holds ")  # fmt: skip
    assert err[0].endswith(" costs of source exports: a run would mark them all deleted, more "
                           "than max_delete_share (10%) allows, and stop. Put the export back, "
                           "or, if they really were deleted, run with --allow-mass-delete")
    assert main(["pull", "--config", str(config)]) == 2  # the run stops there indeed
