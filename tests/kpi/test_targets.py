"""Targets per scope from config.yaml and the targets table, roll-up, and pace."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from connector.config import load_config
from connector.errors import ConfigError
from connector.kpi.calendar import elapsed_share, pace_from_day
from connector.kpi.periods import parse_period
from connector.kpi.steps import read_sql
from connector.settings import PaceSettings
from connector.store import Store


def _target(org: Any, kpi: str, value: float, **fields: Any) -> str:
    fields.setdefault("period_type", "month")
    fields.setdefault("scope_type", "company")
    fields.setdefault("origin", "csv")
    return str(org.put("targets", kpi=kpi, value=value, **fields))


@pytest.fixture
def reps(org: Any) -> Any:
    """Two teams: EMEA (ann 600, bob 300 in January), APAC (cho 100); ann in territory
    North. The org's reporting currency is USD; EUR is worth 1.0 USD until 2025-02-01,
    then 1.2."""
    org.owner("ann", team="EMEA", territory="North", email="Ann@Example.com")
    org.owner("bob", team="EMEA", email="bob@example.com")
    org.owner("cho", team="APAC", email="cho@example.com")
    org.deal(600, "2025-01-10", owner="ann")
    org.deal(300, "2025-01-11", owner="bob")
    org.deal(100, "2025-01-12", owner="cho")
    org.deal(700, "2025-02-12", owner="ann")
    org.rate("EUR", 1.0, "2024-01-01")
    org.rate("EUR", 1.2, "2025-02-01")
    return org


def test_a_rep_with_his_own_target_gets_his_attainment_a_rep_without_none(reps: Any) -> None:
    _target(reps, "total_revenue", 1200, scope_type="owner", scope_id="ann@example.com")
    res = reps.run("2025-02-28", periods=["2025-01"])
    ann = res.row("total_revenue", "2025-01", "owner", "ann")
    assert (ann["target"], ann["attainment"], ann["note"]) == (1200, 0.5, None)
    bob = res.row("total_revenue", "2025-01", "owner", "bob")
    assert (bob["target"], bob["attainment"], bob["gap"]) == (None, None, None)
    assert bob["note"] == "no target for this rep"
    # the team and the company have no target either: nothing is borrowed
    assert res.row("total_revenue", "2025-01", "team", "EMEA")["note"] == "no target for this team"
    assert res.row("total_revenue", "2025-01")["note"] == "no target for the company"


def test_a_target_for_one_period_beats_the_one_for_every_period(reps: Any) -> None:
    _target(reps, "total_revenue", 1000, scope_type="team", scope_id="emea")
    _target(reps, "total_revenue", 450, scope_type="team", scope_id="EMEA",
            period_start="2025-01-01")  # fmt: skip
    res = reps.run("2025-02-28", periods=["2025-01", "2025-02"])
    assert res.row("total_revenue", "2025-01", "team", "EMEA")["target"] == 450
    assert res.row("total_revenue", "2025-02", "team", "EMEA")["target"] == 1000
    # a period-specific target is for its period only, and never for another type
    assert res.row("total_revenue", "2025-01", "team", "APAC")["target"] is None


def test_config_beats_a_csv_then_the_latest_modified_wins(reps: Any, make_target: Any) -> None:
    _target(reps, "total_revenue", 111, modified_at="2025-01-01T00:00")
    _target(reps, "total_revenue", 222, modified_at="2025-01-05T00:00", origin="quota")
    _target(reps, "total_revenue", 333, modified_at="2025-01-03T00:00")
    res = reps.run("2025-02-28", periods=["2025-01"])
    # csv before quota; of the two CSV rows, the later modified
    assert res.row("total_revenue", "2025-01")["target"] == 333
    res = reps.run("2025-02-28", periods=["2025-01"],
                   targets=[make_target("total_revenue", 999)])  # fmt: skip
    assert res.row("total_revenue", "2025-01")["target"] == 999


def test_an_owner_target_matches_the_crm_id_of_its_own_source_or_the_email(reps: Any) -> None:
    # a Salesforce quota names the rep by its id in the same CRM ...
    _target(reps, "total_revenue", 500, scope_type="owner", scope_id="bob", origin="quota")
    # ... and an id of another CRM names nobody here
    _target(reps, "total_revenue", 500, scope_type="owner", scope_id="cho", origin="goal",
            source="hubspot")  # fmt: skip
    reps.delete("targets", _target(reps, "total_revenue", 1, scope_type="owner", scope_id="ann"))
    res = reps.run("2025-02-28", periods=["2025-01"])
    assert res.row("total_revenue", "2025-01", "owner", "bob")["target"] == 500
    assert res.row("total_revenue", "2025-01", "owner", "cho")["target"] is None
    # a deleted target is gone
    assert res.row("total_revenue", "2025-01", "owner", "ann")["target"] is None


def test_territory_targets_by_name(reps: Any) -> None:
    _target(reps, "total_revenue", 300, scope_type="territory", scope_id="NORTH")
    res = reps.run("2025-02-28", periods=["2025-01"])
    assert res.row("total_revenue", "2025-01", "territory", "North")["attainment"] == 2.0


def test_money_targets_convert_at_the_rate_of_the_period_start(reps: Any) -> None:
    _target(reps, "total_revenue", 1000, currency="EUR")
    _target(reps, "closing_ratio", 0.5, currency="EUR")  # not money: no conversion
    _target(reps, "total_revenue", 1000, currency="GBP", scope_type="team", scope_id="EMEA")
    res = reps.run("2025-02-28", periods=["2025-01", "2025-02"])
    assert res.row("total_revenue", "2025-01")["target"] == pytest.approx(1000)
    assert res.row("total_revenue", "2025-02")["target"] == pytest.approx(1200)
    assert res.row("closing_ratio", "2025-02")["target"] == 0.5
    row = res.row("total_revenue", "2025-01", "team", "EMEA")
    assert (row["target"], row["attainment"]) == (None, None)
    assert row["note"] == "target left out: no exchange rate for GBP on 2025-01-01"


def test_team_target_rolled_up_from_its_reps_where_asked(reps: Any, make_target: Any) -> None:
    targets = [
        make_target("total_revenue", 800, scope_type="owner", scope_id="ann"),
        make_target("total_revenue", 400, scope_type="owner", scope_id="bob"),
        make_target("total_revenue", 50, scope_type="owner", scope_id="cho"),
        make_target("total_revenue", 100, scope_type="team", scope_id="APAC"),
    ]
    rollup = {"team": ["total_revenue"], "company": ["total_revenue"]}
    res = reps.run("2025-02-28", periods=["2025-01"], targets=targets, target_rollup=rollup)
    emea = res.row("total_revenue", "2025-01", "team", "EMEA")
    assert (emea["target"], emea["attainment"]) == (1200, 0.75)
    assert emea["note"] == "target: the sum of its 2 reps' targets"
    # a team's own target beats the sum
    apac = res.row("total_revenue", "2025-01", "team", "APAC")
    assert (apac["target"], apac["note"]) == (100, None)
    assert res.row("total_revenue", "2025-01")["target"] == 1250
    # without the roll-up, a team without a target has none
    res = reps.run("2025-02-28", periods=["2025-01"], targets=targets)
    assert res.row("total_revenue", "2025-01", "team", "EMEA")["target"] is None


def test_roll_up_of_some_reps_says_how_many(reps: Any, make_target: Any) -> None:
    targets = [make_target("total_revenue", 800, scope_type="owner", scope_id="ann")]
    res = reps.run("2025-02-28", periods=["2025-01"], targets=targets,
                   target_rollup={"team": ["total_revenue"]})  # fmt: skip
    emea = res.row("total_revenue", "2025-01", "team", "EMEA")
    assert emea["target"] == 800
    assert emea["note"] == "target: the sum of the targets of 1 of its 2 reps"
    # no rep of APAC has one: no sum
    assert res.row("total_revenue", "2025-01", "team", "APAC")["target"] is None


def test_config_refuses_a_roll_up_of_a_kpi_that_does_not_add_up(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: .}\n"
        "kpis:\n"
        "  target_rollup:\n"
        "    team: [total_revenue,\n"
        "           closing_ratio]\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (message,) = raised.value.messages
    assert message.startswith("config.yaml:7 kpis.target_rollup.team[1]: closing_ratio does not")
    assert "only for total_revenue" in message


def test_owners_of_two_crms_share_the_target_naming_their_email(org: Any, make_target: Any) -> None:
    from connector.kpi.engine import compute
    from connector.settings import KpiSettings, Reporting

    for source, id in (("sf", "005A"), ("hs", "77")):
        org.put("owners", source=source, id=id, email="dana@example.com", team="EMEA")
        org.put("opportunities", source=source, id="d" + id, owner_id=id, amount=500,
                close_date="2025-01-10", is_closed=True, is_won=True,
                created_at="2025-01-02")  # fmt: skip
    org.put("targets", source="sf", id="q1", kpi="total_revenue", period_type="month",
            scope_type="owner", scope_id="005A", value=2000, origin="quota")  # fmt: skip
    compute(org.store, Reporting(currency="USD", timezone="UTC"), KpiSettings(),
            periods=[parse_period("2025-01")], as_of=dt.date(2025, 1, 31),
            merge_owners_by_email=True)  # fmt: skip
    rows = org.store.fetch_dicts("SELECT scope_id, value, target, attainment FROM kpi_results "
                                 "WHERE kpi = 'total_revenue' AND scope_type = 'owner' "
                                 "AND breakdown_type IS NULL")  # fmt: skip
    # one rep, both CRMs' revenue, against the quota his Salesforce user has
    assert rows == [{"scope_id": "dana@example.com", "value": 1000, "target": 2000,
                     "attainment": 0.5}]  # fmt: skip


# --- pace -------------------------------------------------------------------------------


def test_pace_of_the_period_in_progress(reps: Any, make_target: Any) -> None:
    targets = [
        make_target("total_revenue", 3100),  # every month
        make_target("total_revenue", 9000, period_type="quarter"),
        make_target("closing_ratio", 0.5),
    ]
    # as of 2025-01-15: 15 of January's 31 days (the 15th counted), 15 of Q1's 90; the
    # minimums lifted, so that the arithmetic is tested on its own
    res = reps.run("2025-01-15", periods=["2024-12", "2025-01", "2025-Q1", "2025"],
                   targets=targets, pace={"min_days": 1, "min_share": 0})  # fmt: skip
    january = res.row("total_revenue", "2025-01")
    # 1000 won by then against 3100 x 15 / 31 = 1500: behind the pace the target needs
    assert january["value"] == 1000
    assert january["attainment"] == pytest.approx(1000 / 3100)
    assert january["pace"] == pytest.approx(1000 / 1500)
    # the quarter: 9000 x 15 / 90 = 1500 expected by now; 1700 won, February's deal
    # (won with a close date ahead) included
    assert res.row("total_revenue", "2025-Q1")["pace"] == pytest.approx(1700 / 1500)
    # a closed period, a period without a target, a KPI that does not accumulate: no pace
    assert res.row("total_revenue", "2024-12")["pace"] is None
    assert res.row("total_revenue", "2025")["pace"] is None
    assert res.row("closing_ratio", "2025-01")["pace"] is None
    # a rep without a target has no pace either
    assert res.row("total_revenue", "2025-01", "owner", "ann")["pace"] is None


def test_pace_waits_for_enough_of_the_period_and_says_from_when(
    reps: Any, make_target: Any
) -> None:
    targets = [make_target("total_revenue", 3100),
               make_target("total_revenue", 9000, period_type="quarter")]  # fmt: skip
    # day 6 of January: one early deal would make a pace of 300 %; none is given
    res = reps.run("2025-01-06", periods=["2025-01", "2025-Q1"], targets=targets)
    january = res.row("total_revenue", "2025-01")
    assert (january["pace"], january["period_status"]) == (None, "in progress")
    assert january["pace_note"] == "pace from day 8 of the month (today is day 6)"
    assert january["note"] == january["pace_note"]
    assert res.row("total_revenue", "2025-Q1")["pace_note"] == (
        "pace from day 23 of the quarter (today is day 6)")
    # day 8 (a quarter of January): pace; the quarter still waits for its day 23
    res = reps.run("2025-01-08", periods=["2025-01", "2025-Q1"], targets=targets)
    january = res.row("total_revenue", "2025-01")
    assert january["pace"] == pytest.approx(1000 / (3100 * 8 / 31))
    assert (january["pace_note"], january["note"]) == (None, None)
    assert res.row("total_revenue", "2025-Q1")["pace"] is None
    # a scope without a target has no pace to wait for: no note either
    assert res.row("total_revenue", "2025-01", "owner", "ann")["pace_note"] is None


def test_pace_can_wait_for_won_deals(reps: Any, make_target: Any) -> None:
    targets = [make_target("total_revenue", 3100),
               make_target("total_revenue", 1000, scope_type="owner", scope_id="ann")]
    res = reps.run("2025-01-20", periods=["2025-01"], targets=targets,
                   pace={"min_deals": 2})  # fmt: skip
    ann = res.row("total_revenue", "2025-01", "owner", "ann")  # one deal won so far
    assert (ann["pace"], ann["pace_note"]) == (None, "pace from 2 won deals (1 so far)")
    company = res.row("total_revenue", "2025-01")  # three deals
    assert company["pace"] == pytest.approx(1000 / (3100 * 20 / 31))
    early = reps.run("2025-01-02", periods=["2025-01"], targets=targets, pace={"min_deals": 4})
    # deals won with a close date later in the month count, as in the revenue itself
    assert early.row("total_revenue", "2025-01")["pace_note"] == (
        "pace from day 8 of the month (today is day 2); pace from 4 won deals (3 so far)")


@pytest.mark.parametrize(
    ("period", "settings", "day"),
    [
        ("2025-01", {}, 8),  # a quarter of 31 days is 7.75
        ("2025-02", {}, 7),  # 7 of 28 days: the share and the days agree
        ("2025-Q1", {}, 23),  # 22.5 of 90 days
        ("2025", {}, 92),  # 91.25 of 365
        ("2025-01", {"min_days": 10, "min_share": 0.1}, 10),
        ("2025-01", {"min_days": 1, "min_share": 0}, 1),
    ],
)
def test_pace_from_day_is_the_later_of_the_minimums(
    period: str, settings: dict[str, Any], day: int
) -> None:
    assert pace_from_day(parse_period(period), PaceSettings(**settings)) == day


def test_pace_is_none_once_the_period_is_over(reps: Any, make_target: Any) -> None:
    res = reps.run("2025-02-14", periods=["2025-01", "2025-02"],
                   targets=[make_target("total_revenue", 1000)])  # fmt: skip
    january = res.row("total_revenue", "2025-01")
    assert (january["pace"], january["pace_note"], january["period_status"]) == (
        None, None, "closed")
    # February 14th: 14 / 28 elapsed, 700 won against 500 expected
    assert res.row("total_revenue", "2025-02")["pace"] == pytest.approx(1.4)


@pytest.mark.parametrize(
    ("period", "today", "share"),
    [
        ("2025-01", "2025-01-01", 1 / 31),
        ("2025-01", "2025-01-31", 1.0),
        ("2025-01", "2025-02-01", None),
        ("2025-01", "2024-12-31", None),
        ("2025-Q1", "2025-02-14", 45 / 90),
        ("2024", "2024-12-31", 1.0),
    ],
)
def test_elapsed_share_counts_today_as_elapsed(
    period: str, today: str, share: float | None
) -> None:
    found = elapsed_share(parse_period(period), dt.date.fromisoformat(today))
    assert found == (pytest.approx(share) if share is not None else None)


def test_pace_of_a_lower_is_better_kpi_is_inverted() -> None:
    """No KPI of the spec both accumulates and is better lower; the rule is the
    attainment's all the same: expected to date / actual, so above 1 is good."""
    with Store(":memory:") as store:
        store.load_rows("kpi_values", [("kpi", "VARCHAR"), ("period_type", "VARCHAR"),
                        ("period_key", "VARCHAR"), ("scope_type", "VARCHAR"),
                        ("scope_id", "VARCHAR"), ("breakdown_type", "VARCHAR"),
                        ("breakdown_value", "VARCHAR"), ("value", "DOUBLE"),
                        ("numerator", "DOUBLE"), ("denominator", "DOUBLE"),
                        ("note", "VARCHAR")],
                        [("spend", "month", "2025-01", "company", "", None, None, 250.0,
                          None, None, None)])  # fmt: skip
        store.load_rows("kpi_registry", [("kpi", "VARCHAR"), ("unit", "VARCHAR"),
                        ("higher_is_better", "BOOLEAN"), ("signed", "BOOLEAN"),
                        ("split_by", "VARCHAR"), ("accumulates", "BOOLEAN")],
                        [("spend", "money", False, False, None, True)])  # fmt: skip
        store.load_rows("kpi_periods", [("period_type", "VARCHAR"), ("period_key", "VARCHAR"),
                        ("elapsed_share", "DOUBLE"), ("elapsed_days", "BIGINT"),
                        ("pace_from_day", "BIGINT")],
                        [("month", "2025-01", 0.5, 16, 8)])  # fmt: skip
        store.load_rows("kpi_won", [("period_type", "VARCHAR"), ("period_key", "VARCHAR"),
                        ("scope_type", "VARCHAR"), ("scope_id", "VARCHAR")], [])  # fmt: skip
        store.load_rows("kpi_target_values", [("kpi", "VARCHAR"), ("period_type", "VARCHAR"),
                        ("period_key", "VARCHAR"), ("scope_type", "VARCHAR"),
                        ("scope_id", "VARCHAR"), ("target", "DOUBLE"),
                        ("target_note", "VARCHAR")],
                        [("spend", "month", "2025-01", "company", "", 1000.0, None)])  # fmt: skip
        (row,) = store.fetch_dicts(read_sql("kpi_attainment.sql"), {"pace_min_deals": 0})
    # 250 spent where 500 was allowed by mid-month: twice as good as the pace needs
    assert (row["attainment"], row["pace"]) == (4.0, 2.0)
