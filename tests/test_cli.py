"""The crm-kpi command: pull, compute (table, json, csv), demo, and its exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli import main
from connector.report import format_value

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(tmp_path: Path) -> Path:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "owners.csv").write_text("id,name,team,territory\nu1,Ann,T1,North\n")
    (exports / "opportunities.csv").write_text(
        "id,account_id,owner_id,created_at,close_date,is_closed,is_won,amount,currency\n"
        "o1,a1,u1,2025-01-05,2025-01-20,true,true,1000,USD\n"
        "o2,a1,u1,2025-01-06,2025-01-25,true,false,500,USD\n"
        "o3,a2,u1,2025-01-07,,true,true,700,USD\n"
    )
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\n"
        "targets:\n  - {kpi: total_revenue, period_type: month, value: 2000}\n"
        "  - {kpi: closing_ratio, period_type: month, value: 0.4}\n"
    )
    return path


def test_pull_then_compute_json(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pull", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "exports.opportunities: 2 loaded, 1 quarantined" in out
    assert (
        main(["compute", "--config", str(config), "--period", "2025-01", "--format", "json"]) == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert set(rows[0]) == {"kpi", "period", "period_type", "scope_type", "scope_id",
                            "scope_name", "breakdown", "value", "target", "attainment", "gap",
                            "pace", "note", "period_status", "as_of"}  # fmt: skip
    revenue = next(r for r in rows if r["kpi"] == "total_revenue" and r["breakdown"] is None)
    assert dt.datetime.fromisoformat(revenue.pop("as_of")).tzinfo is not None
    assert revenue == {
        "kpi": "total_revenue", "period": "2025-01", "period_type": "month",
        "scope_type": "company", "scope_id": None, "scope_name": "Company", "breakdown": None,
        "value": 1000.0, "target": 2000.0, "attainment": 0.5, "gap": -1000.0,
        "pace": None, "note": None, "period_status": "closed",
    }  # fmt: skip
    churn = next(r for r in rows if r["kpi"] == "churn_rate")
    assert churn["note"].startswith("basis: customers at the start of the period")
    closing = next(r for r in rows if r["kpi"] == "closing_ratio")
    assert closing["value"] == pytest.approx(0.5)
    assert closing["attainment"] == pytest.approx(1.25)
    methods = [r for r in rows if r["kpi"] == "sales_by_contact_method"]
    assert {r["breakdown"]["contact_method"] for r in methods} >= {"phone", "email", "web"}


def test_compute_all_scopes_and_csv(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["pull", "--config", str(config)])
    capsys.readouterr()
    assert main(["compute", "--config", str(config), "--period", "2025-Q1", "--scope", "all",
                 "--format", "csv"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0]
        == "kpi,period,period_type,scope_type,scope_id,scope_name,breakdown,value,target,"
        "attainment,gap,pace,note,period_status,as_of"
    )
    scopes = {line.split(",")[3] for line in lines[1:]}
    assert scopes == {"company", "team", "owner", "territory"}
    team_revenue = "total_revenue,2025-Q1,quarter,team,T1,T1 (team),,1000.0"
    assert any(line.startswith(team_revenue) for line in lines)


def test_table_marks_kpis_under_target(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["pull", "--config", str(config)])
    assert main(["compute", "--config", str(config), "--period", "2025-01"]) == 0
    out = capsys.readouterr().out
    revenue_line = next(line for line in out.splitlines() if "total_revenue" in line)
    assert "1,000 USD" in revenue_line
    assert "▼ 50 %" in revenue_line
    closing_line = next(line for line in out.splitlines() if "closing_ratio" in line)
    assert "50.0 %" in closing_line
    assert "▲ 125 %" in closing_line


def test_bad_config_exits_2_with_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exports").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\n"
        "targets:\n"
        "  - kpi: total_revenue\n"
        "    period_type: month\n"
        "    value: lots\n"
    )
    assert main(["pull", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("config.yaml:7 targets[0].value: input should be a valid number")
    assert "Traceback" not in err


def test_missing_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compute", "--config", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml" in capsys.readouterr().err


def test_bad_period_exits_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compute", "--config", str(config), "--period", "2025-Q5"]) == 2
    assert "not a period" in capsys.readouterr().err


def test_demo_runs_the_pipeline_on_the_sample_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--exports", "--workdir", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "bad rows quarantined" in out
    assert "31/02/2025" in out
    for kpi in ("total_revenue", "gross_margin", "churn_rate", "nps", "clv_to_cac"):
        assert kpi in out
    assert (tmp_path / "demo" / "crm-kpi.duckdb").exists()
    shutil.rmtree(tmp_path / "demo")


@pytest.mark.parametrize(
    ("kpi", "value", "shown"),
    [
        ("total_revenue", 1234567.8, "1,234,568 EUR"),
        ("closing_ratio", 0.4567, "45.7 %"),
        ("avg_sales_cycle_days", 42.25, "42.2 d"),
        ("nps", -12.0, "-12"),
        ("clv_to_cac", 3.24, "3.2:1"),
        ("churn_rate", None, "—"),
    ],
)
def test_format_value(kpi: str, value: float | None, shown: str) -> None:
    assert format_value(kpi, value, "EUR") == shown


@pytest.fixture
def reps_config(tmp_path: Path) -> Path:
    """Reps whose ids sort one way as text (U10 < U2 < U3 < U4) and whose names another;
    two reps share a name; teams and territories with numbers in their names."""
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "owners.csv").write_text(
        "id,name,team,territory\n"
        "U2,Rep 10,Team 10,Zone 10\nU10,Rep 2,Team 9,Zone 9\nU3,Ann,Team 9,Zone 9\n"
        "U4,Ann,Team 10,Zone 10\n"
    )
    (exports / "opportunities.csv").write_text(
        "id,account_id,owner_id,created_at,close_date,is_closed,is_won,amount,currency\n"
        + "".join(f"o{i},a1,{o},2025-01-05,2025-01-20,true,true,{i}00,USD\n"
                  for i, o in enumerate(["U2", "U10", "U3", "U4"], start=1))
    )  # fmt: skip
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\n"
    )
    return path


REPS_IN_ORDER = ["Company", "Team 9 (team)", "Team 10 (team)", "Ann (U3)", "Ann (U4)",
                 "Rep 2", "Rep 10", "Zone 9 (territory)", "Zone 10 (territory)"]  # fmt: skip


def test_compute_table_names_reps_in_natural_order(
    reps_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no cell wraps
    assert main(["pull", "--config", str(reps_config)]) == 0
    capsys.readouterr()
    assert main(["compute", "--config", str(reps_config), "--period", "2025-01",
                 "--scope", "all"]) == 0  # fmt: skip
    revenue = [line.split("│") for line in capsys.readouterr().out.splitlines()
               if "total_revenue" in line]  # fmt: skip
    assert [cells[2].strip() for cells in revenue] == REPS_IN_ORDER
    assert "U10" not in " ".join(cells[2] for cells in revenue)
    assert [cells[3].strip() for cells in revenue if "Rep" in cells[2]] == ["200 USD", "100 USD"]


def test_compute_json_and_csv_keep_the_scope_id_beside_the_name(
    reps_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["pull", "--config", str(reps_config)])
    capsys.readouterr()
    args = ["compute", "--config", str(reps_config), "--period", "2025-01", "--scope", "owner"]
    assert main([*args, "--format", "json"]) == 0
    rows = [r for r in json.loads(capsys.readouterr().out)
            if r["kpi"] == "total_revenue" and r["breakdown"] is None]  # fmt: skip
    assert [(r["scope_id"], r["scope_name"]) for r in rows] == [
        ("U3", "Ann"), ("U4", "Ann"), ("U10", "Rep 2"), ("U2", "Rep 10")]  # fmt: skip
    assert main([*args, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("kpi,period,period_type,scope_type,scope_id,scope_name,")
    revenue = [line.split(",") for line in lines if line.startswith("total_revenue,")]
    assert [cells[3:6] for cells in revenue if not cells[6]] == [
        ["owner", "U3", "Ann"], ["owner", "U4", "Ann"], ["owner", "U10", "Rep 2"],
        ["owner", "U2", "Rep 10"]]  # fmt: skip


def test_a_reader_that_stops_early_is_no_crash(config: Path) -> None:
    """`crm-kpi compute | head -1`: the closed pipe stops the command as Ctrl-C would
    (130, one line), never a crash report (70)."""
    assert main(["pull", "--config", str(config)]) == 0
    command = [sys.executable, "-m", "connector.cli", "compute", "--config", str(config),
               "--period", "2025", "--scope", "all", "--format", "csv"]  # fmt: skip
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, text=True,
                              check=False)  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == 130, done.stderr
    assert "closed the pipe" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(config.parent.glob("*crash*")), done.stderr


def test_a_query_a_signal_stopped_is_a_stop_not_a_crash() -> None:
    """DuckDB reports a query stopped by a signal as a failure of its own; the stop is
    Ctrl-C unless SIGTERM arrived, found through what a failure was raised from."""
    from connector.errors import Terminated, as_stop, forget_sigterm, note_sigterm

    stopped = RuntimeError("Query interrupted")
    forget_sigterm()
    assert type(as_stop(stopped)) is KeyboardInterrupt
    assert as_stop(RuntimeError("boom")) is None
    wrapped = ValueError("while loading")
    wrapped.__cause__ = stopped
    assert type(as_stop(wrapped)) is KeyboardInterrupt
    sigterm = note_sigterm(15)
    assert isinstance(sigterm, Terminated)
    assert as_stop(stopped) is sigterm
    assert as_stop(sigterm) is sigterm
    forget_sigterm()
