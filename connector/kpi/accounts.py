"""The figures of each account from its own records (`connector.presentation.ACCOUNT_FIGURES`):
revenue this fiscal year and over the last 12 months, last NPS score, customer since,
churned on. Computed from the engine's facts (reporting-currency amounts, customers and
churn dates), so an account's figures follow the same rules as every KPI.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.kpi.sqlengine import SqlEngine
from connector.kpi.steps import ACCOUNT_FIGURES, bind, read_sql
from connector.presentation import FIGURE_KEYS
from connector.store import Store
from connector.store.arrow import insert_arrow

FIGURES_DDL = """CREATE TABLE IF NOT EXISTS account_figures (
  source VARCHAR, account_id VARCHAR, revenue_this_year DOUBLE,
  revenue_last_12_months DOUBLE, last_nps_score DOUBLE, customer_since DATE,
  churned_on DATE, computed_at TIMESTAMP)"""


def store_account_figures(
    store: Store, engine: SqlEngine, settings: Mapping[str, object]
) -> int:
    """Replace the `account_figures` table (every live account of every source) from the
    facts of the computation just run on `engine`; the number of accounts."""
    sql = read_sql(ACCOUNT_FIGURES)
    figures = engine.arrow(sql, bind(sql, settings))  # back through Arrow, like results
    store.execute(FIGURES_DDL)
    with store.transaction():
        store.execute("DELETE FROM account_figures")
        insert_arrow(store, "account_figures", ("source", "account_id", *FIGURE_KEYS),
                     figures, {"computed_at": "now()"})
    return int(store.scalar("SELECT count(*) FROM account_figures"))
