"""Generator, part 1: people, products, money and campaigns (the small tables)."""

from __future__ import annotations

import random
import re

import duckdb

from .names import FIRST_NAMES, LAST_NAMES, PRODUCTS, TEAM_NAMES, pick_weighted, pick_word
from .sizes import Sizes, Window
from .tables import (
    ADMIN_USER_N,
    CAMPAIGN_TYPES,
    CURRENCIES,
    MANAGER_TEAM_BASE,
    TERRITORIES,
    TOP_TEAM_N,
    TOP_TEAM_NAME,
)


def macros(seed: int) -> list[str]:
    """Seeded pseudo-random helpers: deterministic, order-free, vectorised."""
    return [
        f"CREATE OR REPLACE MACRO hh(i, salt) AS hash(i, {seed}, salt)",
        "CREATE OR REPLACE MACRO u(i, salt) AS (hh(i, salt) % 1000003)::DOUBLE / 1000003.0",
        "CREATE OR REPLACE MACRO ts_at(a, b, f) AS make_timestamp("
        "((epoch_us(a) + f * (epoch_us(b) - epoch_us(a))) / 1000000)::BIGINT * 1000000)",
    ]


def insert_people(con: duckdb.DuckDBPyConnection, seed: int, sizes: Sizes, win: Window) -> None:
    """Teams (one UserRole each), the integration user and the reps."""
    rng = random.Random(seed)
    teams = []
    for t in range(sizes.teams):
        base = TEAM_NAMES[t % len(TEAM_NAMES)]
        suffix = f" {t // len(TEAM_NAMES) + 1}" if t >= len(TEAM_NAMES) else ""
        teams.append((t + 1, f"{TERRITORIES[t % len(TERRITORIES)]} {base}{suffix}"))
    con.executemany("INSERT INTO teams (n, name) VALUES (?, ?)", teams)
    users: list[tuple[int, str, str, int | None, str | None, str, bool]] = [
        (ADMIN_USER_N, "Sandbox", "Integration", None, None, "Integration User", True)
    ]
    for i in range(sizes.reps):
        team = i % sizes.teams + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        active = rng.random() >= 0.08
        territory = TERRITORIES[(team - 1) % len(TERRITORIES)]
        users.append((i + 2, first, last, team, territory, "Account Executive", active))
    rows = [
        (n, f, la, f"{f.lower()}.{la.lower()}.{n}@sandbox.example", team, terr, title, act)
        for n, f, la, team, terr, title, act in users
    ]
    con.executemany(
        "INSERT INTO users (n, first_name, last_name, email, team_n, territory, title, active)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    start = win.sql()["start"]
    con.execute(
        "UPDATE users SET username = email, "
        f"created_at = {start} - to_days((30 + hh(n, 'uc') % 700)::INTEGER), "
        "modified_at = created_at, system_modstamp = created_at, is_deleted = false"
    )


def developer_name(name: str) -> str:
    """An API name from a label: letters, digits and single underscores."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def insert_leaders(con: duckdb.DuckDBPyConnection, seed: int, win: Window) -> None:
    """The hierarchy above the reps: a top team over one management team per sales team,
    one active manager per team (the reps' manager) and an administrator.

    Run after everything else is generated, with an RNG of its own and keys after the
    reps', so the reps and every record (hence every KPI) are those of an org without
    them."""
    rng = random.Random(f"{seed}:leaders")
    teams = con.execute("SELECT n, name, territory FROM teams JOIN (SELECT DISTINCT team_n, "
                        "territory FROM users WHERE team_n IS NOT NULL) u ON u.team_n = n "
                        "ORDER BY n").fetchall()
    top = [(TOP_TEAM_N, TOP_TEAM_NAME, None)]
    bosses = [(MANAGER_TEAM_BASE + t, f"{name} Manager", TOP_TEAM_N) for t, name, _ in teams]
    con.executemany("INSERT INTO teams (n, name, parent_n) VALUES (?, ?, ?)", top + bosses)
    con.execute(f"UPDATE teams SET parent_n = {MANAGER_TEAM_BASE} + n WHERE n < {TOP_TEAM_N}")
    for n, name in con.execute("SELECT n, name FROM teams").fetchall():
        con.execute("UPDATE teams SET developer_name = ? WHERE n = ?", [developer_name(name), n])
    row = con.execute("SELECT max(n) FROM users").fetchone()
    first_n = int(row[0]) + 1 if row and row[0] is not None else ADMIN_USER_N + 1
    people = [(MANAGER_TEAM_BASE + t, terr, "Sales Manager") for t, _, terr in teams]
    people.append((None, None, "Salesforce Administrator"))
    rows = []
    for n, (team, territory, title) in enumerate(people, start=first_n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}.{n}@sandbox.example"
        rows.append((n, first, last, email, team, territory, title, team is None))
    con.executemany("INSERT INTO users (n, first_name, last_name, email, team_n, territory, "
                    "title, active, is_admin) VALUES (?, ?, ?, ?, ?, ?, ?, true, ?)", rows)
    con.execute(f"UPDATE users SET username = email, created_at = {win.sql()['start']} - "
                "to_days((30 + hh(n, 'uc') % 700)::INTEGER), modified_at = created_at, "
                f"system_modstamp = created_at, is_deleted = false WHERE n >= {first_n}")
    con.execute(f"UPDATE users SET is_admin = coalesce(is_admin, n = {ADMIN_USER_N})")
    con.execute(f"UPDATE users u SET manager_n = m.n FROM users m WHERE u.n < {first_n} "
                f"AND m.team_n = {MANAGER_TEAM_BASE} + u.team_n")


def insert_products(con: duckdb.DuckDBPyConnection, win: Window) -> None:
    """Products, with one standard price book entry per product and currency."""
    start = win.sql()["start"]
    rows = [
        (i, name, f"SKU-{i + 100}", family, 500.0 * (1 + (i * 7) % 20), 0.25 + (i * 13 % 35) / 100)
        for i, (name, family) in enumerate(PRODUCTS)
    ]
    con.executemany(
        "INSERT INTO products (n, name, code, family, list_price, unit_cost, active, created_at)"
        f" VALUES (?, ?, ?, ?, ?, round(? * ?, 2), true, {start} - INTERVAL 400 DAY)",
        [(n, name, code, fam, price, price, ratio) for n, name, code, fam, price, ratio in rows],
    )
    con.execute(
        "INSERT INTO price_entries BY NAME SELECT p.n * 10 + c.n AS n, p.n AS product_n, "
        "c.iso_code AS currency, round(p.list_price * c.rate, c.decimal_places) AS unit_price, "
        "true AS active, p.created_at AS created_at FROM products p, currencies c"
    )
    for table in ("products", "price_entries"):
        con.execute(
            f"UPDATE {table} SET modified_at = created_at, system_modstamp = created_at, "
            "is_deleted = false"
        )


def insert_money(con: duckdb.DuckDBPyConnection, win: Window) -> None:
    """Currencies (USD corporate) and quarterly dated conversion rates per currency."""
    con.executemany(
        "INSERT INTO currencies (n, iso_code, rate, is_corporate, decimal_places) "
        "VALUES (?, ?, ?, ?, ?)",
        [(i, iso, rate, iso == "USD", dec) for i, (iso, rate, dec) in enumerate(CURRENCIES)],
    )
    start = win.sql()["start"]
    con.execute(
        f"""INSERT INTO dated_rates BY NAME
        WITH q AS (SELECT k, (date_trunc('quarter', {start}) - INTERVAL 3 MONTH
                              + to_months(3 * k::INTEGER))::DATE AS d
                   FROM range(0, 14) t(k))
        SELECT c.n * 1000 + q.k AS n, c.iso_code,
          CASE WHEN c.is_corporate THEN 1.0 ELSE round(c.rate * (1 + 0.06 * sin(q.k * 0.7 + c.n)
               + 0.02 * (u(c.n * 100 + q.k, 'fx') - 0.5)), 6) END AS rate,
          q.d AS start_date,
          CASE WHEN q.k = 13 THEN DATE '9999-12-31'
               ELSE (q.d + INTERVAL 3 MONTH)::DATE END AS next_start_date,
          q.d::TIMESTAMP AS created_at
        FROM currencies c, q"""
    )
    con.execute("UPDATE currencies SET created_at = " + start)
    for table in ("currencies", "dated_rates"):
        con.execute(
            f"UPDATE {table} SET modified_at = created_at, system_modstamp = created_at, "
            "is_deleted = false"
        )


def insert_campaigns(con: duckdb.DuckDBPyConnection, sizes: Sizes, win: Window) -> None:
    """Marketing campaigns with actual costs (the marketing side of CAC)."""
    w = win.sql()
    ctype = pick_word(CAMPAIGN_TYPES, "hh(i, 'ct')")
    currency = pick_weighted("u(i, 'cu')", [("USD", 80), ("EUR", 12), ("GBP", 8)])
    con.execute(
        f"""INSERT INTO campaigns BY NAME
        WITH b AS (SELECT i, ts_at({w['start']}, {w['end']}, u(i, 'cs'))::DATE AS s,
                          {ctype} AS ctype, {currency} AS cur FROM range({sizes.campaigns}) t(i))
        SELECT i AS n, ctype || ' campaign ' || (i + 1) AS name, ctype AS campaign_type,
          s AS start_date, (s + to_days((7 + hh(i, 'cd') % 54)::INTEGER))::DATE AS end_date,
          CASE WHEN end_date < {w['end']}::DATE THEN 'Completed' ELSE 'In Progress' END AS status,
          CASE WHEN status = 'Completed' THEN round(2000 + 48000 * u(i, 'cc'), 2) END
            AS actual_cost,
          round(coalesce(actual_cost, 20000) * 1.1, 2) AS budgeted_cost, cur AS currency,
          {ADMIN_USER_N} AS owner_n, s::TIMESTAMP - INTERVAL 20 DAY AS created_at,
          created_at AS modified_at, created_at AS system_modstamp, false AS is_deleted
        FROM b"""
    )
