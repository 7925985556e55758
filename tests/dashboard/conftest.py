"""A tiny store for the dashboard tests: kpi_results and owners rows written by hand.

Two teams, four live active reps, a deleted one, two who left (inactive, one with
figures) and the integration user (campaign costs only, so no figure); results for
January-February 2025 and 2025-Q1 at company, team and owner scope, with contact-method
breakdowns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.dashboard.payload import Meta
from connector.kpi.engine import RESULTS_DDL
from connector.presentation import basis_note, pace_help
from connector.settings import KpiSettings
from connector.store import Store

COMPUTED_AT = dt.datetime(2025, 4, 2, 8, 30, 15)
META = Meta(
    title="Sales KPIs", source="exports (files)", config="config.yaml", currency="EUR",
    bases={"churn_rate": basis_note("churn_rate", KpiSettings()) or ""},
    timezone="Europe/Paris", pace_help=pace_help(KpiSettings()),
)  # fmt: skip

_SPANS = {
    "2025-01": (dt.date(2025, 1, 1), dt.date(2025, 2, 1)),
    "2025-02": (dt.date(2025, 2, 1), dt.date(2025, 3, 1)),
    "2025-Q1": (dt.date(2025, 1, 1), dt.date(2025, 4, 1)),
    "2025-12": (dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
    "2025": (dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
}
_TYPES = {"2025-01": "month", "2025-02": "month", "2025-12": "month", "2025-Q1": "quarter"}
_TYPES["2025"] = "year"

OWNERS = [  # id, name, team, deleted, active
    ("U1", "Ann", "Team A", False, True),
    ("U2", "Bob", "Team B", False, True),
    ("U10", "Rep 10", "Team A", False, True),
    ("U3", "Rep 2", "Team B", False, True),
    ("U9", "Gone", "Team A", True, True),
    ("U7", "Left", "Team A", False, False),
    ("U8", "Quiet", "Team B", False, False),
    ("U0", "Integration User", None, False, True),
]
COLUMNS = (
    "kpi, period_type, period, period_start, period_end, scope_type, scope_id, "
    "breakdown_type, breakdown_value, value, numerator, denominator, target, attainment, "
    "gap, note, computed_at, source, pace"
)


def add_result(
    store: Store,
    kpi: str,
    period: str,
    value: float | None,
    *,
    scope: tuple[str, str | None] = ("company", None),
    target: float | None = None,
    attainment: float | None = None,
    breakdown: tuple[str, str] | None = None,
    counts: tuple[float | None, float | None] = (None, None),
    source: str | None = None,
    pace: float | None = None,
) -> None:
    """One kpi_results row."""
    start, end = _SPANS[period]
    b_type, b_value = breakdown or (None, None)
    row: list[Any] = [
        kpi, _TYPES[period], period, start, end, scope[0], scope[1], b_type, b_value,
        value, counts[0], counts[1], target, attainment, None, None, COMPUTED_AT, source, pace,
    ]  # fmt: skip
    marks = ", ".join("?" * len(row))
    store.execute(f"INSERT INTO kpi_results ({COLUMNS}) VALUES ({marks})", row)


def fill(store: Store) -> None:
    """The small org's owners and results."""
    store.execute(RESULTS_DDL)
    for owner_id, name, team, deleted, active in OWNERS:
        store.execute(
            "INSERT INTO owners (source, id, is_deleted, name, email, team, active) "
            "VALUES ('t', ?, ?, ?, ?, ?, ?)",
            [owner_id, deleted, name, f"{name.replace(' ', '').lower()}@example.com", team,
             active],
        )
    add_result(store, "total_revenue", "2025-01", 1000.4, target=2000, attainment=0.5002)
    add_result(store, "total_revenue", "2025-02", 2500.0, target=2000, attainment=1.25, pace=1.0833)
    add_result(store, "total_revenue", "2025-Q1", 3500.4, target=6000, attainment=0.5834)
    add_result(store, "total_revenue", "2025", 3500.4)
    add_result(store, "total_revenue", "2025-Q1", 1200.0, scope=("team", "Team A"))
    add_result(store, "total_revenue", "2025-Q1", 2300.4, scope=("team", "Team B"))
    # One source's own results (several sources configured): not the merged ones shown.
    add_result(store, "total_revenue", "2025-01", 99999.0, source="crm_a")
    add_result(store, "total_revenue", "2025-12", 5.0, source="crm_a")
    add_result(store, "closing_ratio", "2025-Q1", 0.456789, target=0.4, attainment=1.1419725)
    add_result(store, "nps", "2025-Q1", -12.5, target=30)
    add_result(store, "avg_sales_cycle_days", "2025-Q1", 42.25, target=45, attainment=1.0651)
    _methods(store)
    _owner_rows(store)


def _methods(store: Store) -> None:
    phone, email = ("contact_method", "phone"), ("contact_method", "email")
    add_result(
        store, "sales_by_contact_method", "2025-Q1", 0.1,
        breakdown=phone, counts=(2, 20), target=0.05, attainment=2.0,
    )  # fmt: skip
    add_result(store, "sales_by_contact_method", "2025-Q1", None, breakdown=email, counts=(0, 0))
    add_result(store, "total_revenue", "2025-Q1", 1500.0, breakdown=phone)
    add_result(
        store, "sales_by_contact_method", "2025-Q1", 0.25,
        scope=("team", "Team A"), breakdown=phone, counts=(1, 4),
    )  # fmt: skip


def _owner_rows(store: Store) -> None:
    add_result(store, "closing_ratio", "2025-Q1", 0.38, scope=("owner", "U1"), attainment=0.944)
    add_result(store, "cac", "2025-Q1", 5000, scope=("owner", "U1"), attainment=1.6)
    add_result(store, "total_revenue", "2025-Q1", 900, scope=("owner", "U10"), attainment=0.15)
    add_result(store, "total_revenue", "2025-Q1", 50, scope=("owner", "U2"), attainment=None)
    add_result(store, "total_revenue", "2025-Q1", 0, scope=("owner", "U3"), target=500,
               attainment=0.0)  # fmt: skip
    add_result(store, "total_revenue", "2025-Q1", 70, scope=("owner", "U9"), attainment=0.7)
    add_result(store, "total_revenue", "2025-Q1", 300, scope=("owner", "U7"), target=600,
               attainment=0.5)  # fmt: skip
    add_result(store, "total_revenue", "2025-Q1", 0, scope=("owner", "U8"))
    add_result(store, "cac", "2025-Q1", None, scope=("owner", "U0"), counts=(1000, 0))
    add_result(store, "total_revenue", "2025-01", 400, scope=("owner", "U1"), attainment=0.2)


@pytest.fixture
def meta() -> Meta:
    return META


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "kpis.duckdb") as opened:
        fill(opened)
        yield opened
