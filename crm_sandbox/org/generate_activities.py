"""Generator, part 4: calls, emails and meetings on leads, deals and accounts."""

from __future__ import annotations

import duckdb

from .names import pick_weighted
from .sizes import Sizes, Window
from .tables import DIRTY

TASK_MIX = [("Call", 45), ("Email", 40), ("LinkedIn", 5), ("Task", 10)]
EVENT_MIX = [("Meeting", 80), ("Trade Show", 10), ("Call", 5), ("Other", 5)]


def insert_activities(con: duckdb.DuckDBPyConnection, s: Sizes, win: Window) -> None:
    """Tasks (80 %) and events (20 %): 45 % on leads, 45 % on deals, 10 % on accounts."""
    w = win.sql()
    con.execute(
        f"""INSERT INTO activities BY NAME
        WITH b AS (
          SELECT i, u(i, 'at') AS ut, hh(i, 'ah') AS h, u(i, 'ak') < 0.8 AS is_task
          FROM range({s.activities}) t(i)),
        t AS (
          SELECT b.*,
            CASE WHEN ut < 0.45 THEN 'lead' WHEN ut < 0.9 THEN 'opportunity' ELSE 'account' END
              AS target,
            CASE WHEN target = 'lead' AND u(i, 'ao') < {DIRTY['activity_orphan_lead']}
                 THEN {s.leads} + h % 1000 END AS orphan_lead
          FROM b)
        SELECT i AS n, CASE WHEN is_task THEN 'task' ELSE 'event' END AS kind,
          CASE WHEN is_task THEN {pick_weighted("u(i, 'st')", TASK_MIX)}
               ELSE {pick_weighted("u(i, 'st')", EVENT_MIX)} END AS subtype,
          subtype || CASE WHEN target = 'lead' THEN ' with lead' ELSE ' with customer' END
            AS subject,
          CASE WHEN target = 'lead' THEN 'lead' ELSE 'contact' END AS who_kind,
          CASE WHEN target = 'lead' THEN coalesce(orphan_lead, l.n)
               ELSE coalesce(o.account_n, a.n) * 4 END AS who_n,
          CASE WHEN target = 'lead' THEN NULL ELSE target END AS what_kind,
          CASE WHEN target = 'opportunity' THEN o.n WHEN target = 'account' THEN a.n END
            AS what_n,
          CASE WHEN target = 'lead' THEN NULL ELSE coalesce(o.account_n, a.n) END AS account_n,
          coalesce(l.owner_n, o.owner_n, a.owner_n) AS owner_n,
          CASE target
            WHEN 'lead' THEN ts_at(l.created_at, least({w['end']}, coalesce(
              l.converted_on::TIMESTAMP, l.created_at + INTERVAL 60 DAY)), u(i, 'au'))
            WHEN 'opportunity' THEN ts_at(o.created_at, least({w['end']}, coalesce(
              o.close_date::TIMESTAMP + INTERVAL 12 HOUR, {w['end']})), u(i, 'au'))
            ELSE ts_at(greatest(a.created_at, {w['start']}), {w['end']}, u(i, 'au')) END
            AS occurred_at,
          occurred_at::DATE AS activity_date,
          CASE WHEN is_task THEN 'Completed' END AS status,
          CASE WHEN is_task THEN occurred_at
               ELSE occurred_at - to_days((hh(i, 'ae') % 14)::INTEGER) END AS created_at
        FROM t
        LEFT JOIN leads l ON t.target = 'lead' AND l.n = t.h % {s.leads}
        LEFT JOIN opportunities o ON t.target = 'opportunity' AND o.n = t.h % {s.opportunities}
        LEFT JOIN accounts a ON t.target = 'account' AND a.n = t.h % {s.preexisting_accounts}"""
    )
