"""Every KPI, hand-computed, for every scope type, on one small org (period 2025-01).

The org (UTC, reporting currency USD, default_cogs_rate 0.25, clv_lifespan_years 3):

owners   o1 team T1 territory EU | o2 team T1 territory US | o3 team T2 territory US
accounts a1 owner o1 | a2 owner o2 territory APAC | a3 owner o3 | a4 owner o1

deal amount   close       owner account created     notes
d0   500 USD  2024-12-10  o1    a4      2024-12-01  a4's first won deal (December)
d1  1000 USD  2025-01-20  o1    a1      2025-01-05  lead L1, phone, lines 2x300 (cost 100)
                                                    + 1x400 (no cost); activity 01-03
d2  2000 EUR  2025-01-25  o2    a2      2024-12-20  EUR 1.1 -> 2200 USD, cost 700 EUR, email
d3   800 USD  2025-01-31  o3    a3      2025-01-10  deal territory LATAM, phone, activity 01-08
d4   500 USD  2025-01-15  o1    a4      2025-01-14  a4 is an existing customer
d5   999 lost 2025-01-28  o2    a1      2025-01-03
d6   open                 o3    -       2025-01-12  lead L2 (via the lead's conversion)
d7   300 lost 2025-01-29  o3    -       2024-12-15

Deal territories (deal, else account, else owner): d0 EU, d1 EU, d2 APAC, d3 LATAM,
d4 EU, d5 US (o2), d6 US, d7 US. Customer territories (account, else owner): a1 EU,
a2 APAC, a3 US, a4 EU.
Leads created in January: L1 o1 (01-02), L2 o3 (01-04), L3 o2 (01-06), L4 o1 (01-07).
Activities in January: o1 phone x2 (one on d1), o1 email, o2 email x2, o3 phone (on d3),
o3 in_person.
Costs in January: 3000 sales for team T1, 600 marketing (company), 310 sales for owner o3.
Surveys in January: a1 10, a2 9, a3 7, a4 3.
"""

from __future__ import annotations

from typing import Any

import pytest

P = "2025-01"


@pytest.fixture(scope="module")
def res(new_org: Any) -> Any:
    org = new_org()
    org.owner("o1", team="T1", territory="EU")
    org.owner("o2", team="T1", territory="US")
    org.owner("o3", team="T2", territory="US")
    org.account("a1", owner="o1")
    org.account("a2", owner="o2", territory="APAC")
    org.account("a3", owner="o3")
    org.account("a4", owner="o1")
    org.rate("EUR", 1.1, "2024-01-01")
    org.deal(500, "2024-12-10", id="d0", owner="o1", account="a4", created="2024-12-01")
    org.deal(
        1000,
        "2025-01-20",
        id="d1",
        owner="o1",
        account="a1",
        created="2025-01-05",
        contact_method="phone",
        lead_id="L1",
    )
    org.line("d1", 2, 300, 100, product="Widget")
    org.line("d1", 1, 400, None, product="Service")
    org.deal(
        2000,
        "2025-01-25",
        id="d2",
        owner="o2",
        account="a2",
        created="2024-12-20",
        currency="EUR",
        cost=700,
        contact_method="email",
    )
    org.deal(
        800,
        "2025-01-31",
        id="d3",
        owner="o3",
        account="a3",
        created="2025-01-10",
        territory="LATAM",
        contact_method="phone",
    )
    org.deal(500, "2025-01-15", id="d4", owner="o1", account="a4", created="2025-01-14")
    org.deal(999, "2025-01-28", id="d5", lost=True, owner="o2", account="a1", created="2025-01-03")
    org.deal(None, None, id="d6", owner="o3", created="2025-01-12")
    org.deal(300, "2025-01-29", id="d7", lost=True, owner="o3", created="2024-12-15")
    org.lead("2025-01-02", id="L1", owner="o1")
    org.lead("2025-01-04", id="L2", owner="o3", converted_opportunity_id="d6")
    org.lead("2025-01-06", id="L3", owner="o2")
    org.lead("2025-01-07", id="L4", owner="o1")
    org.activity("phone", "2025-01-03", owner="o1", opportunity_id="d1")
    org.activity("phone", "2025-01-16", owner="o1")
    org.activity("email", "2025-01-17", owner="o1")
    org.activity("email", "2025-01-08", owner="o2")
    org.activity("email", "2025-01-09", owner="o2")
    org.activity("phone", "2025-01-08", owner="o3", opportunity_id="d3")
    org.activity("in_person", "2025-01-11", owner="o3")
    org.cost(3000, "2025-01-01", "2025-01-31", team="T1")
    org.cost(600, "2025-01-01", "2025-01-31", category="marketing")
    org.cost(310, "2025-01-01", "2025-01-31", owner_id="o3")
    for account, score in (("a1", 10), ("a2", 9), ("a3", 7), ("a4", 3)):
        org.survey(score, "2025-01-18", account=account)
    return org.run("2025-01-31", default_cogs_rate=0.25, clv_lifespan_years=3)


SCOPES = [
    ("company", None),
    ("team", "T1"),
    ("team", "T2"),
    ("owner", "o1"),
    ("owner", "o2"),
    ("owner", "o3"),
    ("territory", "EU"),
    ("territory", "US"),
    ("territory", "APAC"),
    ("territory", "LATAM"),
]

# KPI -> expected value per scope, in SCOPES order (None: null).
EXPECTED: dict[str, list[float | None]] = {
    # d1 1000 + d2 2000 EUR x 1.1 + d3 800 + d4 500 = 4500; T1 = d1 + d2 + d4; EU = d1 + d4
    "total_revenue": [4500, 3700, 800, 1500, 2200, 800, 1500, 0, 2200, 800],
    # COGS: d1 2x100 + 0.25x400 = 300 (lines first, uncosted line at the default rate);
    # d2 its cost field 700 EUR x 1.1 = 770; d3 0.25 x 800 = 200; d4 0.25 x 500 = 125.
    # company (4500 - 1395) / 4500; T1 (3700 - 1195) / 3700; o1 (1500 - 425) / 1500;
    # o2 (2200 - 770) / 2200; US has no revenue: null.
    "gross_margin": [
        3105 / 4500,
        2505 / 3700,
        600 / 800,
        1075 / 1500,
        1430 / 2200,
        600 / 800,
        1075 / 1500,
        None,
        1430 / 2200,
        600 / 800,
    ],
    # previous month (December: d0 500, o1, T1, EU): (4500 - 500) / 500 = 8;
    # T1 (3700 - 500) / 500; o1 and EU (1500 - 500) / 500; no December revenue elsewhere.
    "sales_growth": [8.0, 6.4, None, 2.0, None, None, 2.0, None, None, None],
    # opportunities created in January from a lead: d1 (o1, T1, EU), d6 (o3, T2, US);
    # leads by their owner: o1 L1 L4, o2 L3, o3 L2 -> T1 3, T2 1, EU 2, US 2.
    "lead_to_opportunity": [2 / 4, 1 / 3, 1 / 1, 1 / 2, 0.0, 1 / 1, 1 / 2, 1 / 2, None, None],
    # won in January d1 d2 d3 d4 / created in January d1 d3 d4 d5 d6.
    # T1: d1 d2 d4 / d1 d4 d5; T2: d3 / d3 d6; o2: d2 / d5; APAC: d2 / nothing created.
    "closing_ratio": [4 / 5, 3 / 3, 1 / 2, 2 / 2, 1 / 1, 1 / 2, 2 / 2, 0 / 2, None, 1 / 1],
    # won from a lead: d1 only; leads as above.
    "lead_to_sale": [1 / 4, 1 / 3, 0.0, 1 / 2, 0.0, 0.0, 1 / 2, 0.0, None, None],
    # close - first contact: d1 01-20 - 01-02 (lead L1) = 18; d2 01-25 - 12-20 = 36;
    # d3 01-31 - 01-08 (activity) = 23; d4 01-15 - 01-14 = 1.
    "avg_sales_cycle_days": [78 / 4, 55 / 3, 23.0, 19 / 2, 36.0, 23.0, 19 / 2, None, 36.0, 23.0],
    # revenue / distinct accounts: company 4500 / 4; T1 3700 / (a1 a2 a4); o1 1500 / 2
    "arpa": [1125.0, 3700 / 3, 800.0, 750.0, 2200.0, 800.0, 750.0, None, 2200.0, 800.0],
    # new customers in January: a1 (o1 T1 EU), a2 (o2 T1 APAC), a3 (o3 T2 US).
    # company (3000 + 600 + 310) / 3; T1 3000 / 2; T2 (o3's cost) 310 / 1;
    # o1 and o2 have no cost attributed; territories never have costs.
    "cac": [3910 / 3, 1500.0, 310.0, None, None, 310.0, None, None, None, None],
    # revenue of the 12 months to January per customer x 3 years:
    # company (500 + 1000 + 2200 + 800 + 500) / 4 x 3; T1 (500 + 1000 + 2200 + 500) / 3 x 3
    # o1 and EU (500 + 1000 + 500) / 2 x 3; customers in US are a3's but d3 is LATAM's.
    "clv": [3750.0, 4200.0, 2400.0, 3000.0, 6600.0, 2400.0, 3000.0, None, 6600.0, 2400.0],
    "clv_to_cac": [
        3750 / (3910 / 3),
        4200 / 1500,
        2400 / 310,
        None,
        None,
        2400 / 310,
        None,
        None,
        None,
        None,
    ],
    # customers at start: a4 only (EU, o1, T1); at end a1..a4; new a1 a2 a3.
    # company (4 - 3) / 1; T1 (3 - 2) / 1; o1 (2 - 1) / 1; EU (2 - 1) / 1.
    "retention_rate": [1.0, 1.0, None, 1.0, None, None, 1.0, None, None, None],
    # churn_basis start (the default): nobody of the start (a4: o1, T1, EU) lost: 0 / 1;
    # the scopes without customers at the start have no churn rate.
    "churn_rate": [0.0, 0.0, None, 0.0, None, None, 0.0, None, None, None],
    # promoters a1 (10) a2 (9), passive a3 (7), detractor a4 (3): (2 - 1) / 4 x 100 = 25;
    # T1 a1 a2 a4 (2 - 1) / 3; o1 a1 a4 0; o2 100; o3 0; EU 0; APAC 100; US (a3) 0.
    "nps": [25.0, 100 / 3, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 100.0, None],
}

CASES = [
    pytest.param(kpi, scope, expected[i], id=f"{kpi}-{scope[0]}-{scope[1]}")
    for kpi, expected in EXPECTED.items()
    for i, scope in enumerate(SCOPES)
]


@pytest.mark.parametrize(("kpi", "scope", "expected"), CASES)
def test_kpi_value_per_scope(
    res: Any, kpi: str, scope: tuple[str, str | None], expected: float | None
) -> None:
    row = res.row(kpi, P, *scope)
    if expected is None:
        assert row["value"] is None
        assert row["note"], "a null value always says why"
    else:
        assert row["value"] == pytest.approx(expected)


def test_every_kpi_has_one_row_per_scope_and_nothing_else(res: Any) -> None:
    from connector.kpis import KPI_KEYS

    plain = {
        (r["kpi"], r["scope_type"], r["scope_id"])
        for r in res.rows
        if r["period"] == P and r["breakdown_type"] is None
    }
    assert plain == {
        (k, s, i) for k in KPI_KEYS if k != "sales_by_contact_method" for s, i in SCOPES
    }
    row = res.row("total_revenue", P)
    assert (str(row["period_start"]), str(row["period_end"])) == ("2025-01-01", "2025-02-01")
    assert row["period_type"] == "month"


def test_numerators_and_denominators_are_reported(res: Any) -> None:
    row = res.row("closing_ratio", P)
    assert (row["numerator"], row["denominator"]) == (4, 5)
    row = res.row("cac", P, "team", "T1")
    assert (row["numerator"], row["denominator"]) == (pytest.approx(3000), 2)
    row = res.row("avg_sales_cycle_days", P)
    assert (row["numerator"], row["denominator"]) == (78, 4)
    row = res.row("cac", P, "owner", "o1")
    assert row["note"] == "no cost attributed to this scope"


def test_quarter_and_year_aggregate_the_months(res: Any) -> None:
    # Q1 2025 holds only January's deals; 2024 (the year) holds d0.
    assert res.value("total_revenue", "2025-Q1") == pytest.approx(4500)
    assert res.value("total_revenue", "2024") == pytest.approx(500)
    assert res.value("total_revenue", "2024-Q4", "owner", "o1") == pytest.approx(500)
    # Q1 is in progress on 2025-01-31 (day 31): growth compares its 31 days with the first
    # 31 days of Q4 (October, no revenue), not with the whole of Q4
    row = res.row("sales_growth", "2025-Q1")
    assert (row["value"], row["denominator"]) == (None, 0)
    assert row["note"] == ("so far: the first 31 days of this quarter against the same days "
                           "of the quarter before; no revenue in the comparison period")
    # deals created in Q4 2024: d0 d2 d7; won in Q4: d0 -> 1 / 3
    assert res.value("closing_ratio", "2024-Q4") == pytest.approx(1 / 3)


def test_revenue_by_product(res: Any) -> None:
    # d1's lines: Widget 2 x 300, Service 1 x 400.
    assert res.breakdown("total_revenue", P, "product") == {
        "Widget": pytest.approx(600),
        "Service": pytest.approx(400),
    }
    assert res.breakdown("total_revenue", P, "product", "owner", "o1") == {
        "Widget": pytest.approx(600),
        "Service": pytest.approx(400),
    }
    assert res.breakdown("total_revenue", P, "product", "owner", "o2") == {}


def test_margin_by_product(res: Any) -> None:
    # Widget (600 - 2 x 100) / 600; Service has no unit cost: (400 - 0.25 x 400) / 400
    assert res.breakdown("gross_margin", P, "product") == {
        "Widget": pytest.approx(400 / 600),
        "Service": pytest.approx(0.75),
    }
    assert res.breakdown("gross_margin", P, "product", "team", "T1") == {
        "Widget": pytest.approx(400 / 600),
        "Service": pytest.approx(0.75),
    }


def test_revenue_by_customer_type(res: Any) -> None:
    # new: a1 (d1 1000), a2 (d2 2200), a3 (d3 800); existing: a4 (d4 500, after d0)
    assert res.breakdown("total_revenue", P, "customer_type") == {
        "new": pytest.approx(4000),
        "existing": pytest.approx(500),
    }
    assert res.breakdown("total_revenue", P, "customer_type", "owner", "o1") == {
        "new": pytest.approx(1000),
        "existing": pytest.approx(500),
    }
    # In December d0 made a4 a new customer.
    assert res.breakdown("total_revenue", "2024-12", "customer_type") == {"new": pytest.approx(500)}


def test_revenue_by_contact_method(res: Any) -> None:
    # phone d1 1000 + d3 800; email d2 2200; d4 has no method.
    assert res.breakdown("total_revenue", P, "contact_method") == {
        "phone": pytest.approx(1800),
        "email": pytest.approx(2200),
    }
    assert res.breakdown("total_revenue", P, "contact_method", "territory", "LATAM") == {
        "phone": pytest.approx(800)
    }


def test_sales_by_contact_method_per_method(res: Any) -> None:
    # won per method / activities of that method:
    # phone: d1 d3 / 3 (o1 x2, o3); email: d2 / 3 (o1, o2 x2); in_person: 0 / 1 (o3).
    kpi = "sales_by_contact_method"
    values = res.breakdown(kpi, P, "contact_method")
    assert set(values) == {
        "phone",
        "email",
        "in_person",
        "event",
        "web",
        "referral",
        "social",
        "other",
    }
    assert values["phone"] == pytest.approx(2 / 3)
    assert values["email"] == pytest.approx(1 / 3)
    assert values["in_person"] == 0.0
    assert values["web"] is None
    web = res.row(kpi, P, breakdown=("contact_method", "web"))
    assert (web["numerator"], web["denominator"]) == (0, 0)
    assert web["note"] == "no contact attempts by this method"
    phone = res.row(kpi, P, breakdown=("contact_method", "phone"))
    assert (phone["numerator"], phone["denominator"]) == (2, 3)
    # per scope: o1 phone d1 / 2; o2 email d2 / 2; o3 phone d3 / 1; US phone 0 / 1 (o3's);
    # LATAM won d3 by phone but has no attempts: null.
    assert res.breakdown(kpi, P, "contact_method", "owner", "o1")["phone"] == pytest.approx(0.5)
    assert res.breakdown(kpi, P, "contact_method", "owner", "o2")["email"] == pytest.approx(0.5)
    assert res.breakdown(kpi, P, "contact_method", "team", "T2")["phone"] == pytest.approx(1.0)
    assert res.breakdown(kpi, P, "contact_method", "territory", "US")["phone"] == 0.0
    assert res.breakdown(kpi, P, "contact_method", "territory", "LATAM")["phone"] is None
    assert res.breakdown(kpi, P, "contact_method", "team", "T1")["email"] == pytest.approx(1 / 3)


def test_no_findings_when_every_currency_has_a_rate(res: Any) -> None:
    assert res.findings == []
    assert res.outcome.findings == 0
