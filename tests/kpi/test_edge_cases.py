"""The spec's "Edge cases that must be right", and the settings that change a definition."""

from __future__ import annotations

from typing import Any

import pytest

from connector.kpis import KPI_KEYS

# Every KPI row but the revenue sum and KPI 7's per-method rows: a ratio or an average.
RATIOS = [k for k in KPI_KEYS if k not in ("total_revenue", "sales_by_contact_method")]


def _values(res: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Every result without its timestamp, keyed by what identifies a row."""
    return {
        (
            r["kpi"],
            r["period"],
            r["scope_type"],
            r["scope_id"],
            r["breakdown_type"],
            r["breakdown_value"],
        ): (r["value"], r["numerator"], r["denominator"], r["note"])
        for r in res.rows
    }


# --- empty periods ------------------------------------------------------------------------


def test_empty_store_computes_without_crash(org: Any) -> None:
    res = org.run("2025-03-15")
    # The current month, quarter and year are output, for the company scope only.
    assert {r["period"] for r in res.rows} == {"2025-03", "2025-Q1", "2025"}
    for period in ("2025-03", "2025-Q1", "2025"):
        assert res.value("total_revenue", period) == 0
        for kpi in RATIOS:
            row = res.row(kpi, period)
            assert row["value"] is None, kpi
            assert row["note"], kpi


def test_empty_period_between_busy_ones(org: Any) -> None:
    org.owner("o1", team="T1")
    org.account("a1", owner="o1")
    org.lead("2025-01-05", owner="o1")
    org.activity("phone", "2025-01-06", owner="o1")
    org.deal(100, "2025-01-10", owner="o1", account="a1", created="2025-01-06")
    org.survey(10, "2025-01-12", account="a1")
    org.cost(50, "2025-01-01", "2025-01-31")
    org.deal(100, "2025-03-10", owner="o1", account="a1", created="2025-03-01")
    res = org.run("2025-03-31", periods=["2025-02"])
    assert {r["period"] for r in res.rows} == {"2025-02"}
    for scope in (("company", None), ("owner", "o1"), ("team", "T1")):
        assert res.value("total_revenue", "2025-02", *scope) == 0
        row = res.row("closing_ratio", "2025-02", *scope)
        assert (row["value"], row["numerator"], row["denominator"]) == (None, 0, 0)
        assert row["note"] == "no opportunities created in the period"
        for kpi in ("lead_to_opportunity", "lead_to_sale"):
            row = res.row(kpi, "2025-02", *scope)
            assert (row["value"], row["denominator"]) == (None, 0)
            assert row["note"] == "no leads created in the period"
        assert res.row("gross_margin", "2025-02", *scope)["note"] == "no revenue in the period"
        assert res.value("arpa", "2025-02", *scope) is None
        assert res.value("avg_sales_cycle_days", "2025-02", *scope) is None
        assert res.value("nps", "2025-02", *scope) is None
        assert res.row("cac", "2025-02", *scope)["note"] == "no new customers in the period"
        # growth vs January (100) is -100 %; February is the base of nothing.
        assert res.value("sales_growth", "2025-02", *scope) == pytest.approx(-1.0)
        # a1 is a customer at the start and the end of February: retained.
        assert res.value("retention_rate", "2025-02", *scope) == pytest.approx(1.0)
        # churn over the customers of the start (the default basis): none lost.
        assert res.value("churn_rate", "2025-02", *scope) == 0.0
        methods = res.breakdown("sales_by_contact_method", "2025-02", "contact_method", *scope)
        assert len(methods) == 8
        assert set(methods.values()) == {None}


# --- customers ------------------------------------------------------------------------------


def test_lead_converted_to_an_existing_account_makes_no_new_customer(org: Any) -> None:
    org.owner("o1")
    org.account("a1", owner="o1")
    org.deal(1000, "2025-01-10", owner="o1", account="a1")
    org.lead(
        "2025-02-01",
        id="L1",
        owner="o1",
        status="converted",
        converted_at="2025-02-03",
        converted_account_id="a1",
        converted_opportunity_id="d2",
    )
    org.deal(400, "2025-03-05", id="d2", owner="o1", account="a1", created="2025-02-03")
    org.cost(900, "2025-03-01", "2025-03-31")
    res = org.run("2025-03-31")
    # March: a1's second purchase; it has been a customer since January.
    assert res.breakdown("total_revenue", "2025-03", "customer_type") == {
        "existing": pytest.approx(400)
    }
    cac = res.row("cac", "2025-03")
    assert (cac["value"], cac["denominator"]) == (None, 0)
    churn = res.row("churn_rate", "2025-03")  # a1, the customer of the start, stays
    assert (churn["numerator"], churn["denominator"]) == (0, 1)
    # retention: (1 at end - 0 new) / 1 at start
    assert res.value("retention_rate", "2025-03") == pytest.approx(1.0)
    # January made the one and only customer.
    assert res.row("cac", "2025-01")["denominator"] == 1
    # the converted lead's deal is a lead-sourced sale: 1 won from a lead / 0 leads in March
    assert res.row("lead_to_sale", "2025-03")["numerator"] == 1


def test_reopened_deal_leaves_the_won_set(org: Any) -> None:
    org.owner("o1", team="T1")
    org.account("a1", owner="o1")
    org.deal(1000, "2025-01-10", id="d1", owner="o1", account="a1", created="2025-01-02")
    org.deal(500, "2025-01-20", id="d2", owner="o1", account="a1", created="2025-01-02")
    before = org.run("2025-01-31")
    assert before.value("total_revenue", "2025-01") == pytest.approx(1500)
    assert before.value("closing_ratio", "2025-01") == pytest.approx(1.0)
    assert before.breakdown("total_revenue", "2025-01", "customer_type") == {
        "new": pytest.approx(1000),
        "existing": pytest.approx(500),
    }
    # The CRM re-opens d1: the sync upserts it open, not won, with its close date kept.
    org.deal(1000, "2025-01-10", id="d1", won=False, owner="o1", account="a1", created="2025-01-02")
    after = org.run("2025-01-31")
    assert after.value("total_revenue", "2025-01") == pytest.approx(500)
    assert after.value("total_revenue", "2025-01", "team", "T1") == pytest.approx(500)
    assert after.value("closing_ratio", "2025-01") == pytest.approx(0.5)
    assert after.value("arpa", "2025-01") == pytest.approx(500)
    # d2 is now a1's first won deal: a new customer.
    assert after.breakdown("total_revenue", "2025-01", "customer_type") == {
        "new": pytest.approx(500)
    }
    # re-running replaced the period's rows instead of adding to them
    assert len(after.find("total_revenue", "2025-01")) == 1


# --- deleted records -------------------------------------------------------------------------


def _baseline(org: Any) -> None:
    org.owner("o1", team="T1", territory="EU")
    org.account("a1", owner="o1")
    org.lead("2025-01-02", id="L1", owner="o1")
    org.deal(
        1000,
        "2025-01-20",
        id="d1",
        owner="o1",
        account="a1",
        created="2025-01-05",
        lead_id="L1",
        contact_method="phone",
    )
    org.line("d1", 2, 500, 200, product="Widget", id="li1")
    org.activity("phone", "2025-01-04", owner="o1", opportunity_id="d1")
    org.survey(9, "2025-01-25", account="a1")
    org.cost(600, "2025-01-01", "2025-01-31", team="T1")
    # a deal of an owner and an account unknown to the store, and a EUR deal without rate
    org.deal(300, "2025-02-10", id="dY", owner="X", created="2025-02-01")
    org.deal(200, "2025-02-12", id="dZ", owner="o1", created="2025-02-02")
    org.deal(
        100, "2025-02-14", id="dE", owner="o1", account="a1", currency="EUR", created="2025-02-03"
    )
    org.survey(0, "2025-02-25")


# kind -> how to add one record that changes some KPI of some period, by id "X".
EXTRA: dict[str, Any] = {
    "deal": lambda o: o.deal(
        5000, "2025-03-03", id="X", owner="o1", account="a1", lead_id="L1", created="2024-11-20"
    ),
    "lead": lambda o: o.lead("2025-01-03", id="X", owner="o1", converted_opportunity_id="dZ"),
    "activity": lambda o: o.activity(
        "email", "2024-12-01", id="X", owner="o1", opportunity_id="d1"
    ),
    "line_item": lambda o: o.line("d1", 1, 100, 90, product="Gadget", id="X"),
    "survey": lambda o: o.survey(2, "2025-01-26", id="X", account="a1"),
    "cost": lambda o: o.cost(900, "2025-01-10", "2025-02-20", id="X"),
    "rate": lambda o: o.rate("EUR", 1.1, "2025-01-01", id="X"),
    "owner": lambda o: o.owner("X", team="TX", territory="NA"),
    # dZ's account: a customer (ARPA, CAC, retention, NPS scoping) while it lives
    "account": lambda o: (
        o.account("X", owner="o1", territory="APAC"),
        o.deal(200, "2025-02-12", id="dZ", owner="o1", account="X", created="2025-02-02"),
    ),
}
TABLE = {
    "deal": "opportunities",
    "lead": "leads",
    "activity": "activities",
    "line_item": "line_items",
    "survey": "survey_responses",
    "cost": "costs",
    "rate": "exchange_rates",
    "owner": "owners",
    "account": "accounts",
}


@pytest.mark.parametrize("kind", list(EXTRA))
def test_deleted_record_leaves_every_kpi_of_every_period(new_org: Any, kind: str) -> None:
    base_org = new_org()
    _baseline(base_org)
    baseline = base_org.run("2025-03-31")
    base_org.store.close()

    org = new_org()
    _baseline(org)
    EXTRA[kind](org)
    live = org.run("2025-03-31")
    assert _values(live) != _values(baseline), f"a live {kind} must change some KPI"
    org.delete(TABLE[kind], "X")
    gone = org.run("2025-03-31")
    assert _values(gone) == _values(baseline)
    assert gone.findings == baseline.findings
    org.store.close()


# --- time zone ---------------------------------------------------------------------------------


def test_timestamps_are_placed_in_the_org_time_zone(org: Any) -> None:
    org.owner("o1")
    org.account("a1", owner="o1")
    # 2025-01-31T23:30Z is 2025-02-01 00:30 in Paris: February events.
    late = "2025-01-31T23:30"
    org.deal(
        100, "2025-02-20", id="d1", owner="o1", account="a1", created=late, contact_method="email"
    )
    org.lead(late, owner="o1")
    org.activity("email", late, owner="o1")
    org.survey(10, late, account="a1")
    # close dates are dates: 2025-01-31 is January whatever the zone.
    org.deal(50, "2025-01-31", id="d2", owner="o1", account="a1", created="2025-01-31T10:00")
    res = org.run("2025-02-28", timezone="Europe/Paris")
    assert res.row("closing_ratio", "2025-02")["denominator"] == 1
    assert res.row("closing_ratio", "2025-01")["denominator"] == 1  # d2 only
    assert res.row("lead_to_opportunity", "2025-02")["denominator"] == 1
    assert res.row("lead_to_opportunity", "2025-01")["denominator"] == 0
    assert (
        res.row("sales_by_contact_method", "2025-02", breakdown=("contact_method", "email"))[
            "denominator"
        ]
        == 1
    )
    assert res.value("nps", "2025-02") == pytest.approx(100)
    assert res.value("nps", "2025-01") is None
    assert res.value("total_revenue", "2025-01") == pytest.approx(50)
    # cycle of d1: created 2025-02-01 local (not 01-31), closed 02-20 -> 19 days
    assert res.value("avg_sales_cycle_days", "2025-02") == pytest.approx(19)

    utc = org.run("2025-02-28", timezone="UTC")
    assert utc.row("closing_ratio", "2025-01")["denominator"] == 2
    assert utc.value("nps", "2025-01") == pytest.approx(100)
    assert utc.value("avg_sales_cycle_days", "2025-02") == pytest.approx(20)


def test_time_zone_west_of_utc_moves_early_utc_times_to_the_previous_day(org: Any) -> None:
    org.lead("2025-02-01T03:00")  # 2025-01-31 22:00 in New York
    org.deal(10, "2025-02-01", created="2025-02-01T03:00")
    res = org.run("2025-02-28", timezone="America/New_York")
    assert res.row("lead_to_opportunity", "2025-01")["denominator"] == 1
    assert res.row("closing_ratio", "2025-01")["denominator"] == 1
    # the close date stays a February date
    assert res.value("total_revenue", "2025-02") == pytest.approx(10)
    assert res.value("avg_sales_cycle_days", "2025-02") == pytest.approx(1)


def test_churned_at_timestamp_is_a_local_date(org: Any) -> None:
    org.account("a1", churned_at="2025-02-28T23:30")  # March 1st in Paris
    org.deal(100, "2025-01-10", account="a1")
    res = org.run("2025-03-31", timezone="Europe/Paris", churn_basis="start")
    assert res.row("churn_rate", "2025-02")["numerator"] == 0
    assert res.row("churn_rate", "2025-03")["numerator"] == 1


# --- currency ----------------------------------------------------------------------------------


def test_rate_in_force_on_the_close_date(org: Any) -> None:
    org.rate("EUR", 1.10, "2025-01-01")
    org.rate("EUR", 1.20, "2025-01-16")  # a rate change mid-month
    org.rate("EUR", 9.99, "2025-02-01")  # later: must not apply to January
    org.rate("EUR", 0.50, "2024-06-01")  # earlier: superseded on 2025-01-01
    org.deal(100, "2025-01-15", currency="EUR", cost=50, contact_method="web")
    org.deal(100, "2025-01-16", currency="EUR", cost=50, contact_method="web")
    org.deal(100, "2025-01-17", currency="USD", cost=50)
    res = org.run("2025-01-31")
    # 100 x 1.10 + 100 x 1.20 + 100 = 330; COGS 50 x 1.1 + 50 x 1.2 + 50 = 165
    assert res.value("total_revenue", "2025-01") == pytest.approx(330)
    assert res.value("gross_margin", "2025-01") == pytest.approx(165 / 330)
    assert res.breakdown("total_revenue", "2025-01", "contact_method") == {
        "web": pytest.approx(230)
    }
    assert res.findings == []


def test_line_items_are_converted_with_their_deal(org: Any) -> None:
    org.rate("EUR", 2.0, "2025-01-01")
    deal = org.deal(100, "2025-01-15", currency="EUR")
    org.line(deal, 2, 50, 10, product="P")
    res = org.run("2025-01-31")
    assert res.breakdown("total_revenue", "2025-01", "product") == {"P": pytest.approx(200)}
    # margin (200 - 40) / 200 for the product and the deal alike
    assert res.breakdown("gross_margin", "2025-01", "product") == {"P": pytest.approx(0.8)}
    assert res.value("gross_margin", "2025-01") == pytest.approx(0.8)


def test_missing_rate_excludes_the_deal_from_money_kpis_only(org: Any) -> None:
    org.owner("o1", team="T1")
    org.account("a1", owner="o1")
    org.account("a2", owner="o1")
    org.rate("JPY", 0.007, "2025-02-01")  # in force only after the close date
    org.deal(
        1000,
        "2025-01-10",
        id="ok",
        owner="o1",
        account="a1",
        created="2025-01-02",
        contact_method="phone",
    )
    org.deal(
        500,
        "2025-01-20",
        id="gbp",
        owner="o1",
        account="a2",
        currency="GBP",
        created="2025-01-02",
        contact_method="phone",
    )
    org.deal(
        9000, "2025-01-21", id="jpy", owner="o1", account="a2", currency="JPY", created="2025-01-02"
    )
    org.line("gbp", 1, 500, 100, product="Lost in conversion")
    res = org.run("2025-01-31")
    for scope in (("company", None), ("team", "T1"), ("owner", "o1")):
        assert res.value("total_revenue", "2025-01", *scope) == pytest.approx(1000)
        assert res.value("gross_margin", "2025-01", *scope) == pytest.approx(1.0)
        assert res.value("arpa", "2025-01", *scope) == pytest.approx(1000)  # a1 only
        # still won deals: closing ratio 3 won / 3 created
        assert res.value("closing_ratio", "2025-01", *scope) == pytest.approx(1.0)
    assert res.breakdown("total_revenue", "2025-01", "product") == {}
    assert res.breakdown("total_revenue", "2025-01", "contact_method") == {
        "phone": pytest.approx(1000)
    }
    assert (
        res.row("sales_by_contact_method", "2025-01", breakdown=("contact_method", "phone"))[
            "numerator"
        ]
        == 2
    )
    # a2 still became a customer in January: 2 new customers
    assert res.row("cac", "2025-01")["denominator"] == 2
    assert res.outcome.findings == 2
    assert [(f[0], f[1], f[2]) for f in res.findings] == [
        ("gbp", "currency", "GBP"),
        ("jpy", "currency", "JPY"),
    ]
    assert "GBP" in res.findings[0][3]
    assert "2025-01-20" in res.findings[0][3]
    assert "excluded from money KPIs" in res.findings[0][3]
    # a rate arriving later clears the finding on the next computation
    org.rate("GBP", 1.25, "2025-01-01")
    res = org.run("2025-01-31")
    assert res.value("total_revenue", "2025-01") == pytest.approx(1000 + 625)
    assert [f[0] for f in res.findings] == ["jpy"]


def test_cost_in_a_currency_without_rate_is_a_finding_not_a_silent_zero(org: Any) -> None:
    org.account("a1")
    org.deal(100, "2025-01-10", account="a1")
    org.cost(310, "2025-01-01", "2025-01-31", currency="CHF", id="c1")
    org.cost(62, "2025-01-01", "2025-01-31", id="c2")
    res = org.run("2025-01-31")
    assert ("c1", "currency", "CHF") in [(f[0], f[1], f[2]) for f in res.findings]
    # the costs that could be converted still count
    assert res.value("cac", "2025-01") == pytest.approx(62)
    org.rate("CHF", 2.0, "2024-01-01")
    res = org.run("2025-01-31")
    assert res.findings == []
    assert res.value("cac", "2025-01") == pytest.approx(62 + 620)


# --- growth, closing and churn bases ----------------------------------------------------------


@pytest.fixture(scope="module")
def growth_org(new_org: Any) -> Any:
    org = new_org()
    org.deal(100, "2024-03-15")
    org.deal(400, "2025-02-10")
    org.deal(300, "2025-03-05")
    return org


def test_growth_basis_previous(growth_org: Any) -> None:
    res = growth_org.run("2025-04-01")  # March and Q1 closed
    # March 2025 vs February 2025: (300 - 400) / 400
    assert res.value("sales_growth", "2025-03") == pytest.approx(-0.25)
    row = res.row("sales_growth", "2025-03")
    assert (row["numerator"], row["denominator"]) == (pytest.approx(-100), pytest.approx(400))
    # Q1 2025 (700) vs Q4 2024 (0): null
    assert res.value("sales_growth", "2025-Q1") is None
    assert res.row("sales_growth", "2025-Q1")["note"] == "no revenue in the comparison period"
    # year 2025, in progress (91 days: 700) vs the first 91 days of 2024 (100)
    assert res.value("sales_growth", "2025") == pytest.approx(6.0)


def test_growth_basis_year_over_year(growth_org: Any) -> None:
    res = growth_org.run("2025-04-01", growth_basis="year_over_year")
    # March 2025 vs March 2024: (300 - 100) / 100
    assert res.value("sales_growth", "2025-03") == pytest.approx(2.0)
    # February 2025 vs February 2024 (nothing): null
    assert res.value("sales_growth", "2025-02") is None
    # Q1 2025 vs Q1 2024: (700 - 100) / 100
    assert res.value("sales_growth", "2025-Q1") == pytest.approx(6.0)
    assert res.value("sales_growth", "2025") == pytest.approx(6.0)


def test_growth_of_the_period_in_progress_compares_the_same_days(org: Any) -> None:
    """6 December: December so far against 1-6 November, not against all of November
    (which read -71.5 % on a good month)."""
    org.deal(1000, "2024-11-03")
    org.deal(9000, "2024-11-20")  # after the 6th: not in the comparison
    org.deal(1500, "2024-12-02")
    org.deal(500, "2024-12-06")
    org.deal(700, "2023-12-05")
    res = org.run("2024-12-06")
    row = res.row("sales_growth", "2024-12")
    assert row["value"] == pytest.approx((2000 - 1000) / 1000)
    assert (row["numerator"], row["denominator"]) == (pytest.approx(1000), pytest.approx(1000))
    assert row["note"] == ("so far: the first 6 days of this month against the same days of "
                           "the month before")
    # November, closed, keeps the whole-period definition: all of November vs October
    closed = res.row("sales_growth", "2024-11")
    assert (closed["value"], closed["note"]) == (None, "no revenue in the comparison period")
    assert closed["numerator"] == pytest.approx(10000)
    yoy = org.run("2024-12-06", growth_basis="year_over_year")
    row = yoy.row("sales_growth", "2024-12")  # 1-6 December 2024 against 1-6 December 2023
    assert row["value"] == pytest.approx((2000 - 700) / 700)
    assert row["note"] == ("so far: the first 6 days of this month against the same days of "
                           "the same month a year earlier")
    # the first day: "the first day", and nothing won yet on either side
    first = org.run("2024-12-01").row("sales_growth", "2024-12")
    assert first["note"].startswith("so far: the first day of this month against")


def test_growth_in_progress_against_a_shorter_period_takes_all_of_it(org: Any) -> None:
    org.owner("o1")
    org.deal(400, "2025-02-27", owner="o1")
    org.deal(100, "2025-02-28", owner="o1")
    org.deal(600, "2025-03-30", owner="o1")
    res = org.run("2025-03-30")  # 30 days of March against all 28 of February
    assert res.value("sales_growth", "2025-03") == pytest.approx((600 - 500) / 500)
    # per scope too: the rep of the deals
    assert res.row("sales_growth", "2025-03", "owner", "o1")["denominator"] == pytest.approx(500)


def test_closing_basis_closed(org: Any) -> None:
    org.deal(10, "2025-03-10", created="2025-01-10")  # won in March, created in January
    org.deal(10, "2025-03-11", lost=True, created="2025-03-01")
    org.deal(10, "2025-03-12", lost=True, created="2025-03-01")
    org.deal(None, None, created="2025-03-02")  # open
    created = org.run("2025-03-31")
    # 1 won in March / 3 created in March
    assert created.value("closing_ratio", "2025-03") == pytest.approx(1 / 3)
    closed = org.run("2025-03-31", closing_basis="closed")
    # 1 won / 3 closed (won or lost) in March
    row = closed.row("closing_ratio", "2025-03")
    assert (row["value"], row["numerator"], row["denominator"]) == (pytest.approx(1 / 3), 1, 3)
    # January: created 1, closed nothing
    assert created.value("closing_ratio", "2025-01") == 0.0
    assert closed.value("closing_ratio", "2025-01") is None
    assert closed.row("closing_ratio", "2025-01")["note"] == "no deals closed in the period"


def test_closing_basis_closed_counts_a_won_deal_as_closed(org: Any) -> None:
    # A source that marks a deal won but leaves is_closed unset: won implies closed.
    org.put(
        "opportunities",
        amount=10,
        close_date="2025-03-10",
        is_won=True,
        is_closed=False,
        created_at="2025-03-01T10:00",
    )
    res = org.run("2025-03-31", closing_basis="closed")
    assert res.value("closing_ratio", "2025-03") == pytest.approx(1.0)


@pytest.fixture(scope="module")
def churn_org(new_org: Any) -> Any:
    """Customers around February 2025 (no derived churn):

    c1 o1 first won 2024-03-01, churned 2025-02-10
    c2 o1 first won 2024-06-01
    c3 o2 first won 2024-09-15, churned 2025-02-20
    c4 o2 first won 2025-02-05, churned 2025-02-25 (acquired and lost in February)
    c5 o1 first won 2025-02-14
    February: at start c1 c2 c3; at end c2 c5; acquired c4 c5; lost c1 c3 c4.
    """
    org = new_org()
    org.owner("o1", team="T1")
    org.owner("o2", team="T2")
    for account, owner, won, churned in (
        ("c1", "o1", "2024-03-01", "2025-02-10"),
        ("c2", "o1", "2024-06-01", None),
        ("c3", "o2", "2024-09-15", "2025-02-20"),
        ("c4", "o2", "2025-02-05", "2025-02-25"),
        ("c5", "o1", "2025-02-14", None),
    ):
        org.account(account, owner=owner, churned_at=churned)
        org.deal(100, won, owner=owner, account=account)
    return org


def test_churn_basis_acquired(churn_org: Any) -> None:
    res = churn_org.run("2025-02-28", periods=["2025-02"], churn_basis="acquired")
    # lost / acquired: company 3 / 2; o1 c1 / c5; o2 c3 c4 / c4
    assert res.value("churn_rate", "2025-02") == pytest.approx(1.5)
    assert res.value("churn_rate", "2025-02", "owner", "o1") == pytest.approx(1.0)
    assert res.value("churn_rate", "2025-02", "team", "T2") == pytest.approx(2.0)


def test_churn_basis_start(churn_org: Any) -> None:
    res = churn_org.run("2025-02-28", periods=["2025-02"], churn_basis="start")
    # Customers of the start lost in P / customers at the start: c1 c3 / c1 c2 c3.
    # c4, acquired and lost within February, was never a customer of the start: counting
    # it would make o2's rate 2 / 1 = 200 %.
    assert res.value("churn_rate", "2025-02") == pytest.approx(2 / 3)
    assert res.value("churn_rate", "2025-02", "owner", "o1") == pytest.approx(1 / 2)
    assert res.value("churn_rate", "2025-02", "owner", "o2") == pytest.approx(1.0)


def test_churn_basis_start_is_the_default_and_every_row_says_its_basis(churn_org: Any) -> None:
    default = churn_org.run("2025-02-28", periods=["2025-02"])
    assert default.value("churn_rate", "2025-02") == pytest.approx(2 / 3)
    assert default.row("churn_rate", "2025-02")["note"] == (
        "basis: customers at the start of the period"
    )
    acquired = churn_org.run("2025-02-28", periods=["2025-02"], churn_basis="acquired")
    assert acquired.row("churn_rate", "2025-02")["note"] == (
        "basis: customers acquired in the period"
    )
    # a scope without any: the basis, then why there is no figure
    empty = churn_org.run("2025-01-31", periods=["2024-01"])
    assert empty.row("churn_rate", "2024-01")["note"] == (
        "basis: customers at the start of the period; no customers at the start of the period"
    )


def test_retention_counts_the_customers_of_the_start_still_there_at_the_end(
    churn_org: Any,
) -> None:
    res = churn_org.run("2025-02-28", periods=["2025-02"])
    # (customers at end - new customers still there at the end) / customers at start:
    # company (2 - 1 (c5)) / 3: c2 is retained. The literal (2 - 2) / 3 = 0 would
    # count c4, who is not among the customers at the end, against retention.
    assert res.value("retention_rate", "2025-02") == pytest.approx(1 / 3)
    # o1: (c2 c5 - c5) / (c1 c2)
    assert res.value("retention_rate", "2025-02", "owner", "o1") == pytest.approx(1 / 2)
    # o2: (nobody - nobody) / c3; never negative
    assert res.value("retention_rate", "2025-02", "owner", "o2") == 0.0
    start = churn_org.run("2025-02-28", periods=["2025-02"], churn_basis="start")
    for scope in (("company", None), ("owner", "o1"), ("owner", "o2"), ("team", "T1")):
        retention = start.value("retention_rate", "2025-02", *scope)
        churn = start.value("churn_rate", "2025-02", *scope)
        assert retention + churn == pytest.approx(1.0), scope


def test_derived_churn_after_days(org: Any) -> None:
    org.account("a1")
    org.deal(100, "2025-01-10", account="a1")
    org.account("a2")
    org.deal(100, "2024-12-01", account="a2")
    org.deal(100, "2025-03-01", account="a2")  # bought again: a2 stays
    # a1's last won deal + 90 days = 2025-04-10
    later = org.run("2025-05-15", periods=["2025-04"], churn_after_days=90, churn_basis="start")
    row = later.row("churn_rate", "2025-04")
    assert (row["numerator"], row["denominator"]) == (1, 2)
    assert later.value("retention_rate", "2025-04") == pytest.approx(1 / 2)
    # as_of before the derived date: not churned yet
    early = org.run("2025-04-09", periods=["2025-04"], churn_after_days=90, churn_basis="start")
    assert early.row("churn_rate", "2025-04")["numerator"] == 0
    assert early.value("retention_rate", "2025-04") == pytest.approx(1.0)
    # on the day itself it has churned
    on_day = org.run("2025-04-10", periods=["2025-04"], churn_after_days=90, churn_basis="start")
    assert on_day.row("churn_rate", "2025-04")["numerator"] == 1
    # without churn_after_days nobody churns
    never = org.run("2025-12-31", periods=["2025-04"])
    assert never.row("churn_rate", "2025-04")["numerator"] == 0


def test_mapped_churn_date_wins_over_the_derived_one(org: Any) -> None:
    org.account("a1", churned_at="2025-02-15T10:00")
    org.deal(100, "2025-01-10", account="a1")
    res = org.run("2025-12-31", churn_after_days=30, churn_basis="start")
    assert res.row("churn_rate", "2025-02")["numerator"] == 1  # not February 9th's...
    assert res.row("churn_rate", "2025-03")["numerator"] == 0
    # a1, acquired in January, is the one customer of February's start, lost in February
    assert res.value("retention_rate", "2025-02") == 0.0
    assert res.row("retention_rate", "2025-02")["denominator"] == 1


# --- CLV -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clv_org(new_org: Any) -> Any:
    """k1..k4 acquired in 2024 (one 1000 deal each); k1 churns 2025-03-01.

    2025: k2 buys 500 + 500, k3 2000, k4 1000; costs 2000 in 2025, no new customer in 2025
    except k5 (1000 on 2025-12-05)."""
    org = new_org()
    for account, day in (
        ("k1", "2024-06-01"),
        ("k2", "2024-06-02"),
        ("k3", "2024-06-03"),
        ("k4", "2024-06-04"),
    ):
        org.account(account, churned_at="2025-03-01" if account == "k1" else None)
        org.deal(1000, day, account=account)
    org.deal(500, "2025-02-10", account="k2")
    org.deal(500, "2025-05-10", account="k2")
    org.deal(2000, "2025-07-10", account="k3")
    org.deal(1000, "2025-09-10", account="k4")
    org.account("k5")
    org.deal(1000, "2025-12-05", account="k5")
    org.cost(2000, "2025-12-01", "2025-12-31")
    return org


def test_clv_from_annual_churn(clv_org: Any) -> None:
    res = clv_org.run("2025-12-31", periods=["2025", "2025-12"])
    # Trailing 12 months = 2025 for both: revenue 500 + 500 + 2000 + 1000 + 1000 = 5000,
    # customers k2 k3 k4 k5 -> 1250 per customer per year. Annual churn: customers of
    # 2025-01-01 (k1..k4) lost in the 12 months: k1 -> 1 / 4, lifespan 4 years.
    for period in ("2025", "2025-12"):
        assert res.value("clv", period) == pytest.approx(5000 / 4 * 4)
    # CAC December: 2000 / 1 (k5) -> CLV / CAC = 5000 / 2000
    assert res.value("cac", "2025-12") == pytest.approx(2000)
    assert res.value("clv_to_cac", "2025-12") == pytest.approx(2.5)
    # November: trailing Dec 2024..Nov 2025: 4000 / 3 customers, lifespan 4 / 1
    nov = clv_org.run("2025-12-31", periods=["2025-11"])
    assert nov.value("clv", "2025-11") == pytest.approx(4000 / 3 * 4)


def test_clv_lifespan_years_overrides_churn(clv_org: Any) -> None:
    res = clv_org.run("2025-12-31", periods=["2025-12"], clv_lifespan_years=2.5)
    assert res.value("clv", "2025-12") == pytest.approx(5000 / 4 * 2.5)
    assert res.value("clv_to_cac", "2025-12") == pytest.approx(5000 / 4 * 2.5 / 2000)


def test_clv_without_churn_is_null_with_a_note(org: Any) -> None:
    org.account("a1")
    org.deal(100, "2025-01-10", account="a1")
    res = org.run("2025-12-31", periods=["2025-12"])
    row = res.row("clv", "2025-12")
    assert row["value"] is None
    assert row["note"] == "no churn in the trailing 12 months: lifespan undefined"
    assert res.value("clv_to_cac", "2025-12") is None


# --- COGS precedence -----------------------------------------------------------------------------


def test_cogs_precedence(org: Any) -> None:
    # line-item cost beats the deal's cost field, which beats the default rate
    lines = org.deal(1000, "2025-01-10", cost=900)
    org.line(lines, 10, 100, 30)  # COGS 300, not 900
    field = org.deal(1000, "2025-01-11", cost=600)  # COGS 600
    org.line(field, 10, 100, None)  # a line without cost does not hide the cost field
    org.deal(1000, "2025-01-12")  # default COGS 0.2 x 1000 = 200
    res = org.run("2025-01-31", default_cogs_rate=0.2)
    # (3000 - 1100) / 3000
    assert res.value("gross_margin", "2025-01") == pytest.approx(1900 / 3000)
    row = res.row("gross_margin", "2025-01")
    assert row["numerator"] == pytest.approx(1900)
    assert row["denominator"] == pytest.approx(3000)


def test_cogs_default_rate_zero_means_full_margin(org: Any) -> None:
    org.deal(1000, "2025-01-10")
    res = org.run("2025-01-31")
    assert res.value("gross_margin", "2025-01") == pytest.approx(1.0)


def test_negative_margin_is_reported(org: Any) -> None:
    org.deal(100, "2025-01-10", cost=150)
    res = org.run("2025-01-31")
    assert res.value("gross_margin", "2025-01") == pytest.approx(-0.5)


# --- fiscal year -------------------------------------------------------------------------------


def test_fiscal_year_starting_in_april(org: Any) -> None:
    org.deal(100, "2025-03-31")
    org.deal(10, "2025-04-01")
    org.deal(1, "2026-03-31")
    res = org.run("2026-03-31", fiscal=4)
    # FY2024 = 2024-04-01 .. 2025-03-31; FY2025 = 2025-04-01 .. 2026-03-31
    assert res.value("total_revenue", "2024") == pytest.approx(100)
    assert res.value("total_revenue", "2025") == pytest.approx(11)
    assert res.value("total_revenue", "2024-Q4") == pytest.approx(100)  # Jan-Mar 2025
    assert res.value("total_revenue", "2025-Q1") == pytest.approx(10)  # Apr-Jun 2025
    assert res.value("total_revenue", "2025-Q4") == pytest.approx(1)  # Jan-Mar 2026
    row = res.row("total_revenue", "2025")
    assert (str(row["period_start"]), str(row["period_end"])) == ("2025-04-01", "2026-04-01")
    row = res.row("total_revenue", "2025-Q1")
    assert (str(row["period_start"]), str(row["period_end"])) == ("2025-04-01", "2025-07-01")
    # months stay calendar months
    assert res.value("total_revenue", "2025-04") == pytest.approx(10)
    # growth: FY2025 Q1 vs FY2024 Q4 (10 vs 100); FY2025 vs FY2024 (11 vs 100)
    assert res.value("sales_growth", "2025-Q1") == pytest.approx(-0.9)
    assert res.value("sales_growth", "2025") == pytest.approx(-0.89)
    yoy = org.run("2026-03-31", fiscal=4, growth_basis="year_over_year")
    # FY2025-Q4 (Jan-Mar 2026: 1) vs FY2024-Q4 (Jan-Mar 2025: 100)
    assert yoy.value("sales_growth", "2025-Q4") == pytest.approx(-0.99)


# --- NPS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([10, 9, 10], 100.0),
        ([0, 6, 3], -100.0),
        ([7, 8], 0.0),
        ([10, 6], 0.0),
        ([9, 9, 9, 7, 0], (3 - 1) / 5 * 100),
        ([6, 7, 8, 9], 0.0),
    ],
)
def test_nps_bounds_and_buckets(org: Any, scores: list[int], expected: float) -> None:
    for score in scores:
        org.survey(score, "2025-01-10")
    res = org.run("2025-01-31")
    assert res.value("nps", "2025-01") == pytest.approx(expected)
    row = res.row("nps", "2025-01")
    assert row["denominator"] == len(scores)


def test_nps_is_scoped_by_the_account_owner_even_before_a_first_sale(org: Any) -> None:
    org.owner("o1", team="T1", territory="EU")
    org.account("prospect", owner="o1")  # no won deal yet
    org.survey(10, "2025-01-10", account="prospect")
    res = org.run("2025-01-31")
    assert res.value("nps", "2025-01", "owner", "o1") == pytest.approx(100)
    assert res.value("nps", "2025-01", "team", "T1") == pytest.approx(100)
    assert res.value("nps", "2025-01", "territory", "EU") == pytest.approx(100)


# --- contact method -----------------------------------------------------------------------------


def test_deal_without_contact_method_takes_its_leads(org: Any) -> None:
    org.lead("2025-01-02", id="L1", contact_method="event")
    org.deal(100, "2025-01-20", lead_id="L1", created="2025-01-05")
    org.activity("event", "2025-01-03", lead_id="L1")
    res = org.run("2025-01-31")
    assert res.value(
        "sales_by_contact_method", "2025-01", breakdown=("contact_method", "event")
    ) == pytest.approx(1.0)
    assert res.breakdown("total_revenue", "2025-01", "contact_method") == {
        "event": pytest.approx(100)
    }
    # and its cycle starts at the lead (01-02), the activity on the lead being later
    assert res.value("avg_sales_cycle_days", "2025-01") == pytest.approx(18)


# --- scopes -------------------------------------------------------------------------------------


def test_territory_falls_back_from_deal_to_account_to_owner(org: Any) -> None:
    org.owner("o1", territory="OWN")
    org.account("a1", owner="o1", territory="ACC")
    org.account("a2", owner="o1")
    org.deal(1, "2025-01-10", owner="o1", account="a1", territory="DEAL")
    org.deal(10, "2025-01-11", owner="o1", account="a1")
    org.deal(100, "2025-01-12", owner="o1", account="a2")
    res = org.run("2025-01-31")
    assert res.value("total_revenue", "2025-01", "territory", "DEAL") == pytest.approx(1)
    assert res.value("total_revenue", "2025-01", "territory", "ACC") == pytest.approx(10)
    assert res.value("total_revenue", "2025-01", "territory", "OWN") == pytest.approx(100)


def test_scope_types_can_be_restricted(org: Any) -> None:
    from connector.kpi.engine import compute
    from connector.kpi.periods import parse_period
    from connector.settings import KpiSettings, Reporting

    org.owner("o1", team="T1", territory="EU")
    org.deal(1, "2025-01-10", owner="o1")
    compute(
        org.store,
        Reporting(currency="USD", timezone="UTC"),
        KpiSettings(),
        periods=[parse_period("2025-01")],
        scope_types=("company", "team"),
        as_of=__import__("datetime").date(2025, 1, 31),
    )
    rows = org.store.fetch("SELECT DISTINCT scope_type FROM kpi_results ORDER BY 1")
    assert rows == [("company",), ("team",)]


def test_every_kpi_key_is_computed(org: Any) -> None:
    org.deal(1, "2025-01-10")
    res = org.run("2025-01-31")
    assert {r["kpi"] for r in res.rows} == set(KPI_KEYS)


def test_product_margin_follows_the_deal_cost_field(org: Any) -> None:
    # no line has a unit cost: the deal's cost (600) is shared by line revenue
    deal = org.deal(1000, "2025-01-10", cost=600)
    org.line(deal, 2, 300, None, product="A")
    org.line(deal, 1, 400, None, product="B")
    res = org.run("2025-01-31", default_cogs_rate=0.1)
    # A: 600 - 600 x 600 / 1000 = 240 -> 0.4; B: 400 - 240 = 160 -> 0.4; deal 400 / 1000
    assert res.breakdown("gross_margin", "2025-01", "product") == {
        "A": pytest.approx(0.4),
        "B": pytest.approx(0.4),
    }
    assert res.value("gross_margin", "2025-01") == pytest.approx(0.4)


# --- costs -------------------------------------------------------------------------------------


def test_costs_are_spread_evenly_over_their_days_end_included(org: Any) -> None:
    org.owner("o1", team="T1")
    org.account("a1", owner="o1")
    org.account("a2", owner="o1")
    org.deal(100, "2025-01-20", owner="o1", account="a1")
    org.deal(100, "2025-02-05", owner="o1", account="a2")
    # 900 over 2025-01-15 .. 2025-02-13 inclusive = 30 days, 30 a day:
    # January 17 days = 510, February 13 days = 390
    org.cost(900, "2025-01-15", "2025-02-13", category="marketing", owner_id="o1")
    res = org.run("2025-02-28")
    for scope in (("company", None), ("team", "T1"), ("owner", "o1")):
        assert res.value("cac", "2025-01", *scope) == pytest.approx(510)
        assert res.value("cac", "2025-02", *scope) == pytest.approx(390)
        # the quarter: 900 / 2 new customers
        assert res.value("cac", "2025-Q1", *scope) == pytest.approx(450)


def test_cost_converted_at_each_days_rate(org: Any) -> None:
    org.account("a1")
    org.deal(100, "2025-01-20", account="a1")
    org.rate("EUR", 1.0, "2025-01-01")
    org.rate("EUR", 2.0, "2025-01-11")
    # 31 EUR over January: 10 days at 1.0, 21 days at 2.0 -> 10 + 42
    org.cost(31, "2025-01-01", "2025-01-31", currency="EUR")
    res = org.run("2025-01-31")
    assert res.value("cac", "2025-01") == pytest.approx(52)


def test_cycle_of_a_deal_closed_before_it_was_recorded_is_zero(org: Any) -> None:
    org.deal(100, "2025-01-10", created="2025-01-15T09:00")
    org.deal(100, "2025-01-20", created="2025-01-16T09:00")
    res = org.run("2025-01-31")
    # (0 + 4) / 2, not (-5 + 4) / 2
    assert res.value("avg_sales_cycle_days", "2025-01") == pytest.approx(2)


def test_customer_flow_over_months_and_a_quarter(org: Any) -> None:
    """x1 won 2024-12-01; x2 won 2024-03-01, churned 2025-02-15; x3 won 2025-01-10,
    churned 2025-03-05 (acquired and lost within Q1, not within any one month)."""
    for account, won, churned in (
        ("x1", "2024-12-01", None),
        ("x2", "2024-03-01", "2025-02-15"),
        ("x3", "2025-01-10", "2025-03-05"),
    ):
        org.account(account, churned_at=churned)
        org.deal(100, won, account=account)
    periods = ["2025-01", "2025-02", "2025-03", "2025-Q1"]
    start = org.run("2025-03-31", periods=periods, churn_basis="start")
    # (retained, customers at start, lost of the start) per period:
    # January x1 x2 all kept; February x1 x2 x3, x2 lost; March x1 x3, x3 lost;
    # Q1 x1 x2, x2 lost (x3 came and went within the quarter)
    for period, retained, at_start, lost in (
        ("2025-01", 2, 2, 0),
        ("2025-02", 2, 3, 1),
        ("2025-03", 1, 2, 1),
        ("2025-Q1", 1, 2, 1),
    ):
        row = start.row("retention_rate", period)
        assert (row["numerator"], row["denominator"]) == (retained, at_start), period
        row = start.row("churn_rate", period)
        assert (row["numerator"], row["denominator"]) == (lost, at_start), period
    acquired = org.run("2025-03-31", periods=periods, churn_basis="acquired")
    # the article's basis: every customer lost in Q1 (x2 x3) / acquired in Q1 (x3)
    assert acquired.value("churn_rate", "2025-Q1") == pytest.approx(2.0)
    # CLV for March: 12 months April 2024..March 2025 hold x1's and x3's deals, 200 / 2
    # customers; annual churn: of the window's start (x2), x2 lost -> lifespan 1 year
    assert acquired.value("clv", "2025-03") == pytest.approx(100)


def test_sources_do_not_mix_records_with_the_same_id(org: Any) -> None:
    for source in ("crm_a", "crm_b"):
        org.put("accounts", source=source, id="a1")
        org.put(
            "opportunities",
            source=source,
            id="d1",
            account_id="a1",
            amount=100,
            close_date="2025-01-10",
            is_closed=True,
            is_won=True,
            created_at="2025-01-02",
        )
    res = org.run("2025-01-31")
    assert res.value("total_revenue", "2025-01") == pytest.approx(200)
    # two accounts, two new customers
    assert res.row("arpa", "2025-01")["denominator"] == 2
    assert res.row("cac", "2025-01")["denominator"] == 2
    # CLV counts them as two customers too: 200 / 2 per customer x 2 years
    res = org.run("2025-01-31", clv_lifespan_years=2)
    assert res.value("clv", "2025-01") == pytest.approx(200)


def test_default_periods_run_from_the_first_record_to_as_of(org: Any) -> None:
    org.lead("2024-11-20T10:00")
    org.deal(100, "2025-02-10")
    org.deal(100, "2025-09-10")  # after as_of: no period of its own
    res = org.run("2025-03-15")
    assert {r["period"] for r in res.rows} == {
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
        "2025-03",
        "2024-Q4",
        "2025-Q1",
        "2024",
        "2025",
    }
    assert res.outcome.rows == len(res.rows)
    assert res.outcome.periods == 9
    # the year is output as of the 15th, and holds every deal closed in it
    assert res.value("total_revenue", "2025") == pytest.approx(200)
