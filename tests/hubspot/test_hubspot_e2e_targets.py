"""End to end: HubSpot goals become each rep's and team's target after `crm-kpi run`, a
token without the goals scope is told so and the run goes on, and `crm-kpi validate`
names a value map key that misspells a property option."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hs_helpers import TOKEN_ENV, hubspot_surface, source_config

from connector.cli import main
from connector.crms.config import shipped_mapping
from connector.crms.hubspot.mapping import GoalTargets
from connector.crms.hubspot.targets import Assignees, goal_rows
from connector.store import Store
from crm_sandbox import Sandbox
from crm_sandbox.hubspot.auth import ALL_SCOPES
from crm_sandbox.hubspot.model import OWNER_BASE

pytestmark = pytest.mark.e2e
SHIPPED = shipped_mapping("hubspot.yaml")
REVENUE = (
    "SELECT scope_type, scope_id, value, target, attainment, note FROM kpi_results "
    "WHERE kpi = 'total_revenue' AND period_type = 'month' AND period = ? "
    "AND breakdown_type IS NULL AND source IS NULL"
)


def write_config(sb: Sandbox, folder: Path, **changes: Any) -> Path:
    source = source_config(sb, push={"enabled": False}, **changes)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({
        "reporting": {"currency": "USD", "timezone": "America/New_York"},
        "store": {"path": str(folder / "store.duckdb")},
        "sources": [source.model_dump(mode="json", exclude_none=True)],
    }))  # fmt: skip
    return path


def revenue(folder: Path, month: str) -> dict[tuple[str, str], dict[str, Any]]:
    with Store(folder / "store.duckdb") as store:
        rows = store.fetch_dicts(REVENUE, [month])
    return {(r["scope_type"], r["scope_id"]): r for r in rows}


def test_after_a_run_reps_and_teams_are_measured_by_their_goals(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    cur = sandbox.org.cursor()
    goals = cur.execute(
        "SELECT q.scope, q.owner_n, t.name, strftime(q.start_date, '%Y-%m'), "
        "round(q.amount / c.rate, 2) FROM quotas q JOIN currencies c ON c.iso_code = q.currency "
        "LEFT JOIN teams t ON t.n = q.team_n WHERE q.scope IN ('rep', 'team') "
        "AND q.start_date = DATE '2025-06-01' ORDER BY q.scope, q.owner_n"
    ).fetchall()
    assert {g[0] for g in goals} == {"rep", "team"}
    assert main(["run", "--config", str(write_config(sandbox, tmp_path))]) == 0
    june = revenue(tmp_path, "2025-06")
    for scope, owner, team, _, amount in goals:
        key = ("owner", str(OWNER_BASE + owner)) if scope == "rep" else ("team", team)
        row = june[key]
        assert row["target"] == pytest.approx(amount)
        assert row["attainment"] == pytest.approx(row["value"] / amount)
    reps = {str(OWNER_BASE + g[1]) for g in goals if g[0] == "rep"}
    without = [r for (kind, rid), r in june.items() if kind == "owner" and rid not in reps]
    assert without
    assert all(r["target"] is None and r["note"] == "no target for this rep" for r in without)


def test_a_token_without_the_goals_scope_is_told_so_and_the_run_goes_on(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    token = hubspot_surface(sandbox).tokens.issue(ALL_SCOPES - {"crm.objects.goals.read"}, None)
    monkeypatch.setenv(TOKEN_ENV, token)
    config = write_config(sandbox, tmp_path)
    assert main(["validate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "note: hs: HubSpot goals cannot be read (the HubSpot token lacks the scope " in out
    assert "crm.objects.goals.read" in out
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0
    assert "HubSpot goals cannot be read" in capsys.readouterr().err
    with Store(tmp_path / "store.duckdb") as store:
        assert store.scalar("SELECT count(*) FROM targets") == 0
        assert store.scalar("SELECT count(*) FROM opportunities") > 0


def test_goals_are_read_once_in_every_hours_and_at_once_when_their_settings_change(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    mapping = tmp_path / "hubspot.yaml"
    mapping.write_text(SHIPPED.read_text())
    config = write_config(sandbox, tmp_path, mapping=str(mapping))

    def goal_calls() -> int:
        sandbox.reset_stats()
        assert main(["pull", "--config", str(config)]) == 0
        return int(sandbox.stats()["endpoints"].get("hubspot.list", 0))

    assert goal_calls() > 0
    with Store(tmp_path / "store.duckdb") as store:
        goals = store.scalar("SELECT count(*) FROM targets WHERE NOT is_deleted")
    assert goals > 0
    assert goal_calls() == 0  # the same day: not read again, and none of them lost
    with Store(tmp_path / "store.duckdb") as store:
        assert store.scalar("SELECT count(*) FROM targets WHERE NOT is_deleted") == goals
    mapping.write_text(SHIPPED.read_text().replace("    kpi: total_revenue\n",
                                                   "    kpi: total_revenue\n    every_hours: 0\n"))
    assert goal_calls() > 0  # settings changed: read at once
    assert goal_calls() > 0  # every_hours: 0 reads them every pull


def test_validate_names_a_misspelled_option_at_its_line(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = (Path(__file__).parents[2] / "mappings" / "hubspot.yaml").read_text()
    mapping = tmp_path / "hubspot.yaml"
    mapping.write_text(shipped.replace("        Social Media: social\n",
                                       "        Social Meda: social\n"))  # fmt: skip
    line = mapping.read_text().splitlines().index("        Social Meda: social") + 1
    config = write_config(sandbox, tmp_path, mapping=str(mapping))
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err.splitlines()
    # The value map is written once (an anchor) and read by deals and contacts.
    assert [e.split(": ")[0] for e in err] == [
        f'hubspot.yaml:{line} streams[0].values.contact_method["Social Meda"]',
        f'hubspot.yaml:{line} streams[1].values.contact_method["Social Meda"]',
    ]
    assert "'Social Meda' is not a value of deals.lead_source; did you mean 'Social " in err[0]


def test_goals_of_a_month_quarter_or_year_set_in_any_time_zone() -> None:
    base = {"hs_goal_name": "Revenue quota", "hs_target_amount": "1000",
            "hs_assignee_user_id": "9000002",
            "hs_lastmodifieddate": "2025-01-01T00:00:00Z"}  # fmt: skip
    spans = [
        ("2025-01-01T00:00:00.000Z", "2025-01-31T23:59:59.999Z"),  # a month, UTC
        ("2025-04-01T04:00:00.000Z", "2025-07-01T03:59:59.999Z"),  # a quarter, New York
        ("2024-12-31T15:00:00Z", "2025-12-31T00:00:00Z"),  # a year, Tokyo, last day given
        ("2025-01-01T00:00:00Z", "2025-01-14T23:59:59Z"),  # two weeks: no KPI period
        ("2025-01-15T00:00:00Z", "2025-02-14T23:59:59Z"),  # not from a month's first day
    ]
    goals = [{"id": str(i), "properties": {**base, "hs_start_datetime": start,
                                           "hs_end_datetime": end}}
             for i, (start, end) in enumerate(spans)]  # fmt: skip
    goals.append({"id": "9", "properties": {**base, **goals[0]["properties"],  # type: ignore[dict-item]
                                            "hs_goal_name": "Calls made"}})  # fmt: skip
    assignees = Assignees(owners={"9000002": "70000002"})
    rows = goal_rows(goals, GoalTargets(goal_names=["revenue QUOTA"]), assignees)
    assert [(r[0], r[3], str(r[4]), r[5], r[6]) for r in rows] == [
        ("0", "month", "2025-01-01", "owner", "70000002"),
        ("1", "quarter", "2025-04-01", "owner", "70000002"),
        ("2", "year", "2025-01-01", "owner", "70000002"),
    ]
