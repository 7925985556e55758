"""`crm-kpi compute` and `run` on the sample exports: what is stored changes only when
asked, and exactly where asked; reps are measured against their own targets."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from connector.cli import main
from connector.demo.exports import write_demo_config
from connector.store import Store

REP_TARGET = {"kpi": "total_revenue", "period_type": "quarter", "value": 120000,
              "scope_type": "owner", "scope_id": "REP7@example.com"}  # fmt: skip


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's config over the sample exports (reps 0-5 have revenue targets, teams
    the sum of their reps'), a target for rep 7 (named by e-mail, in another case than
    the CRM's), after one `crm-kpi run`."""
    folder = tmp_path_factory.mktemp("compute")
    path = write_demo_config(folder)
    data = yaml.safe_load(path.read_text())
    data["targets"].append(REP_TARGET)
    path.write_text(yaml.safe_dump(data))
    assert main(["run", "--config", str(path), "--log-format", "plain"]) == 0
    return path


def _stored(config: Path) -> list[tuple[Any, ...]]:
    with Store(config.parent / "crm-kpi.duckdb") as store:
        return store.fetch(
            "SELECT kpi, period, scope_type, scope_id, breakdown_type, breakdown_value, value, "
            "target, attainment, pace, note, computed_at FROM kpi_results ORDER BY ALL"
        )


def test_run_persists_every_period_and_scope(config: Path) -> None:
    rows = _stored(config)
    assert {r[2] for r in rows} == {"company", "team", "owner", "territory"}
    assert len({r[1] for r in rows}) > 30  # months, quarters and years of three years


def test_compute_changes_nothing_stored_unless_asked(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _stored(config)
    assert main(["compute", "--config", str(config)]) == 0
    # the latest month with a deal or a lead (the sample's activities run on past it)
    assert "latest month with data: 2026-09" in capsys.readouterr().err
    assert main(["compute", "--config", str(config), "--period", "2026-Q3", "--scope", "owner",
                 "--format", "json"]) == 0  # fmt: skip
    assert _stored(config) == before


def test_save_replaces_exactly_the_periods_and_scopes_computed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _stored(config)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert main(["compute", "--config", str(config), "--period", "2026-Q3", "--scope", "owner",
                 "--save", "--format", "csv"]) == 0  # fmt: skip
    assert re.search(r"saved [\d,]+ KPI rows into kpi_results", capsys.readouterr().err)
    after = _stored(config)
    assert len(after) == len(before)
    renewed = {(r[1], r[2]) for r in after if r[-1] >= started}
    assert renewed == {("2026-Q3", "owner")}
    # same data, same figures (to the last bits a different order of summing moves)
    for old, new in zip(before, after, strict=True):
        assert (new[:6], new[10]) == (old[:6], old[10])
        for a, b in zip(old[6:10], new[6:10], strict=True):
            assert b == (None if a is None else pytest.approx(a, rel=1e-12))


def test_a_rep_with_his_own_target_gets_his_attainment(config: Path) -> None:
    rows = [r for r in _stored(config)
            if r[0] == "total_revenue" and r[1] == "2026-Q3" and r[4] is None]  # fmt: skip
    by_scope = {(r[2], r[3]): r for r in rows}
    rep7 = by_scope[("owner", "U7")]
    assert rep7[7] == 120000
    assert rep7[8] == pytest.approx(rep7[6] / 120000)
    rep8 = by_scope[("owner", "U8")]
    assert (rep8[7], rep8[8], rep8[10]) == (None, None, "no target for this rep")
    assert by_scope[("company", None)][7] == 2500000
    # Team 2 (reps 2, 7, 12, 17, 22): the roll-up of the two reps with a target
    team = by_scope[("team", "Team 2")]
    assert team[7] == 150000 + 120000
    assert team[10] == "target: the sum of the targets of 2 of its 5 reps"


def test_the_table_numbers_the_notes_beneath_it(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compute", "--config", str(config), "--period", "2026-Q3"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s+\d+\s+basis: customers at the start of the period$", out, re.M)
    assert "…" not in out  # nothing cut short


def test_the_duckdb_path_never_imports_spark(config: Path) -> None:
    """Spark is imported only for `engine: spark`: a DuckDB compute, in a fresh process,
    leaves no pyspark module loaded (its import alone costs seconds and memory)."""
    script = (
        "import sys\n"
        "from connector.cli import main\n"
        f"assert main(['compute', '--period', '2026-Q3', '--config', {str(config)!r}]) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j'))\n"
        "print('SPARK-MODULES', loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SPARK-MODULES []" in done.stdout


def test_every_figure_printed_says_when_it_was_computed_and_whether_its_period_runs(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert main(["compute", "--config", str(config), "--period", "2026-Q3", "--format",
                 "json"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)
    stamps = {dt.datetime.fromisoformat(r["as_of"]) for r in rows}
    assert len(stamps) == 1  # one run
    assert min(stamps).tzinfo is not None
    assert started <= min(stamps) <= dt.datetime.now(dt.UTC)
    assert {r["period_status"] for r in rows} == {"closed"}  # Q3 2026 ended before today
    assert main(["compute", "--config", str(config), "--period", "2026-Q3", "--format",
                 "csv"]) == 0  # fmt: skip
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert header[-2:] == ["period_status", "as_of"]
    assert main(["compute", "--config", str(config), "--period", "2026-Q3"]) == 0
    assert re.search(r"computed \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", capsys.readouterr().out)
    month = f"{dt.date.today():%Y-%m}"  # the month in progress: its figures are so far
    assert main(["compute", "--config", str(config), "--period", month]) == 0
    assert f"KPIs for {month} (in progress: figures so far)" in capsys.readouterr().out
