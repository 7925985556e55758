"""Build a deterministic org (seed, scale, anchor date) into a DuckDB database."""

from __future__ import annotations

import datetime as dt

import duckdb

from ..ids import SQL_MACROS
from .generate_activities import insert_activities
from .generate_deals import apply_churn, insert_line_items, insert_opportunities, insert_surveys
from .generate_funnel import insert_contacts, insert_leads, insert_preexisting_accounts, stage_deals
from .generate_people import (
    insert_campaigns,
    insert_leaders,
    insert_money,
    insert_people,
    insert_products,
    macros,
)
from .generate_quotas import insert_quotas
from .sizes import Sizes, Window
from .tables import DIRTY, TABLES, ddl

# Tables where a few records sit in the recycle bin (seen by queryAll and getDeleted).
SOFT_DELETABLE = ("leads", "opportunities", "activities", "contacts")


def generate(
    con: duckdb.DuckDBPyConnection, seed: int, sizes: Sizes, anchor: dt.date
) -> Window:
    """Create every core table and fill it; returns the history window used."""
    win = Window.ending(anchor)
    for stmt in (*SQL_MACROS, *macros(seed)):
        con.execute(stmt)
    for table in TABLES:
        con.execute(ddl(table))
    insert_people(con, seed, sizes, win)
    insert_money(con, win)
    insert_products(con, win)
    insert_campaigns(con, sizes, win)
    insert_leads(con, sizes, win)
    insert_preexisting_accounts(con, sizes, win)
    stage_deals(con, sizes, win)
    insert_contacts(con)
    insert_opportunities(con, sizes, win)
    insert_line_items(con, sizes)
    apply_churn(con, win)
    insert_surveys(con, win)
    insert_activities(con, sizes, win)
    insert_quotas(con, win)
    insert_leaders(con, seed, win)
    con.execute("DROP TABLE _deal0")
    con.execute("DROP TABLE _deal")
    _finish_bookkeeping(con, win)
    return win


def _finish_bookkeeping(con: duckdb.DuckDBPyConnection, win: Window) -> None:
    """Fill modification stamps where the generator left none, and soft-delete a few."""
    end = win.sql()["end"]
    for table in TABLES:
        con.execute(
            f"UPDATE {table} SET modified_at = coalesce(modified_at, least({end}, created_at "
            f"+ to_hours((hh(n, '{table}') % 48)::INTEGER))), is_deleted = false"
        )
        con.execute(f"UPDATE {table} SET system_modstamp = modified_at")
    for table in SOFT_DELETABLE:
        con.execute(
            f"UPDATE {table} SET is_deleted = true, deleted_at = {end} - "
            f"to_minutes((hh(n, 'del') % 14400)::INTEGER) "
            f"WHERE u(n, 'sd') < {DIRTY['soft_deleted']} AND created_at < {end} - INTERVAL 10 DAY"
        )
        con.execute(
            f"UPDATE {table} SET modified_at = greatest(modified_at, deleted_at), "
            "system_modstamp = greatest(system_modstamp, deleted_at) WHERE is_deleted"
        )
