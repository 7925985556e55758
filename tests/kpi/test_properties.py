"""Properties of the engine over generated orgs (hypothesis, kept small to stay fast)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FAST = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OWNERS = [("o1", "T1", "EU"), ("o2", "T1", "US"), ("o3", "T2", "US"), ("o4", "T2", "APAC")]
Q1 = ["2025-01", "2025-02", "2025-03", "2025-Q1"]


def _day(offset: int) -> str:
    return (dt.date(2025, 1, 1) + dt.timedelta(days=offset)).isoformat()


amounts = st.integers(min_value=1, max_value=10**6).map(lambda cents: cents / 100)
targets = st.one_of(
    st.just(0.0), st.floats(min_value=-100, max_value=10**4, allow_nan=False, allow_infinity=False)
)


@FAST
@given(
    pairs=st.lists(st.tuples(amounts, targets), min_size=1, max_size=4),
    cycle_pairs=st.lists(
        st.tuples(st.integers(0, 60), st.integers(-5, 60)), min_size=1, max_size=4
    ),
)
def test_attainment_at_least_one_iff_on_or_better_than_target(
    new_org: Any,
    make_target: Any,
    pairs: list[tuple[float, float]],
    cycle_pairs: list[tuple[int, int]],
) -> None:
    """Each owner wins one deal and has its own targets: revenue (higher is better) and
    sales-cycle days (lower is better)."""
    org = new_org()
    try:
        goals = []
        for i, (amount, goal) in enumerate(pairs):
            org.owner(f"r{i}")
            org.deal(amount, "2025-03-20", owner=f"r{i}", created="2025-03-01")
            goals.append(make_target("total_revenue", goal, scope_type="owner", scope_id=f"r{i}"))
        for i, (days, goal) in enumerate(cycle_pairs):
            org.owner(f"c{i}")
            org.deal(1, "2025-03-31", owner=f"c{i}", created=_day(89 - days))
            goals.append(
                make_target("avg_sales_cycle_days", goal, scope_type="owner", scope_id=f"c{i}")
            )
        res = org.run("2025-03-31", periods=["2025-03"], targets=goals)
        for i, (amount, goal) in enumerate(pairs):
            row = res.row("total_revenue", "2025-03", "owner", f"r{i}")
            assert row["value"] == pytest.approx(amount)
            assert row["gap"] == pytest.approx(row["value"] - goal)
            if goal <= 0:
                assert row["attainment"] is None
            else:
                assert (row["attainment"] >= 1) == (row["value"] >= goal)
        for i, (days, goal) in enumerate(cycle_pairs):
            row = res.row("avg_sales_cycle_days", "2025-03", "owner", f"c{i}")
            assert row["value"] == days
            assert row["gap"] == pytest.approx(days - goal)
            if days <= 0:
                assert row["attainment"] is None
            else:
                assert (row["attainment"] >= 1) == (days <= goal)
    finally:
        org.store.close()


deals = st.lists(
    st.tuples(
        st.integers(0, 3),  # owner
        amounts,
        st.integers(0, 89),  # close day in Q1 2025
        st.sampled_from([None, "EUR"]),  # currency
        st.sampled_from([None, "phone", "email"]),  # contact method
        st.integers(0, 2),  # account
    ),
    min_size=1,
    max_size=12,
)


@FAST
@given(deals=deals)
def test_scopes_sum_back_to_the_company(new_org: Any, deals: list[Any]) -> None:
    """Every deal has an owner, every owner a team and a territory: owner, team and
    territory revenue each sum to the company's; so do the customer-type breakdown and,
    for deals with a method, the contact-method one."""
    org = new_org()
    try:
        for owner, team, territory in OWNERS:
            org.owner(owner, team=team, territory=territory)
        org.rate("EUR", 1.1, "2024-12-01")
        org.rate("EUR", 1.3, "2025-02-10")
        for owner, amount, day, currency, method, account in deals:
            org.deal(
                amount,
                _day(day),
                owner=OWNERS[owner][0],
                currency=currency,
                contact_method=method,
                account=f"a{account}",
            )
        res = org.run("2025-03-31", periods=Q1)
        for period in Q1:
            company = res.value("total_revenue", period)
            for scope_type in ("owner", "team", "territory"):
                parts = [
                    r["value"]
                    for r in res.rows
                    if (r["kpi"], r["period"], r["scope_type"])
                    == ("total_revenue", period, scope_type)
                    and r["breakdown_type"] is None
                ]
                assert sum(parts) == pytest.approx(company), scope_type
            kinds = res.breakdown("total_revenue", period, "customer_type")
            assert sum(kinds.values()) == pytest.approx(company)
            methods = res.breakdown("total_revenue", period, "contact_method")
            expected = sum(
                amount * (1 if currency is None else 1.1 if day < 40 else 1.3)
                for _, amount, day, currency, method, _ in deals
                if method and period in (_period(day), "2025-Q1")
            )
            assert sum(methods.values()) == pytest.approx(expected)
    finally:
        org.store.close()


def _period(day: int) -> str:
    return _day(day)[:7]


org_events = st.fixed_dictionaries(
    {
        # (account, created day, close day offset, won?, lost?)
        "deals": st.lists(
            st.tuples(
                st.integers(0, 5),
                st.integers(-200, 89),
                st.integers(0, 120),
                st.booleans(),
                st.booleans(),
            ),
            max_size=15,
        ),
        # (account, churn day) for some accounts
        "churn": st.dictionaries(st.integers(0, 5), st.integers(-200, 89), max_size=4),
        "scores": st.lists(st.tuples(st.integers(0, 10), st.integers(0, 89)), max_size=10),
        "costs": st.lists(st.tuples(st.integers(0, 200), st.integers(0, 100)), max_size=4),
    }
)


@FAST
@given(events=org_events, basis=st.sampled_from(["created", "closed"]))
def test_ratios_stay_in_their_bounds(new_org: Any, events: dict[str, Any], basis: str) -> None:
    """What must hold whatever the data: closing ratio on the closed basis, retention and
    churn over the customers of the start are fractions (and add up to 1); gross margin
    is at most 1 with non-negative costs; NPS is within -100..100. (Closing ratio on the
    created basis, lead ratios, churn over acquisitions and KPI 7 may exceed 1.)"""
    org = new_org()
    try:
        org.owner("o1", team="T1", territory="EU")
        org.owner("o2", team="T2", territory="US")
        for account in range(6):
            churn = events["churn"].get(account)
            org.account(
                f"a{account}",
                owner=f"o{account % 2 + 1}",
                churned_at=_day(churn) if churn is not None else None,
            )
        for account, created, length, won, lost in events["deals"]:
            close = created + length
            org.deal(
                100 + length,
                _day(close) if won or lost else None,
                won=won,
                lost=lost and not won,
                owner=f"o{account % 2 + 1}",
                account=f"a{account}",
                created=_day(created),
                cost=length,
            )
        for score, day in events["scores"]:
            org.survey(score, _day(day), account=f"a{day % 6}")
        for amount, day in events["costs"]:
            org.cost(amount, _day(day - 100), _day(day))
        res = org.run(
            "2025-03-31", periods=Q1, closing_basis=basis, churn_basis="start", churn_after_days=60
        )
        for row in res.rows:
            value = row["value"]
            if value is None:
                continue
            kpi = row["kpi"]
            if kpi == "closing_ratio" and basis == "closed":
                assert 0 <= value <= 1
            if kpi in ("retention_rate", "churn_rate"):
                assert 0 <= value <= 1, row
            if kpi == "gross_margin":
                assert value <= 1
            if kpi == "nps":
                assert -100 <= value <= 100
            if kpi in ("total_revenue", "cac", "clv", "arpa", "avg_sales_cycle_days"):
                assert value >= 0, row
            if kpi == "retention_rate":
                churn = res.row("churn_rate", row["period"], row["scope_type"], row["scope_id"])
                assert value + churn["value"] == pytest.approx(1.0)
    finally:
        org.store.close()


@settings(max_examples=20, deadline=None)
@given(scores=st.lists(st.integers(0, 10), min_size=1, max_size=30))
def test_nps_matches_its_definition(new_org: Any, scores: list[int]) -> None:
    org = new_org()
    try:
        for score in scores:
            org.survey(score, "2025-01-15")
        res = org.run("2025-01-31", periods=["2025-01"])
        promoters = sum(s >= 9 for s in scores)
        detractors = sum(s <= 6 for s in scores)
        value = res.value("nps", "2025-01")
        assert value == pytest.approx(100 * (promoters - detractors) / len(scores))
        assert -100 <= value <= 100
    finally:
        org.store.close()


zones = st.sampled_from(
    [
        "UTC",
        "Europe/Paris",
        "America/New_York",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
    ]
)
# minutes from 2024-12-31T00:00Z, reaching into April 2025: every month boundary and
# both DST changes of Europe and North America
instants = st.integers(min_value=0, max_value=(31 + 31 + 28 + 31 + 1) * 24 * 60)


@FAST
@given(zone=zones, moments=st.lists(instants, min_size=1, max_size=25))
def test_events_fall_in_their_local_month(new_org: Any, zone: str, moments: list[int]) -> None:
    """Activities, leads and deal creations are counted in the month of their local date
    in the org's time zone, whatever the offset and DST."""
    from zoneinfo import ZoneInfo

    org = new_org()
    try:
        expected: dict[str, int] = {}
        origin = dt.datetime(2024, 12, 31)
        for minutes in moments:
            utc = origin + dt.timedelta(minutes=minutes)
            local = utc.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone))
            month = f"{local:%Y-%m}"
            expected[month] = expected.get(month, 0) + 1
            stamp = utc.isoformat(timespec="minutes")
            org.activity("email", stamp)
            org.lead(stamp)
            org.deal(None, None, created=stamp)
        months = ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04"]
        res = org.run("2025-04-30", periods=months, timezone=zone)
        for month in months:
            attempts = res.row(
                "sales_by_contact_method", month, breakdown=("contact_method", "email")
            )["denominator"]
            leads = res.row("lead_to_opportunity", month)["denominator"]
            created = res.row("closing_ratio", month)["denominator"]
            assert (attempts, leads, created) == (expected.get(month, 0),) * 3, month
    finally:
        org.store.close()
