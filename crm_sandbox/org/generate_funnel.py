"""Generator, part 2: the funnel — leads, accounts, deals, line items, contacts, surveys.

Everything is one SQL statement per table over `range()`, with randomness from seeded
hashes (`u`, `hh` macros), so a scale-100 org is built in seconds and never passes
through Python objects.
"""

from __future__ import annotations

import duckdb

from .names import (
    COMPANY_KINDS,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    pick_weighted,
    pick_word,
)
from .sizes import Sizes, Window
from .tables import DIRTY, INDUSTRIES

# Converted leads come more often from referrals and meetings than from lists and the web.
SOURCES_CONVERTED = [
    ("Web", 14), ("Phone Inquiry", 12), ("Partner Referral", 16), ("Employee Referral", 8),
    ("Purchased List", 4), ("Trade Show", 12), ("Email", 10), ("Social Media", 6),
    ("In Person", 14), ("Other", 4),
]
SOURCES_OTHER = [
    ("Web", 30), ("Phone Inquiry", 10), ("Partner Referral", 4), ("Employee Referral", 2),
    ("Purchased List", 18), ("Trade Show", 8), ("Email", 14), ("Social Media", 8),
    ("In Person", 2), ("Other", 4),
]
WIN_RATE = (
    "CASE source WHEN 'Partner Referral' THEN 0.45 WHEN 'Employee Referral' THEN 0.45 "
    "WHEN 'In Person' THEN 0.4 WHEN 'Trade Show' THEN 0.3 WHEN 'Phone Inquiry' THEN 0.28 "
    "WHEN 'Email' THEN 0.22 WHEN 'Web' THEN 0.2 WHEN 'Social Media' THEN 0.18 ELSE 0.15 END"
)


def company(h: str) -> str:
    """SQL for a company name from three independent hashes of `h`."""
    return (
        f"{pick_word(COMPANY_WORDS, f'hh({h}, 1)')} || ' ' || "
        f"{pick_word(COMPANY_KINDS, f'hh({h}, 2)')} || ' ' || "
        f"{pick_word(COMPANY_SUFFIXES, f'hh({h}, 3)')}"
    )


def person(i: str, salt: str) -> str:
    """SQL for (first_name, last_name) columns."""
    first = pick_word(FIRST_NAMES, f"hh({i}, '{salt}f')")
    last = pick_word(LAST_NAMES, f"hh({i}, '{salt}l')")
    return f"{first} AS first_name, {last} AS last_name"


def insert_leads(con: duckdb.DuckDBPyConnection, s: Sizes, win: Window) -> None:
    """Leads over three years (growing), every `lead_stride`-th one converted."""
    w, conv = win.sql(), s.opportunities_from_leads + s.converted_without_opportunity
    src_conv = pick_weighted("us", SOURCES_CONVERTED)
    src_other = pick_weighted("us", SOURCES_OTHER)
    con.execute(
        f"""INSERT INTO leads BY NAME
        WITH b AS (
          SELECT i, CASE WHEN i % {s.lead_stride} = 0 AND i // {s.lead_stride} < {conv}
                    THEN i // {s.lead_stride} END AS rank,
            (2 + hh(i, 'lg') % 40)::INTEGER AS lag, u(i, 'ls') AS us,
            ts_at({w['start']}, {w['end']}, sqrt(u(i, 'lc'))) AS c0
          FROM range({s.leads}) t(i)),
        c AS (SELECT *, CASE WHEN rank IS NOT NULL AND c0 + to_days(lag + 1) > {w['end']}
                        THEN c0 - to_days(lag + 1) ELSE c0 END AS created FROM b)
        SELECT i AS n, {person('i', 'lp')}, {company('i')} AS company,
          lower(first_name || '.' || last_name || '.' || i) || '@example.com' AS email,
          (2 + hh(i, 'lo') % {s.reps})::BIGINT AS owner_n,
          CASE WHEN u(i, 'lx') < {DIRTY['lead_unknown_source']} THEN 'Webinar (legacy)'
               WHEN rank IS NOT NULL THEN {src_conv} ELSE {src_other} END AS source,
          rank IS NOT NULL AS is_converted,
          CASE WHEN rank IS NOT NULL THEN (created + to_days(lag))::DATE END AS converted_on,
          CASE WHEN rank < {s.opportunities_from_leads} THEN rank END AS converted_opportunity_n,
          CASE WHEN rank >= {s.opportunities_from_leads}
               THEN hh(i, 'la') % {s.preexisting_accounts} END AS converted_account_n,
          CASE WHEN is_converted THEN 'Closed - Converted'
               WHEN created < {w['end']} - INTERVAL 90 DAY AND u(i, 'st') < 0.7
                 THEN 'Closed - Not Converted'
               WHEN u(i, 'st') < 0.5 THEN 'Open - Not Contacted'
               ELSE 'Working - Contacted' END AS status,
          created AS created_at
        FROM c"""
    )
    con.execute("UPDATE leads SET converted_contact_n = converted_account_n * 4")


def insert_preexisting_accounts(con: duckdb.DuckDBPyConnection, s: Sizes, win: Window) -> None:
    """Accounts that were customers or prospects before the history window."""
    w = win.sql()
    con.execute(
        f"""INSERT INTO accounts BY NAME
        SELECT i AS n, {company('i + 7919')} AS name, u2.n AS owner_n, u2.territory,
          {pick_word(INDUSTRIES, "hh(i, 'ai')")} AS industry, 'Customer' AS account_type,
          {w['start']} - to_days((30 + hh(i, 'ac') % 1800)::INTEGER) AS created_at
        FROM range({s.preexisting_accounts}) t(i)
        JOIN users u2 ON u2.n = 2 + hh(i, 'ao') % {s.reps}"""
    )


def stage_deals(con: duckdb.DuckDBPyConnection, s: Sizes, win: Window) -> None:
    """Temp table `_deal`: each deal's origin, account and creation time."""
    w, new, pre = win.sql(), s.new_accounts, s.preexisting_accounts
    con.execute(
        f"""CREATE TEMP TABLE _deal0 AS
        SELECT i AS n, l.n AS lead_n, l.source AS lead_source, l.owner_n AS lead_owner,
          CASE WHEN l.n IS NOT NULL
               THEN l.converted_on::TIMESTAMP + to_minutes((540 + hh(i, 'om') % 480)::INTEGER)
               ELSE ts_at({w['start']}, {w['end']}, sqrt(u(i, 'oc'))) END AS created0
        FROM range({s.opportunities}) t(i) LEFT JOIN leads l ON l.converted_opportunity_n = i"""
    )
    con.execute(
        f"""CREATE TEMP TABLE _deal AS
        WITH x AS (
          SELECT d.*, src.created0 + INTERVAL 30 DAY AS repeat_after,
            d.lead_n IS NULL AND u(d.n, 'ox') < 0.5 AS wants_new,
            {pre} + hh(d.n, 'oj') % {new} AS repeat_account
          FROM _deal0 d LEFT JOIN _deal0 src ON src.n = hh(d.n, 'oj') % {new})
        SELECT n, lead_n, lead_source, lead_owner,
          lead_n IS NOT NULL AND n < {new} AS new_account,
          wants_new AND repeat_after < {w['end']} - INTERVAL 2 DAY AS repeat_new,
          CASE WHEN u(n, 'oo') < {DIRTY['opportunity_orphan_account']}
                 THEN {s.accounts} + hh(n, 'oq') % 1000
               WHEN new_account THEN {pre} + n
               WHEN repeat_new THEN repeat_account
               ELSE hh(n, 'oa') % {pre} END AS account_n,
          CASE WHEN repeat_new THEN greatest(created0, repeat_after) ELSE created0 END AS created
        FROM x"""
    )
    con.execute(
        f"""INSERT INTO accounts BY NAME
        SELECT d.account_n AS n, l.company AS name, d.lead_owner AS owner_n, u2.territory,
          {pick_word(INDUSTRIES, "hh(d.n, 'ai')")} AS industry, 'Customer' AS account_type,
          d.created AS created_at
        FROM _deal d JOIN leads l ON l.n = d.lead_n JOIN users u2 ON u2.n = d.lead_owner
        WHERE d.new_account AND d.account_n < {s.accounts}"""
    )


def insert_contacts(con: duckdb.DuckDBPyConnection) -> None:
    """1-4 contacts per account; contact `4a` is account a's main contact."""
    con.execute(
        f"""INSERT INTO contacts BY NAME
        SELECT a.n * 4 + j AS n, a.n AS account_n, a.owner_n, {person('a.n * 4 + j', 'cp')},
          lower(first_name || '.' || last_name) || '@' || lower(split_part(a.name, ' ', 1))
            || '.example' AS email, 'Buyer' AS title,
          a.created_at + to_days(j::INTEGER) AS created_at
        FROM accounts a, range(4) t(j) WHERE j < 1 + hh(a.n, 'cc') % 4"""
    )
