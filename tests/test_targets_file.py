"""config.yaml's `targets_file`: a CSV of targets, typed and quarantined like any export,
whose rows become targets of origin csv that reps, teams and the company are measured by."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from connector.cli import main
from connector.store import Store

HEADER = "kpi,period_type,period,scope_type,scope,value,currency\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "owners.csv").write_text(
        "id,name,email,team,territory\nu1,Ann,ann@example.com,Falcons,North\n"
        "u2,Bob,bob@example.com,Falcons,North\n"
    )
    (exports / "opportunities.csv").write_text(
        "id,account_id,owner_id,created_at,close_date,is_closed,is_won,amount,currency\n"
        "o1,a1,u1,2025-04-05,2025-04-20,true,true,1000,USD\n"
        "o2,a2,u2,2025-04-06,2025-05-25,true,true,3000,USD\n"
    )
    (tmp_path / "config.yaml").write_text(
        "reporting: {currency: USD, timezone: UTC, fiscal_year_start_month: 4}\n"
        "store: {path: store.duckdb}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\n"
        "targets_file: targets.csv\n"
    )
    return tmp_path


def write_targets(folder: Path, rows: str) -> None:
    (folder / "targets.csv").write_text(HEADER + rows)


def targets(folder: Path) -> list[tuple[object, ...]]:
    with Store(folder / "store.duckdb") as store:
        return store.fetch(
            "SELECT kpi, period_type, period_start, scope_type, scope_id, value, currency, "
            "origin, is_deleted FROM targets ORDER BY kpi, period_type, period_start NULLS FIRST, "
            "scope_id NULLS FIRST"
        )


def quarantined(folder: Path) -> list[tuple[object, ...]]:
    with Store(folder / "store.duckdb") as store:
        return store.fetch(
            "SELECT origin, line, field, value, reason FROM quarantine WHERE entity = 'targets' "
            "ORDER BY line, field"
        )


def results(
    folder: Path, capsys: pytest.CaptureFixture[str], period: str
) -> list[dict[str, object]]:
    capsys.readouterr()
    args = ["compute", "--config", str(folder / "config.yaml"), "--period", period, "--scope",
            "all", "--format", "json"]  # fmt: skip
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)
    return [r for r in rows if r["kpi"] == "total_revenue" and r["breakdown"] is None]


def test_rows_become_targets_with_fiscal_periods(folder: Path) -> None:
    write_targets(folder, "total_revenue,quarter,2025-Q1,owner,ann@example.com,5000,\n"
                          "total_revenue,month,,team,Falcons,2000,\n"
                          "total_revenue,year,2025,company,,90000,EUR\n"
                          "nps,quarter,,territory,North,40,\n")  # fmt: skip
    assert main(["pull", "--config", str(folder / "config.yaml")]) == 0
    assert targets(folder) == [
        ("nps", "quarter", None, "territory", "North", 40.0, None, "csv", False),
        ("total_revenue", "month", None, "team", "Falcons", 2000.0, None, "csv", False),
        # Fiscal years start in April: 2025-Q1 is April to June 2025.
        ("total_revenue", "quarter", dt.date(2025, 4, 1), "owner", "ann@example.com", 5000.0,
         None, "csv", False),
        ("total_revenue", "year", dt.date(2025, 4, 1), "company", None, 90000.0, "EUR", "csv",
         False),
    ]  # fmt: skip


def test_a_rep_named_by_e_mail_is_measured_by_their_own_target(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_targets(folder, "total_revenue,quarter,2025-Q1,owner,ANN@example.com,5000,\n")
    assert main(["pull", "--config", str(folder / "config.yaml")]) == 0
    rows = results(folder, capsys, "2025-Q1")
    ann = next(r for r in rows if r["scope_type"] == "owner" and r["scope_id"] == "u1")
    assert (ann["value"], ann["target"], ann["attainment"]) == (1000.0, 5000.0, 0.2)
    bob = next(r for r in rows if r["scope_type"] == "owner" and r["scope_id"] == "u2")
    assert (bob["target"], bob["attainment"], bob["note"]) == (None, None, "no target for this rep")


def test_bad_rows_are_quarantined_with_their_line_and_the_good_ones_load(folder: Path) -> None:
    write_targets(folder, "total_revenue,quarter,2025-Q1,owner,ann@example.com,5000,\n"
                          "closing_ratio,quarter,,company,,25,\n"
                          "revenue,quarter,,company,,1,\n"
                          "total_revenue,quarter,2025-04,company,,100,\n"
                          "total_revenue,year,,team,,100,\n"
                          "nps,year,,company,,lots,\n"
                          "cac,month,,company,,-5,\n"
                          "total_revenue,week,,company,,5,\n"
                          "total_revenue,month,,region,North,5,\n"
                          "total_revenue,month,,company,,5,dollars\n")  # fmt: skip
    assert main(["pull", "--config", str(folder / "config.yaml")]) == 0
    assert [(line, field, value) for _, line, field, value, _ in quarantined(folder)] == [
        (3, "value", "25"), (4, "kpi", "revenue"), (5, "period_start", "2025-04"),
        (6, "scope_id", None), (7, "value", "lots"), (8, "value", "-5"),
        (9, "period_type", "week"), (10, "scope_type", "region"), (11, "currency", "DOLLARS"),
    ]  # fmt: skip
    reasons = {line: reason for _, line, _, _, reason in quarantined(folder)}
    assert reasons[3] == "closing_ratio: a ratio is written as a fraction: 0.25 for 25 %"
    assert reasons[5].startswith("not a period of its period_type (2025-01 for a month")
    assert reasons[8] == "cac: an amount cannot be negative"
    assert [t[4] for t in targets(folder)] == ["ann@example.com"]


def test_the_file_is_the_whole_set_and_a_bad_row_keeps_its_last_good_version(
    folder: Path,
) -> None:
    write_targets(folder, "total_revenue,month,,owner,ann@example.com,5000,\n"
                          "total_revenue,month,,owner,bob@example.com,6000,\n")  # fmt: skip
    assert main(["pull", "--config", str(folder / "config.yaml")]) == 0
    write_targets(folder, "total_revenue,month,,owner,ann@example.com,five,\n")
    assert main(["pull", "--config", str(folder / "config.yaml")]) == 0
    assert [(t[4], t[5], t[8]) for t in targets(folder)] == [
        ("ann@example.com", 5000.0, False),  # quarantined this time: the last good value stays
        ("bob@example.com", 6000.0, True),  # no longer in the file
    ]
    assert [row[1:4] for row in quarantined(folder)] == [(2, "value", "five")]


def test_a_missing_targets_file_is_a_config_error(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pull", "--config", str(folder / "config.yaml")]) == 2
    assert "config.yaml:5 targets_file: file not found:" in capsys.readouterr().err
