"""The worked example of docs/kpis.md: a small org whose KPIs the engine computes, so
that every figure the reference quotes is the engine's own and cannot drift from it.

One rep, Kira Lee, sells to six accounts in 2026; November is the month the examples
explain, December (in progress on the 5th and on the 14th) shows growth like for like
and pace. Amounts are in USD, the org's time zone is UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connector.kpi.engine import compute
from connector.kpi.periods import parse_period
from connector.schema import ENTITY_BY_NAME
from connector.settings import KpiSettings, Reporting, Target
from connector.store import Store

MONTH = "2026-11"
"""The month the per-KPI examples explain (closed)."""
RUNNING = "2026-12"
"""The month in progress of the growth and pace examples."""
RUNNING_DAYS = (5, 14)
"""The days of December on which the example computes it."""
REPORTING = Reporting(currency="USD", timezone="UTC")
SETTINGS = KpiSettings(default_cogs_rate=0.35, clv_lifespan_years=3)
TARGETS = (Target(kpi="total_revenue", period_type="month", value=60000),)

# (id, account, created, closed, won, amount, lead, contact method, cost): the deals.
DEALS: tuple[tuple[str, str, str, str | None, bool, float, str | None, str, float | None], ...] = (
    ("d01", "Acme", "2026-03-01", "2026-03-10", True, 20000, None, "referral", None),
    ("d02", "Birch", "2026-05-02", "2026-05-12", True, 15000, None, "email", None),
    ("d03", "Cedar", "2026-06-05", "2026-06-20", True, 10000, None, "event", None),
    ("d04", "Delta", "2026-07-20", "2026-08-05", True, 12000, None, "phone", None),
    ("d05", "Acme", "2026-09-28", "2026-10-08", True, 16000, None, "phone", None),
    ("d06", "Elm", "2026-11-03", "2026-11-20", True, 24000, "l01", "phone", None),
    ("d07", "Fir", "2026-11-05", "2026-11-25", True, 8000, "l02", "email", 3000),
    ("d08", "Acme", "2026-11-03", "2026-11-12", True, 16000, None, "phone", None),
    ("d09", "Fir", "2026-11-09", None, False, 5000, "l03", "email", None),
    ("d10", "Birch", "2026-11-10", "2026-11-28", False, 7000, None, "email", None),
    ("d11", "Birch", "2026-11-30", "2026-12-03", True, 9000, None, "email", None),
    ("d12", "Delta", "2026-12-01", "2026-12-04", True, 6000, None, "phone", None),
)  # fmt: skip
ACCOUNTS = {"Acme": None, "Birch": None, "Cedar": "2026-11-18", "Delta": None, "Elm": None,
            "Fir": None}  # fmt: skip
"""Account → the day it churned (Cedar: lost in November)."""
LEADS = (("l01", "2026-11-02", "phone"), ("l02", "2026-11-04", "email"),
         ("l03", "2026-11-06", "email"), *((f"l{n:02}", f"2026-11-{n + 3:02}", "event")
                                           for n in range(4, 11)))  # fmt: skip
CALLS = tuple(f"2026-11-{day:02}" for day in (2, 4, 6, 9, 11, 16, 18, 23))
"""Kira's phone calls in November (the contact attempts by phone)."""
LINES = (("d06", "Widget", 2, 10000, 4000), ("d06", "Service", 1, 4000, 1000))
"""(deal, product, quantity, unit price, unit cost): d06's line items."""
MARKETING = ("2026-11-01", "2026-11-30", 12000.0)
SCORES = (10, 9, 9, 7, 3)
"""November's survey answers, one per account in turn."""


@dataclass(frozen=True)
class Figures:
    """One KPI row of the example: value, numerator, denominator, target, pace, note."""

    value: float | None
    numerator: float | None
    denominator: float | None
    target: float | None
    attainment: float | None
    pace: float | None
    note: str | None


def _put(store: Store, table: str, **fields: Any) -> None:
    entity = ENTITY_BY_NAME[table]
    fields = {"source": "crm", "is_deleted": False, **fields}
    columns = list(entity.field_types)
    marks = ", ".join("?" * len(columns))
    store.execute(f"INSERT INTO {entity.table} ({', '.join(columns)}) VALUES ({marks})",
                  [fields.get(c) for c in columns])  # fmt: skip


def _ts(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day + "T10:00")


def fill(store: Store) -> None:
    """The example org's records."""
    _put(store, "owners", id="005K", name="Kira Lee", team="West", active=True)
    for name, churned in ACCOUNTS.items():
        _put(store, "accounts", id=name, name=name, owner_id="005K",
             churned_at=_ts(churned) if churned else None)  # fmt: skip
    for lead, created, method in LEADS:
        _put(store, "leads", id=lead, created_at=_ts(created), owner_id="005K",
             contact_method=method)  # fmt: skip
    for deal, account, created, closed, won, amount, origin, method, cost in DEALS:
        _put(store, "opportunities", id=deal, account_id=account, owner_id="005K",
             created_at=_ts(created), close_date=dt.date.fromisoformat(closed) if closed else None,
             is_closed=closed is not None, is_won=won, amount=amount, lead_id=origin,
             contact_method=method, cost=cost)  # fmt: skip
    for n, (deal, product, quantity, price, unit_cost) in enumerate(LINES):
        _put(store, "line_items", id=f"li{n}", opportunity_id=deal, product_name=product,
             quantity=quantity, unit_price=price, unit_cost=unit_cost)  # fmt: skip
    for n, day in enumerate(CALLS):
        _put(store, "activities", id=f"call{n}", method="phone", occurred_at=_ts(day),
             owner_id="005K")  # fmt: skip
    first, last, amount = MARKETING
    _put(store, "costs", id="c1", period_start=dt.date.fromisoformat(first),
         period_end=dt.date.fromisoformat(last), amount=amount, category="marketing")
    for n, score in enumerate(SCORES):
        _put(store, "survey_responses", id=f"s{n}", account_id=list(ACCOUNTS)[n], score=score,
             responded_at=_ts(f"2026-11-{n + 10}"))  # fmt: skip


def figures(as_of: dt.date, period: str) -> dict[tuple[str, str | None], Figures]:
    """The company's figures of `period`, computed as of `as_of`, by (KPI, breakdown
    value): KPI 7 per contact method."""
    with Store(":memory:") as store:
        fill(store)
        compute(store, REPORTING, SETTINGS, TARGETS, periods=[parse_period(period)],
                scope_types=["company"], as_of=as_of)  # fmt: skip
        rows = store.fetch(
            "SELECT kpi, breakdown_value, value, numerator, denominator, target, attainment, "
            "pace, note FROM kpi_results WHERE breakdown_type IS NULL "
            "OR breakdown_type = 'contact_method' AND kpi = 'sales_by_contact_method'"
        )
    return {(kpi, method): Figures(*numbers) for kpi, method, *numbers in rows}
