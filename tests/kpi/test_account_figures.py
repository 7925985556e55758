"""The figures of one account from its own records (what writers put on Account/company)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def figures(org: Any) -> dict[str, dict[str, Any]]:
    rows = org.store.fetch_dicts("SELECT * FROM account_figures")
    return {r["account_id"]: r for r in rows}


def test_an_accounts_figures_come_from_its_own_deals_not_its_territory(org: Any) -> None:
    org.owner("o1", territory="West")
    org.account("a1", owner="o1", territory="West")
    org.account("a2", owner="o1", territory="West")
    org.account("prospect", owner="o1", territory="West")
    org.rate("EUR", 2.0, "2020-01-01")
    org.deal(100, "2024-06-10", account="a1", owner="o1")  # 2024-06: in the last 12 months
    org.deal(50, "2025-02-01", account="a1", owner="o1", currency="EUR")  # 100 USD
    org.deal(999, "2025-03-01", account="a1", owner="o1", won=False, lost=True)
    org.deal(70, "2023-01-05", account="a2", owner="o1")
    org.survey(9, "2025-01-10", account="a1")
    org.survey(3, "2025-02-10", account="a1")  # the latest response
    org.run("2025-05-20", fiscal=2)  # fiscal 2025 began on 2025-02-01
    got = figures(org)
    a1, a2 = got["a1"], got["a2"]
    assert (a1["revenue_this_year"], a1["revenue_last_12_months"]) == (100, 200)
    assert a1["last_nps_score"] == 3
    assert a1["customer_since"] == dt.date(2024, 6, 10)
    assert a1["churned_on"] is None
    assert (a2["revenue_this_year"], a2["revenue_last_12_months"]) == (0, 0)
    assert a2["customer_since"] == dt.date(2023, 1, 5)
    assert got["prospect"]["revenue_this_year"] is None  # never a customer: nothing to say


def test_churned_on_follows_the_churn_rules_and_deleted_accounts_have_no_figures(
    org: Any,
) -> None:
    org.account("a1")
    org.account("a2", churned_at="2025-03-01T10:00")
    org.account("gone")
    org.deal(10, "2024-01-10", account="a1")
    org.deal(10, "2024-01-10", account="a2")
    org.deal(10, "2024-01-10", account="gone")
    org.delete("accounts", "gone")
    org.run("2025-05-20", churn_after_days=365)
    got = figures(org)
    assert got["a1"]["churned_on"] == dt.date(2025, 1, 9)  # 365 days after its last win
    assert got["a2"]["churned_on"] == dt.date(2025, 3, 1)
    assert "gone" not in got


def test_a_partial_computation_leaves_the_figures_of_the_last_full_one(org: Any) -> None:
    org.account("a1")
    org.deal(10, "2025-01-10", account="a1")
    org.run("2025-05-20")
    org.deal(30, "2025-02-10", account="a1")
    org.run("2025-05-20", periods=["2025-02"])
    assert figures(org)["a1"]["revenue_this_year"] == 10
    org.run("2025-05-20")
    assert figures(org)["a1"]["revenue_this_year"] == 40
