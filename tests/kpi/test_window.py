"""The engine over values the boundary now keeps out (issue 22), as a store filled before
it holds them: the period calendar spans only the reporting window, and every figure
written or shown is a finite number or absent with a note."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from connector.cli import main
from connector.dashboard.payload import Meta, build_payload
from connector.errors import ConfigError
from connector.report import as_csv, as_json, fetch_results, render_table

FIGURES = ("value", "numerator", "denominator", "target", "attainment", "gap", "pace")


def test_far_off_dates_make_no_period(org: Any) -> None:
    """9999-12-31 once overflowed the calendar; 9000-01-01 made it span seven thousand
    years. Neither creates a period now; the records' own period still computes."""
    org.deal(100, "2025-03-10")
    org.deal(100, "9999-12-31")
    org.deal(100, "9000-01-01")
    org.deal(100, "2025-03-12", created="0001-01-01T00:00")
    res = org.run("2025-03-31")
    starts = {row["period_start"] for row in res.rows}
    assert min(starts).year >= 1970
    assert max(starts).year <= 2035
    assert res.value("total_revenue", "2025-03") == 200


def test_a_period_outside_the_window_is_refused(org: Any) -> None:
    org.deal(100, "2025-03-10")
    with pytest.raises(ConfigError, match=r"^period 9000 is outside the reporting window, "
                       r"1970-01-01 to 2035-03-31: records carry no dates there "
                       r"\(reporting.date_window in config.yaml sets the window\)$"):  # fmt: skip
        org.run("2025-03-31", periods=["9000"])
    with pytest.raises(ConfigError, match="period 1969-12 is outside"):
        org.run("2025-03-31", periods=["1969-12"])


def test_non_finite_figures_are_left_empty_with_a_note(org: Any, make_target: Any) -> None:
    org.owner("o1")
    org.deal(float("nan"), "2025-03-10", owner="o1")
    org.deal(100, "2025-02-10", owner="o1")
    org.deal(float("inf"), "2025-01-10", owner="o1")
    # A target so small that actual / target overflows a double.
    tiny = make_target("total_revenue", 1e-320, "month", "owner", "o1")
    res = org.run("2025-03-31", periods=["2025-01", "2025-02", "2025-03"], targets=[tiny])
    for row in res.rows:
        for name in FIGURES:
            assert row[name] is None or math.isfinite(row[name]), (row, name)
    march = res.row("total_revenue", "2025-03", "owner", "o1")
    assert march["value"] is None
    assert "not a finite number, left empty: value" in march["note"]
    february = res.row("total_revenue", "2025-02", "owner", "o1")
    assert february["value"] == 100
    assert february["attainment"] is None
    assert february["note"].endswith("not a finite number, left empty: attainment")


def test_what_people_read_of_such_figures_is_valid(org: Any) -> None:
    """compute's JSON and CSV, and the dashboard (which refused "Out of range float
    values are not JSON compliant"), from a store whose saved results hold NaN and
    infinities (written before results were checked)."""
    org.owner("o1", team="T1")
    org.deal(100, "2025-02-10", owner="o1")
    org.run("2025-03-31")
    org.store.execute("UPDATE kpi_results SET value = 'nan'::DOUBLE, attainment = "
                      "'inf'::DOUBLE, target = 1 WHERE kpi = 'total_revenue'")  # fmt: skip
    rows = fetch_results(org.store, "2025-02", ["company", "team", "owner"])
    assert json.loads(as_json(rows))
    assert "nan" not in as_csv(rows).lower()
    assert "inf" not in as_csv(rows).lower()
    table = io.StringIO()
    render_table(rows, "USD", Console(file=table, width=120))
    assert "nan" not in table.getvalue().lower()
    payload = build_payload(org.store, Meta("KPIs", "test", "config.yaml", "USD"))
    text = json.dumps(payload, allow_nan=False)
    assert "NaN" not in text


def test_compute_outside_the_window_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path
    (folder / "exports").mkdir()
    (folder / "exports" / "opportunities.csv").write_text(
        "id,created_at,close_date,is_closed,is_won,amount,currency\n"
        "o1,2025-01-05,2025-02-01,true,true,100,USD\n"
    )
    config = folder / "config.yaml"
    config.write_text("reporting: {currency: USD, timezone: UTC}\nstore: {path: s.duckdb}\n"
                      "sources:\n  - {name: e, type: files, path: exports}\n")  # fmt: skip
    assert main(["pull", "--config", str(config)]) == 0
    assert main(["compute", "--config", str(config), "--period", "9000"]) == 2
    assert "outside the reporting window" in capsys.readouterr().err
