"""`crm-kpi validate` on CSV exports finds every problem in one pass: a problem of
config.yaml or of the mapping no longer hides what the exports say, and value-map keys
and exclusions that match no value of their column are problems, with "did you mean"."""

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


def edit(path: Path, old: str, new: str) -> int:
    """Replace one line of a file; its line number."""
    lines = path.read_text().splitlines()
    index = lines.index(old)
    lines[index] = new
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def validate(folder: Path, extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    config = folder / "config.yaml"
    config.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: exports, mapping: files.yaml}\n" + extra
    )
    capsys.readouterr()
    code = main(["validate", "--config", str(config)])
    return code, capsys.readouterr().err


def test_a_bad_target_no_longer_hides_the_exports_problems(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = folder / "files.yaml"
    key = edit(mapping, "        Trade Show: event", "        Conference: event")
    excluded = edit(mapping, "      Type: [Test Account]", "      Type: [Test Acount]")
    extra = ("targets:\n  - {kpi: closing_ratio, period_type: quarter, value: 30}\n"
             "  - {kpi: nps, period_type: year, scope_type: team, scope_id: Team 12, "
             "value: 5}\n")
    code, err = validate(folder, extra, capsys)
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith("config.yaml:5 targets[0].value: closing_ratio: a ratio is "
                               "written as a fraction")
    assert lines[1].startswith(f"files.yaml:{key} streams[0].values.contact_method"
                               ".Conference: 'Conference' is not a value of column 'Lead "
                               "Source' of opportunities.csv and no record holds it")
    assert lines[2] == (
        f"files.yaml:{excluded} streams[0].exclude.Type[0]: 'Test Acount' is not "
        "a value of column 'Type' of opportunities.csv and no record holds it, so it selects "
        "nothing; did you mean 'Test Account'? (the values: Existing Business, New "
        "Business, Test Account)"
    )
    # The targets' scopes wait for the sources: a source with problems cannot be surveyed.
    assert len(lines) == 3


def test_a_mapping_problem_no_longer_hides_what_the_exports_say(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = folder / "files.yaml"
    static = edit(mapping, "        Email: email", "        Email: e-mail")
    column = edit(mapping, "      type: Type", "      type: Deal Type")
    code, err = validate(folder, "", capsys)
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith(f"files.yaml:{static} streams[0].values."
                               "contact_method.Email: 'e-mail' is not a contact method")
    assert lines[1].startswith("opportunities.csv:1 column 'Deal Type' mapped to "
                               "opportunities.type is not in the file; did you mean 'Type'? "
                               f"(files.yaml:{column} ")
    assert len(lines) == 2


def test_a_config_without_any_sound_source_says_the_crms_were_not_checked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = folder / "config.yaml"
    config.write_text("reporting: {currency: USD, timezone: UTC}\n"
                      "sources:\n  - {name: exports, type: files}\n")
    capsys.readouterr()
    assert main(["validate", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("config.yaml:3 sources[0].path: field required")
    assert "note: the CRMs were not checked: fix config.yaml first" in captured.out
