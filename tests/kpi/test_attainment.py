"""Targets and attainment: direction, undefined cases, a target per scope.

The org (UTC, January 2025; clv_lifespan_years 2):
  o1 team T1, o2 team T2 (e-mail Kim.Lee@Example.com); a1 owner o1, a2 owner o2.
  December: 5000 won by o1 for a1 (a1's first purchase).
  January: d1 3000 won by o1 for a1 (created 01-05, closed 01-15: 10 days, phone),
           d2 1000 won by o2 for a2 (created and closed 01-20: 0 days, phone).
  o1 makes 4 phone calls; 2000 of costs; surveys a1: 0, 2, 10 and a2: 10.
"""

from __future__ import annotations

from typing import Any

import pytest

P = "2025-01"


@pytest.fixture(scope="module")
def res(new_org: Any, make_target: Any) -> Any:
    org = new_org()
    org.owner("o1", team="T1")
    org.owner("o2", team="T2", email="Kim.Lee@Example.com")
    org.account("a1", owner="o1")
    org.account("a2", owner="o2")
    org.deal(5000, "2024-12-05", owner="o1", account="a1", created="2024-12-01")
    org.deal(
        3000,
        "2025-01-15",
        owner="o1",
        account="a1",
        created="2025-01-05T10:00",
        contact_method="phone",
    )
    org.deal(
        1000,
        "2025-01-20",
        owner="o2",
        account="a2",
        created="2025-01-20T09:00",
        contact_method="phone",
    )
    for day in range(10, 14):
        org.activity("phone", f"2025-01-{day}", owner="o1")
    org.cost(2000, "2025-01-01", "2025-01-31")
    for account, score in (("a1", 0), ("a1", 2), ("a1", 10), ("a2", 10)):
        org.survey(score, "2025-01-25", account=account)
    t = make_target
    targets = [
        t("total_revenue", 5000),
        t("total_revenue", 2000, scope_type="team", scope_id="T1"),
        t("total_revenue", 100000, period_type="quarter"),
        t("gross_margin", 0),
        t("avg_sales_cycle_days", 5),
        t("avg_sales_cycle_days", 5, scope_type="owner", scope_id="o1"),
        t("avg_sales_cycle_days", 5, scope_type="owner", scope_id="o2"),
        t("sales_growth", 0.1),
        t("nps", 20),
        t("nps", -10, scope_type="team", scope_id="T2"),
        # a rep named by e-mail, in another case than the CRM's
        t("nps", 20, scope_type="owner", scope_id="kim.lee@example.com"),
        t("cac", 1000),
        t("clv_to_cac", 3),
        t("churn_rate", 0.1),
        t("sales_by_contact_method", 0.4),
        t("closing_ratio", 0.5, scope_type="owner", scope_id="o2"),
    ]
    return org.run("2025-01-31", targets=targets, clv_lifespan_years=2)


def test_higher_is_better(res: Any) -> None:
    row = res.row("total_revenue", P)
    # 4000 / 5000
    assert (row["target"], row["attainment"], row["gap"]) == (5000, 0.8, -1000)


def test_a_target_applies_to_exactly_the_scope_it_names(res: Any) -> None:
    row = res.row("total_revenue", P, "team", "T1")
    # T1's own target: 3000 / 2000
    assert (row["target"], row["attainment"], row["gap"]) == (2000, 1.5, 1000)
    assert row["note"] is None
    # no target of its own: none, never the company's 5000, and a note that says so
    row = res.row("total_revenue", P, "team", "T2")
    assert (row["target"], row["attainment"], row["gap"]) == (None, None, None)
    assert row["note"] == "no target for this team"
    row = res.row("total_revenue", P, "owner", "o1")
    assert (row["target"], row["attainment"], row["note"]) == (
        None, None, "no target for this rep"
    )  # fmt: skip
    # a rep's target is his alone: not the company's, not another rep's
    assert res.row("closing_ratio", P, "owner", "o2")["target"] == 0.5
    row = res.row("closing_ratio", P, "owner", "o1")
    assert (row["target"], row["note"]) == (None, "no target for this rep")
    row = res.row("closing_ratio", P)
    assert (row["target"], row["attainment"], row["note"]) == (
        None, None, "no target for the company"
    )  # fmt: skip


def test_target_applies_to_its_period_type_only(res: Any) -> None:
    row = res.row("total_revenue", "2025-Q1")
    assert (row["target"], row["attainment"]) == (100000, pytest.approx(4000 / 100000))
    assert res.row("total_revenue", "2025")["target"] is None


def test_target_not_positive_for_a_higher_kpi(res: Any) -> None:
    row = res.row("gross_margin", P)  # margin 1.0 (no cost), target 0
    assert row["attainment"] is None
    assert row["gap"] == pytest.approx(1.0)
    assert row["note"] == "attainment undefined: target is not positive"


def test_lower_is_better(res: Any) -> None:
    # company: (10 + 0) / 2 = 5 days against 5: on target
    row = res.row("avg_sales_cycle_days", P)
    assert (row["attainment"], row["gap"]) == (pytest.approx(1.0), pytest.approx(0))
    # o1: 10 days -> 5 / 10
    row = res.row("avg_sales_cycle_days", P, "owner", "o1")
    assert (row["attainment"], row["gap"]) == (pytest.approx(0.5), pytest.approx(5))
    # CAC 2000 (one new customer, a2) against 1000 -> 1000 / 2000
    row = res.row("cac", P)
    assert (row["value"], row["attainment"], row["gap"]) == pytest.approx((2000, 0.5, 1000))


def test_actual_not_positive_for_a_lower_kpi(res: Any) -> None:
    row = res.row("avg_sales_cycle_days", P, "owner", "o2")  # 0 days
    assert row["value"] == 0
    assert row["attainment"] is None
    assert row["gap"] == pytest.approx(-5)
    assert row["note"] == "attainment undefined: actual is not positive"
    row = res.row("churn_rate", P)  # nobody lost: 0 / 1
    assert (row["value"], row["attainment"], row["gap"]) == (0, None, pytest.approx(-0.1))


def test_negative_growth_has_a_gap_but_no_attainment(res: Any) -> None:
    row = res.row("sales_growth", P)  # (4000 - 5000) / 5000
    assert row["value"] == pytest.approx(-0.2)
    assert row["attainment"] is None
    assert row["gap"] == pytest.approx(-0.3)
    # January is in progress on its last day: its 31 days against December's 31
    so_far = "so far: the first 31 days of this month against the same days of the month before"
    assert row["note"] == f"{so_far}; attainment undefined: actual or target is not positive"
    row = res.row("sales_growth", P, "owner", "o2")  # no December revenue, no target
    assert (row["value"], row["target"], row["attainment"], row["gap"]) == (None, None, None, None)
    assert row["note"] == f"{so_far}; no revenue in the comparison period; no target for this rep"


def test_nps_attainment_only_when_both_sides_are_positive(res: Any) -> None:
    # company: promoters a1 10, a2 10; detractors a1 0, a1 2 -> 0
    row = res.row("nps", P)
    assert (row["value"], row["attainment"], row["gap"]) == (0, None, -20)
    # T1 (a1): (1 - 2) / 3 x 100, and no target of its own
    row = res.row("nps", P, "team", "T1")
    assert row["value"] == pytest.approx(-100 / 3)
    assert (row["target"], row["attainment"], row["gap"]) == (None, None, None)
    # T2 (a2): 100 against its own -10: target not positive
    row = res.row("nps", P, "team", "T2")
    assert (row["value"], row["target"], row["attainment"], row["gap"]) == (100, -10, None, 110)
    # o2 (a2): 100 against the 20 of the target naming o2 by e-mail
    row = res.row("nps", P, "owner", "o2")
    assert (row["target"], row["attainment"], row["gap"]) == (
        20, pytest.approx(5.0), pytest.approx(80)
    )  # fmt: skip


def test_clv_to_cac_attainment_is_ratio_over_target(res: Any) -> None:
    # CLV: 12 months' revenue 9000 / 2 customers x 2 years = 9000; CAC 2000 -> 4.5 : 1
    row = res.row("clv_to_cac", P)
    assert row["value"] == pytest.approx(4.5)
    assert (row["numerator"], row["denominator"]) == pytest.approx((9000, 2000))
    assert (row["attainment"], row["gap"]) == (pytest.approx(1.5), pytest.approx(1.5))


def test_contact_method_rows_carry_the_target(res: Any) -> None:
    kpi = "sales_by_contact_method"
    # phone: 2 won / 4 calls = 0.5 against 0.4
    row = res.row(kpi, P, breakdown=("contact_method", "phone"))
    assert (row["value"], row["target"]) == (0.5, 0.4)
    assert row["attainment"] == pytest.approx(1.25)
    assert row["gap"] == pytest.approx(0.1)
    # email: no attempts, no value: target shown, nothing derived
    row = res.row(kpi, P, breakdown=("contact_method", "email"))
    assert (row["value"], row["target"], row["attainment"], row["gap"]) == (None, 0.4, None, None)
    assert row["note"] == "no contact attempts by this method"


def test_breakdown_rows_have_no_target(res: Any) -> None:
    rows = [
        r
        for r in res.rows
        if r["kpi"] == "total_revenue" and r["period"] == P and r["breakdown_type"] is not None
    ]
    assert {r["breakdown_type"] for r in rows} == {"customer_type", "contact_method"}
    assert all(r["target"] is None and r["attainment"] is None and r["gap"] is None for r in rows)


def test_no_target_no_attainment(res: Any) -> None:
    row = res.row("arpa", P)
    assert (row["target"], row["attainment"], row["gap"]) == (None, None, None)
    assert row["note"] is None
