"""Generator, part 4: territories, monthly periods and the quotas set on them.

Quotas are monthly revenue targets: one per active rep (a few reps have none), in the
rep's currency (EMEA reps: EUR, the others USD), sized from the rep's won revenue; and,
in USD, per team for some teams and per territory for some territories (the sum of their
reps' targets, a little above it). Each CRM surface serves the scopes it models. Only
new tables are written and only seeded hashes are drawn, so the rest of the org is the
same with or without them.
"""

from __future__ import annotations

import duckdb

from .sizes import Window
from .tables import ADMIN_USER_N, TERRITORIES

MONTHS_AHEAD = 3  # quotas are set for the next months too
NO_QUOTA_SHARE = 0.15
TEAM_SHARE, TERRITORY_SHARE = 0.5, 0.5


def insert_quotas(con: duckdb.DuckDBPyConnection, win: Window) -> None:
    """Territories, periods, then rep, team and territory quotas."""
    con.executemany("INSERT INTO territories (n, name) VALUES (?, ?)",
                    list(enumerate(TERRITORIES, start=1)))
    start = win.sql()["start"]
    months = (win.end.year - win.start.year) * 12 + win.end.month - win.start.month + 1
    con.execute(
        f"""INSERT INTO periods BY NAME
        SELECT k + 1 AS n, m::DATE AS start_date, (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE
          AS end_date, {start} - INTERVAL 60 DAY AS created_at
        FROM (SELECT k, date_trunc('month', {start}) + to_months(k::INTEGER) AS m
              FROM range({months + MONTHS_AHEAD}) t(k))"""
    )
    con.execute(f"CREATE TEMP TABLE _rep_quota AS {rep_quota_sql(months)}")
    con.execute(f"INSERT INTO quotas BY NAME {quota_rows_sql(win.sql()['end'])}")
    con.execute("DROP TABLE _rep_quota")
    for table in ("territories", "periods", "quotas"):
        con.execute(f"UPDATE {table} SET created_at = coalesce(created_at, {start}), "
                    "modified_at = created_at, system_modstamp = created_at, is_deleted = false")


def rep_quota_sql(history_months: int) -> str:
    """Per active rep and month: the target in USD, from the rep's mean monthly won
    revenue × 1.1–1.4, growing 5 % a year, ±10 % from month to month."""
    return f"""
    WITH won AS (
      SELECT o.owner_n, sum(o.amount / c.rate) AS usd FROM opportunities o
      JOIN currencies c ON c.iso_code = o.currency
      WHERE o.is_won AND o.amount IS NOT NULL AND NOT o.is_deleted GROUP BY o.owner_n),
    reps AS (
      SELECT u.n, u.team_n, t.n AS territory_n, u.territory = 'EMEA' AS emea,
        greatest(5000, coalesce(w.usd, 0) / {history_months}
                 * (1.1 + 0.3 * u(u.n, 'qf'))) AS base_usd,
        row_number() OVER (ORDER BY hh(u.n, 'nq')) AS draw
      FROM users u JOIN territories t ON t.name = u.territory
      LEFT JOIN won w ON w.owner_n = u.n
      WHERE u.active AND u.n <> {ADMIN_USER_N})
    SELECT r.n AS owner_n, r.team_n, r.territory_n, r.emea, p.n AS period_n, p.start_date,
      round(r.base_usd * (1 + 0.05 * ((p.n - 1) // 12))
            * (0.9 + 0.2 * u(r.n * 1000 + p.n, 'qm')), -2) AS usd
    FROM reps r, periods p
    WHERE r.draw > 1 AND u(r.n, 'nq') >= {NO_QUOTA_SHARE}"""


def quota_rows_sql(end: str) -> str:
    """The quota rows of every scope, numbered in a stable order; each set up a fortnight
    before its month (those of the months ahead, before the org's history ends)."""
    eur = "(SELECT rate FROM currencies WHERE iso_code = 'EUR')"
    return f"""
    WITH q AS (
      SELECT 'rep' AS scope, owner_n, team_n, NULL AS territory_n, period_n, start_date,
        CASE WHEN emea THEN round(usd * {eur}, -2) ELSE usd END AS amount,
        CASE WHEN emea THEN 'EUR' ELSE 'USD' END AS currency FROM _rep_quota
      UNION ALL
      SELECT 'team', NULL, team_n, NULL, period_n, start_date,
        round(sum(usd) * 1.05, -3), 'USD' FROM _rep_quota
      WHERE team_n = 1 OR u(team_n, 'tmq') < {TEAM_SHARE}
      GROUP BY team_n, period_n, start_date
      UNION ALL
      SELECT 'territory', {ADMIN_USER_N}, NULL, territory_n, period_n, start_date,
        round(sum(usd) * 1.05, -3), 'USD' FROM _rep_quota
      WHERE territory_n = 1 OR u(territory_n, 'trq') < {TERRITORY_SHARE}
      GROUP BY territory_n, period_n, start_date)
    SELECT row_number() OVER (ORDER BY scope, start_date, owner_n, team_n, territory_n) AS n,
      q.*, NULL::DOUBLE AS quantity,
      least((start_date - INTERVAL 15 DAY)::TIMESTAMP, {end} - INTERVAL 1 DAY) AS created_at
    FROM q"""
