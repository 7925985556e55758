"""The dashboard payload: numbers, units, filter data and heat-map cells from a small store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from connector.dashboard.payload import (
    HEAT_KPIS,
    Meta,
    build_payload,
    compact,
    kpi_unit,
    stale_note,
)
from connector.kpi.engine import RESULTS_DDL
from connector.kpis import KPIS
from connector.store import Store


@pytest.fixture
def payload(store: Store, meta: Meta) -> dict[str, Any]:
    return build_payload(store, meta)


def test_meta_says_where_the_numbers_come_from(payload: dict[str, Any]) -> None:
    meta = payload["meta"]
    assert meta["currency"] == "EUR"
    assert meta["computedAt"] == "2025-04-02 08:30 UTC"
    assert meta["asOf"] == "2 Apr 2025, 10:30 (Europe/Paris)"  # in the org's time zone
    assert (meta["source"], meta["config"]) == ("exports (files)", "config.yaml")
    assert meta["generatedAt"].endswith(" UTC")
    # made long after the figures were computed: the page says the runs since failed
    assert meta["stale"].startswith("These figures were computed ")
    assert meta["paceHelp"].endswith("until 7 days and 25 % of it have gone by.")


def test_figures_older_than_a_night_are_said_to_be_stale() -> None:
    computed = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)
    assert stale_note(computed, computed + dt.timedelta(hours=30), "UTC") is None
    note = stale_note(computed, computed + dt.timedelta(days=3), "America/New_York")
    assert note == ("These figures were computed 3 days before this page was made (4 Dec "
                    "2026, 20:00 (America/New_York)): the nightly runs since did not finish "
                    "(crm-kpi status says why).")  # fmt: skip


def test_periods_by_type_and_the_months_of_each_quarter(payload: dict[str, Any]) -> None:
    assert payload["periods"] == {
        "month": ["2025-01", "2025-02"],
        "quarter": ["2025-Q1"],
        "year": ["2025"],
    }
    assert payload["spans"]["quarter"] == {"2025-Q1": ["2025-01", "2025-03"]}
    assert payload["spans"]["year"] == {"2025": ["2025-01", "2025-12"]}
    assert payload["defaults"] == {"periodType": "quarter", "period": "2025-Q1"}


def test_series_are_columns_aligned_with_the_periods(payload: dict[str, Any]) -> None:
    revenue = payload["series"]["company"]["total_revenue"]
    assert revenue["month"] == {
        "v": [1000, 2500], "t": [2000, 2000], "a": [0.5002, 1.25], "p": [None, 1.083],
    }  # fmt: skip
    assert revenue["quarter"]["v"] == [3500]
    closing = payload["series"]["company"]["closing_ratio"]["quarter"]
    assert closing == {"v": [0.4568], "t": [0.4], "a": [1.142], "p": [None]}
    nps = payload["series"]["company"]["nps"]["quarter"]
    assert nps == {"v": [-12.5], "t": [30], "a": [None], "p": [None]}
    # Team rows are their own scope; owner rows only feed the heat map.
    assert payload["series"]["team:Team A"]["total_revenue"]["quarter"]["v"] == [1200]
    assert set(payload["series"]) == {"company", "team:Team A", "team:Team B"}


def test_the_basis_in_use_goes_with_the_kpis_it_concerns(payload: dict[str, Any]) -> None:
    assert payload["kpis"]["churn_rate"]["basis"].startswith("Counted over the customers at")
    assert "basis" not in payload["kpis"]["nps"]


def test_a_store_from_before_pace_has_no_pace(store: Store, meta: Meta) -> None:
    store.execute("ALTER TABLE kpi_results DROP COLUMN pace")
    revenue = build_payload(store, meta)["series"]["company"]["total_revenue"]["month"]
    assert revenue["p"] == [None, None]


def test_a_store_of_an_earlier_version_is_read_without_being_altered(
    store: Store, meta: Meta
) -> None:
    """The page may be made from a read-only store: columns added since (the period's
    status, the pace note) read as NULL, and nothing is written."""
    for column in ("period_status", "pace_note"):
        store.execute(f"ALTER TABLE kpi_results DROP COLUMN {column}")
    payload = build_payload(store, meta)
    assert payload["progress"]["month"] == [None, None]
    assert payload["notes"] == {}
    columns = {r[0] for r in store.fetch("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'kpi_results'")}  # fmt: skip
    assert not {"period_status", "pace_note"} & columns


def test_units_decide_how_each_kpi_is_shown(payload: dict[str, Any]) -> None:
    units = {key: kpi["unit"] for key, kpi in payload["kpis"].items()}
    assert units["total_revenue"] == units["cac"] == units["clv"] == units["arpa"] == "money"
    assert units["closing_ratio"] == units["churn_rate"] == units["sales_growth"] == "ratio"
    assert units["avg_sales_cycle_days"] == "days"
    assert units["nps"] == "score"
    assert units["clv_to_cac"] == "multiple"
    assert payload["kpis"]["churn_rate"]["higher"] is False
    assert payload["kpis"]["total_revenue"]["label"] == "Revenue"
    assert kpi_unit("lead_to_sale") == "ratio"


def test_kpi_labels_units_and_heat_columns_come_from_the_registry(
    payload: dict[str, Any],
) -> None:
    shown = {
        k: {n: v for n, v in kpi.items() if n != "basis"} for k, kpi in payload["kpis"].items()
    }
    assert shown == {
        k.key: {"label": k.short_label, "unit": k.unit, "higher": k.higher_is_better} for k in KPIS
    }
    assert list(payload["kpis"]) == [k.key for k in KPIS]
    assert payload["heatKpis"] == [k.key for k in KPIS if k.split_by is None]


def test_team_filter_lists_teams_and_live_reps_in_natural_order(payload: dict[str, Any]) -> None:
    assert payload["teams"] == ["Team A", "Team B"]
    # active reps with data only: not "Left" (inactive, with figures), not "Quiet"
    # (inactive, none), not the integration user (campaign costs, no figure), not "Gone"
    assert [o["name"] for o in payload["owners"]] == ["Ann", "Bob", "Rep 2", "Rep 10"]
    assert payload["owners"][0] == {"id": "U1", "name": "Ann", "team": "Team A"}


def test_the_heat_map_lists_the_reps_with_data_in_each_period(payload: dict[str, Any]) -> None:
    names = [o["name"] for o in payload["owners"]]
    quarter = [names[n] for n in payload["reps"]["quarter"][0]]
    assert quarter == ["Ann", "Bob", "Rep 2", "Rep 10"]  # Rep 2: nothing won, but a target
    assert [names[n] for n in payload["reps"]["month"][0]] == ["Ann"]
    assert payload["reps"]["month"][1] == []


def test_heat_map_cells_hold_owner_attainment_by_kpi(payload: dict[str, Any]) -> None:
    quarter = payload["heat"]["quarter"][0]
    columns = payload["heatKpis"]
    assert "sales_by_contact_method" not in columns
    assert columns == list(HEAT_KPIS)
    ann = quarter["U1"]
    assert len(ann) == len(columns)
    assert ann[columns.index("closing_ratio")] == 0.94
    assert ann[columns.index("cac")] == 1.6
    assert ann[columns.index("total_revenue")] is None
    assert quarter["U10"][columns.index("total_revenue")] == 0.15
    # No attainment (Bob) or a deleted rep (U9): no cells.
    assert set(quarter) == {"U1", "U10", "U3"}
    assert quarter["U3"][columns.index("total_revenue")] == 0
    assert payload["heat"]["month"][0] == {"U1": [0.2] + [None] * (len(columns) - 1)}
    assert payload["heat"]["month"][1] == {}


def test_contact_methods_carry_rate_counts_revenue_and_target(payload: dict[str, Any]) -> None:
    company = payload["methods"]["company"]["quarter"][0]
    assert company == [["phone", 0.1, 2, 20, 1500, 0.05], ["email", None, 0, 0, None, None]]
    assert payload["methods"]["team:Team A"]["quarter"] == [[["phone", 0.25, 1, 4, None, None]]]
    assert "month" not in payload["methods"]["company"]


def test_the_page_opens_on_the_latest_period_with_targets(store: Store, meta: Meta) -> None:
    # quotas only by month (as Salesforce's): the latest month with a target and revenue,
    # not a quarter in which no rep has a target
    store.execute("UPDATE kpi_results SET target = NULL WHERE period_type <> 'month'")
    assert build_payload(store, meta)["defaults"] == {"periodType": "month", "period": "2025-02"}
    store.execute("UPDATE kpi_results SET target = NULL WHERE period = '2025-02'")
    assert build_payload(store, meta)["defaults"] == {"periodType": "month", "period": "2025-01"}


def test_the_page_opens_where_reps_have_targets_not_on_the_companys_quarter(
    store: Store, meta: Meta
) -> None:
    # the company's targets are quarterly, the reps' quotas monthly (the demo's config):
    # the quarter would open on a heat map where no rep has a target, so the month wins
    store.execute("UPDATE kpi_results SET target = NULL WHERE scope_type <> 'company' "
                  "OR period_type = 'month'")
    store.execute("INSERT INTO kpi_results BY NAME SELECT * REPLACE ('owner' AS scope_type, "
                  "'U1' AS scope_id, 1000 AS target) FROM kpi_results WHERE period = '2025-02' "
                  "AND kpi = 'total_revenue' AND scope_type = 'company' AND source IS NULL "
                  "AND breakdown_type IS NULL")  # fmt: skip
    assert build_payload(store, meta)["defaults"] == {"periodType": "month", "period": "2025-02"}
    # reps with quarterly quotas too: the quarter ending with that month comes first
    store.execute("UPDATE kpi_results SET target = 1000 WHERE period_type = 'quarter' "
                  "AND scope_type = 'owner' AND kpi = 'total_revenue'")
    assert build_payload(store, meta)["defaults"] == {"periodType": "quarter", "period": "2025-Q1"}


def test_a_period_in_progress_says_how_far_it_is_and_what_its_figures_are_said_with(
    store: Store, meta: Meta
) -> None:
    store.execute("UPDATE kpi_results SET period_status = 'closed'")
    store.execute("UPDATE kpi_results SET period_status = 'in progress', computed_at = "
                  "TIMESTAMP '2025-02-05 23:30:00' WHERE period IN ('2025-02', '2025-Q1')")
    store.execute("UPDATE kpi_results SET note = 'pace from day 8 of the month (today is day 6)'"
                  " WHERE period = '2025-02' AND kpi = 'total_revenue' AND scope_type = 'company'"
                  " AND breakdown_type IS NULL AND source IS NULL")  # fmt: skip
    payload = build_payload(store, meta)
    # 23:30 UTC on the 5th is the 6th in Paris
    assert payload["progress"]["month"] == [None, "day 6 of 28"]
    assert payload["progress"]["quarter"] == ["day 37 of 90"]
    assert payload["notes"] == {"company": {"month": {"1": {
        "total_revenue": "pace from day 8 of the month (today is day 6)"}}}}


def test_default_period_falls_back_when_no_quarter_has_revenue(store: Store, meta: Meta) -> None:
    store.execute("DELETE FROM kpi_results WHERE period_type = 'quarter'")
    assert build_payload(store, meta)["defaults"] == {"periodType": "month", "period": "2025-02"}


def test_an_empty_store_gives_an_empty_payload(tmp_path: Path, meta: Meta) -> None:
    with Store(tmp_path / "empty.duckdb") as empty:
        empty.execute(RESULTS_DDL)
        payload = build_payload(empty, meta)
    assert payload["periods"] == {"month": [], "quarter": [], "year": []}
    assert payload["defaults"] == {"periodType": "quarter", "period": None}
    assert payload["series"] == payload["methods"] == {}
    assert payload["meta"]["computedAt"] is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1234567.891, 1234568),
        (999.94, 999.9),
        (999.96, 1000),
        (0.456789, 0.4568),
        (0.000123456, 0.0001235),
        (-12.5, -12.5),
        (2.0, 2),
        (0.0, 0),
        (None, None),
        (float("nan"), None),
        (float("inf"), None),
    ],
)
def test_compact_rounds_for_display(value: float | None, shown: float | None) -> None:
    assert compact(value) == shown


def test_one_sources_own_results_are_left_to_its_writer(payload: dict[str, Any]) -> None:
    assert "2025-12" not in payload["periods"]["month"]
    assert payload["series"]["company"]["total_revenue"]["month"]["v"][0] == 1000


def test_merged_owner_scopes_are_matched_by_email_or_source_and_id(
    store: Store, meta: Meta
) -> None:
    store.execute("UPDATE kpi_results SET scope_id = 'ann@example.com' WHERE scope_id = 'U1'")
    store.execute("UPDATE kpi_results SET scope_id = 't:U10' WHERE scope_id = 'U10'")
    payload = build_payload(store, meta)
    ids = {o["name"]: o["id"] for o in payload["owners"]}
    assert ids == {"Ann": "ann@example.com", "Bob": "U2", "Rep 2": "U3", "Rep 10": "t:U10"}
    assert set(payload["heat"]["quarter"][0]) == {"ann@example.com", "t:U10", "U3"}


def test_a_store_from_before_sources_shows_all_its_results(store: Store, meta: Meta) -> None:
    store.execute("DELETE FROM kpi_results WHERE source IS NOT NULL")
    store.execute("ALTER TABLE kpi_results DROP COLUMN source")
    payload = build_payload(store, meta)
    assert payload["series"]["company"]["total_revenue"]["month"]["v"] == [1000, 2500]
