"""`crm-kpi problems` and `crm-kpi status`: what the store kept, as tables that wrap
rather than cut, JSON and CSV; and commands suggested as they can be typed here."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from connector import invocation
from connector.cli import main
from connector.listing import render_problems
from connector.store import Store
from connector.store.problems import problems

RIGHT_EDGES = "│┃┐┘┓┛┤┫┩"


def column(lines: list[str], index: int) -> str:
    """The text of one column of a rendered table, its wrapped lines joined."""
    cells = [line.replace("┃", "│").split("│") for line in lines]
    return " ".join(" ".join(c[index].split()) for c in cells if len(c) > index + 1)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "owners.csv").write_text("id,name,email\nu1,Ann,ann@example.com\n")
    (exports / "opportunities.csv").write_text(
        "id,account_id,owner_id,created_at,close_date,is_closed,is_won,amount,currency,"
        "contact_method\n"
        "o1,a1,u1,2025-01-05,2025-01-20,true,true,1000,USD,carrier pigeon\n"
        "o2,a1,u1,2025-01-06,31/02/2025,true,true,500,USD,email\n"
        "o3,a1,u1,2025-01-07,2025-01-21,true,true,a very long amount that would not fit,USD,"
        "email\n"
    )
    (tmp_path / "targets.csv").write_text(
        "kpi,period_type,period,scope_type,scope,value\ntotal_revenue,month,,company,,-1\n"
    )
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\nstore: {path: store.duckdb}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\ntargets_file: targets.csv\n"
    )
    return path


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*args, "--config", str(config)])
    out, err = capsys.readouterr()
    return code, out, err


def test_problems_lists_quarantined_rows_then_findings_in_every_format(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, capsys, "run", "--log-format", "plain")[0] == 0
    code, out, _ = run(config, capsys, "problems", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["kind"], r["entity"], r["origin"], r["line"], r["field"]) for r in rows] == [
        ("quarantined", "opportunities", "opportunities.csv", 3, "close_date"),
        ("quarantined", "opportunities", "opportunities.csv", 4, "amount"),
        ("quarantined", "targets", "targets.csv", 2, "value"),
        ("finding", "opportunities", "opportunities.csv", 2, "contact_method"),
    ]
    assert rows[2]["reason"] == "total_revenue: an amount cannot be negative"
    _, out, _ = run(config, capsys, "problems", "--format", "csv", "--kind", "finding")
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["value"], r["reason"]) for r in parsed] == [
        ("finding", "carrier pigeon", "unknown contact method 'carrier pigeon' counted as other")
    ]
    _, out, _ = run(config, capsys, "problems", "--format", "json", "--entity", "targets")
    assert [r["origin"] for r in json.loads(out)] == ["targets.csv"]
    _, out, _ = run(config, capsys, "problems", "--format", "json", "--source", "nowhere")
    assert json.loads(out) == []


def test_problems_of_one_run(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, capsys, "run", "--log-format", "plain")[0] == 0
    with Store(config.parent / "store.duckdb") as store:
        first = store.scalar("SELECT run_id FROM runs")
    (config.parent / "targets.csv").write_text("kpi,period_type,period,scope_type,scope,value\n")
    _, _, err = run(config, capsys, "run", "--log-format", "plain")
    assert "quarantined 2," in err  # the two bad deals; the targets file is fine now
    assert f"problems --config {config} --run " in err  # how to list them, as typed here
    _, out, _ = run(config, capsys, "problems", "--format", "json", "--run", "last")
    assert {r["entity"] for r in json.loads(out)} == {"opportunities"}
    _, out, _ = run(config, capsys, "problems", "--format", "json", "--run", first)
    assert json.loads(out) == []  # what it found was found again, and replaced, since
    code, _, err = run(config, capsys, "problems", "--run", "20990101T000000Z-abcdef")
    assert code == 2
    assert "--run: no run '20990101T000000Z-abcdef'" in err


def test_the_problems_table_wraps_and_never_cuts(config: Path) -> None:
    assert main(["pull", "--config", str(config)]) == 0
    with Store(config.parent / "store.duckdb") as store:
        found = problems(store)
    for width in (50, 60, 100):
        console = Console(width=width, record=True, file=io.StringIO())
        render_problems(found, console)
        lines = console.export_text().splitlines()
        assert all(len(line) <= width for line in lines)
        boxes = [line for line in lines if line.lstrip()[:1] in "┏┃┡│├└"]
        assert len(boxes) > 10
        assert all(line.rstrip()[-1] in RIGHT_EDGES for line in boxes)
        assert "…" not in "".join(lines)
        values = column(boxes, 3).replace(" ", "")
        assert "'averylongamountthatwouldnotfit'" in values
        # a file:line is never folded: opportunities.csv:3 / 4 would name another line
        assert all(any(f"│ {row.where} " in line for line in lines) for row in found)


def test_status_has_a_header_and_says_why_a_run_failed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, capsys, "status")[1].startswith("no runs yet")
    assert run(config, capsys, "run", "--log-format", "plain")[0] == 0
    (config.parent / "exports" / "owners.csv").write_text("id,id\nu1,u1\n")
    assert run(config, capsys, "run", "--log-format", "plain")[0] != 0
    os.environ["COLUMNS"] = "80"
    try:
        _, out, _ = run(config, capsys, "status")
    finally:
        del os.environ["COLUMNS"]
    lines = out.splitlines()
    assert "Run, started (UTC)" in lines[2]
    assert "What it did, or why it failed" in "".join(lines[1:5])
    assert all(len(line) <= 80 for line in lines)
    assert "failed" in column(lines, 2)
    said = column(lines, 3)
    assert "owners.csv:1 header row is empty or repeats a column name" in said
    assert "pulled 2, quarantined 3, findings 1, KPI rows" in said


def test_status_says_what_a_crashed_run_died_of(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("connector.run.compute_kpis", boom)
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 70
    err = capsys.readouterr().err
    assert "crm-kpi failed unexpectedly (RuntimeError during compute)" in err
    report = next(config.parent.glob("crm-kpi-crash-*.txt"))
    assert "RuntimeError: boom" in report.read_text()
    _, out, _ = run(config, capsys, "status")
    said = column(out.splitlines(), 3)
    assert "crm-kpi failed unexpectedly (RuntimeError during compute)" in said


def test_a_suggested_command_names_this_install_as_it_can_be_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Path(sys.executable).parent / "crm-kpi"
    assert script.is_file()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert invocation.suggest("status") == f"{script} status"  # not on PATH: its path
    monkeypatch.chdir(script.parent.parent.parent)
    assert invocation.suggest("status", "--config", Path("my configs/c.yaml")) == (
        f"{script.relative_to(Path.cwd())} status --config 'my configs/c.yaml'"
    )
    monkeypatch.setenv("PATH", str(script.parent))
    assert invocation.suggest("status") == "crm-kpi status"  # on PATH, and this install


def test_every_command_the_exports_demo_suggests_works_as_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # as after the Quickstart: not activated
    assert main(["demo", "--exports", "--workdir", ".demo"]) == 0
    out = capsys.readouterr().out
    suggested = out[out.index("Try:") :].splitlines()[1:]
    assert len(suggested) == 3
    for line in suggested:
        assert not line.strip().startswith("crm-kpi ")
        done = subprocess.run(shlex.split(line), cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, check=False)  # fmt: skip
        assert done.returncode == 0, (line, done.stderr)
