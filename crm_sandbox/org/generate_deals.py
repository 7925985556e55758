"""Generator, part 3: deals and their line items, activities, churn and NPS surveys."""

from __future__ import annotations

import duckdb

from .generate_funnel import WIN_RATE
from .names import pick_weighted, pick_word
from .sizes import Sizes, Window
from .tables import DEAL_TYPES, DIRTY, LEGACY_STAGE, LOST_STAGE, OPEN_STAGES, WON_STAGE

EXPANSION_SOURCES = [("Phone Inquiry", 30), ("Email", 30), ("In Person", 25), ("Other", 15)]
CURRENCY_MIX = [("USD", 70), ("EUR", 14), ("GBP", 8), ("JPY", 4), ("CAD", 4)]


def insert_opportunities(con: duckdb.DuckDBPyConnection, s: Sizes, win: Window) -> None:
    """Deals with cycle lengths, stages, amounts in five currencies, and dirty values."""
    w, d = win.sql(), DIRTY
    z = "((u(n,'z1') + u(n,'z2') + u(n,'z3') + u(n,'z4') - 2) * 1.732)"
    open_stage = pick_word([st for st, _ in OPEN_STAGES], "hh(n, 'os')")
    con.execute(
        f"""INSERT INTO opportunities BY NAME
        WITH b AS (
          SELECT dl.*, coalesce(a.owner_n, 2 + hh(dl.n, 'ow') % {s.reps}) AS acct_owner,
            a.name AS account_name,
            coalesce(lead_source, {pick_weighted("u(dl.n, 'so')", EXPANSION_SOURCES)}) AS source,
            (created + to_days(least(365, 7 + floor(-ln(1 - u(dl.n, 'cy')) * 45))::INTEGER)
              )::DATE AS expected_close,
            {pick_weighted("u(dl.n, 'cr')", CURRENCY_MIX)} AS currency
          FROM _deal dl LEFT JOIN accounts a ON a.n = dl.account_n),
        c AS (
          SELECT b.*, rate, decimal_places, expected_close < {w['end']}::DATE AS closed,
            expected_close < {w['end']}::DATE
              AND u(n, 'w') < {WIN_RATE} + CASE WHEN new_account THEN 0 ELSE 0.1 END AS won,
            closed AND NOT won AND u(n, 'lg') < {d['closed_with_legacy_stage']} AS legacy,
            CASE WHEN lead_n IS NOT NULL THEN lead_owner
                 WHEN u(n, 'oa') < 0.8 THEN acct_owner
                 ELSE 2 + hh(n, 'or') % {s.reps} END AS owner_n
          FROM b JOIN (SELECT iso_code, rate, decimal_places FROM currencies) cur
            ON cur.iso_code = b.currency),
        e AS (
          SELECT n, 'Deal ' || (n + 1) || ' - ' || coalesce(account_name, 'Unknown') AS name,
            account_n, owner_n, source, currency, closed AS is_closed, won AS is_won,
            CASE WHEN legacy THEN '{LEGACY_STAGE}' WHEN won THEN '{WON_STAGE}'
                 WHEN closed THEN '{LOST_STAGE}' ELSE {open_stage} END AS stage,
            CASE WHEN won AND u(n, 'nd') < {d['won_without_close_date']} THEN NULL
                 ELSE expected_close END AS close_date,
            CASE WHEN new_account THEN '{DEAL_TYPES[0]}' WHEN lead_n IS NOT NULL
                 THEN '{DEAL_TYPES[1]}' ELSE {pick_word(DEAL_TYPES[1:], "hh(n, 'dt')")} END
              AS deal_type,
            CASE WHEN u(n, 'li') >= 0.7 AND u(n, 'na') < {d['opportunity_null_amount']}
                 THEN NULL ELSE round(exp(ln(15000) + 0.9 * {z}) * rate, decimal_places) END
              AS amount,
            CASE WHEN u(n, 'li') >= 0.7 AND u(n, 'co') < 0.5
                 THEN round(amount * (0.3 + 0.3 * u(n, 'cv')), 2) END AS cost,
            created AS created_at,
            ts_at(created, greatest(created, least({w['end']}, coalesce(close_date,
                  expected_close)::TIMESTAMP)), u(n, 'md')) AS modified_at
          FROM c)
        SELECT e.*, usr.territory FROM e LEFT JOIN users usr ON usr.n = e.owner_n"""
    )


def insert_line_items(con: duckdb.DuckDBPyConnection, s: Sizes) -> None:
    """1-4 products on 70 % of deals; those deals' Amount is the sum of their items."""
    con.execute(
        """INSERT INTO line_items BY NAME
        SELECT o.n * 4 + k AS n, o.n AS opportunity_n, p.n AS product_n,
          pe.n AS price_entry_n, (1 + hh(o.n * 4 + k, 'q') % 10)::DOUBLE AS quantity,
          round(pe.unit_price * (1 - 0.2 * u(o.n * 4 + k, 'dc')), cur.decimal_places)
            AS unit_price,
          round(p.unit_cost * cur.rate, cur.decimal_places) AS unit_cost,
          o.created_at + INTERVAL 1 HOUR AS created_at
        FROM opportunities o, range(4) t(k), currencies cur, products p, price_entries pe
        WHERE u(o.n, 'li') < 0.7 AND k < 1 + hh(o.n, 'lk') % 4 AND cur.iso_code = o.currency
          AND p.n = hh(o.n * 4 + k, 'pp') % (SELECT count(*) FROM products)
          AND pe.product_n = p.n AND pe.currency = o.currency"""
    )
    con.execute(
        """UPDATE opportunities SET amount = t.total
        FROM (SELECT opportunity_n, sum(quantity * unit_price) AS total
              FROM line_items GROUP BY opportunity_n) t
        WHERE t.opportunity_n = opportunities.n"""
    )
    con.execute(
        """UPDATE leads SET converted_account_n = o.account_n, converted_contact_n = o.account_n * 4
        FROM opportunities o WHERE o.n = leads.converted_opportunity_n"""
    )


def apply_churn(con: duckdb.DuckDBPyConnection, win: Window) -> None:
    """About a third of customers churn 200-450 days after their last won deal."""
    end = win.sql()["end"]
    con.execute(
        f"""UPDATE accounts SET churned_at = t.churn
        FROM (SELECT account_n, max(close_date)::TIMESTAMP
                + to_days((200 + hh(account_n, 'ch') % 250)::INTEGER) AS churn
              FROM opportunities WHERE is_won AND close_date IS NOT NULL
              GROUP BY account_n) t
        WHERE t.account_n = accounts.n AND u(accounts.n, 'cx') < 0.35 AND t.churn < {end}"""
    )


def insert_surveys(con: duckdb.DuckDBPyConnection, win: Window) -> None:
    """NPS responses: about 1.5 per account, scores skewed towards promoters."""
    w = win.sql()
    score = pick_weighted(
        "u(a.n * 2 + k, 'sc')",
        [("0", 2), ("2", 2), ("3", 3), ("5", 6), ("6", 8), ("7", 12), ("8", 18), ("9", 24),
         ("10", 25)],
    )
    con.execute(
        f"""INSERT INTO surveys BY NAME
        SELECT a.n * 2 + k AS n, a.n AS account_n, a.n * 4 AS contact_n,
          ({score})::DOUBLE AS score,
          ts_at(greatest(a.created_at, {w['start']}), {w['end']}, u(a.n * 2 + k, 'sr'))
            AS responded_at, responded_at AS created_at
        FROM accounts a, range(2) t(k) WHERE u(a.n * 2 + k, 'sv') < 0.75"""
    )
