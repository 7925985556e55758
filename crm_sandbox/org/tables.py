"""The org's CRM-neutral core: one DuckDB table per logical entity.

Records are keyed by an integer `n`; references are `<entity>_n` integers. Each CRM
surface derives its own ids and field names from these (the Salesforce surface turns
`n` into 18-char ids, a HubSpot surface can use numbers), so both surfaces serve the
same logical org.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

# Bookkeeping every table carries: who/when, soft deletion (recycle bin) and the
# system modstamp that incremental pulls use as cursor.
COMMON = (
    "created_at TIMESTAMP, modified_at TIMESTAMP, system_modstamp TIMESTAMP, "
    "is_deleted BOOLEAN DEFAULT false, deleted_at TIMESTAMP"
)

COLUMNS: dict[str, str] = {
    # Teams form a hierarchy (`parent_n`): a top sales team over one management team per
    # sales team; Salesforce serves them as the role hierarchy (UserRole).
    "teams": "n BIGINT, name VARCHAR, parent_n BIGINT, developer_name VARCHAR",
    "users": (
        "n BIGINT, first_name VARCHAR, last_name VARCHAR, email VARCHAR, username VARCHAR, "
        "team_n BIGINT, territory VARCHAR, title VARCHAR, active BOOLEAN, manager_n BIGINT, "
        "is_admin BOOLEAN"
    ),
    "accounts": (
        "n BIGINT, name VARCHAR, owner_n BIGINT, territory VARCHAR, industry VARCHAR, "
        "account_type VARCHAR, country VARCHAR, churned_at TIMESTAMP"
    ),
    "contacts": (
        "n BIGINT, account_n BIGINT, owner_n BIGINT, first_name VARCHAR, last_name VARCHAR, "
        "email VARCHAR, title VARCHAR"
    ),
    "leads": (
        "n BIGINT, first_name VARCHAR, last_name VARCHAR, company VARCHAR, email VARCHAR, "
        "owner_n BIGINT, source VARCHAR, status VARCHAR, is_converted BOOLEAN, "
        "converted_on DATE, converted_opportunity_n BIGINT, converted_account_n BIGINT, "
        "converted_contact_n BIGINT"
    ),
    "opportunities": (
        "n BIGINT, name VARCHAR, account_n BIGINT, owner_n BIGINT, stage VARCHAR, "
        "is_closed BOOLEAN, is_won BOOLEAN, amount DOUBLE, currency VARCHAR, close_date DATE, "
        "source VARCHAR, deal_type VARCHAR, cost DOUBLE, territory VARCHAR"
    ),
    "products": (
        "n BIGINT, name VARCHAR, code VARCHAR, family VARCHAR, list_price DOUBLE, "
        "unit_cost DOUBLE, active BOOLEAN"
    ),
    "price_entries": (
        "n BIGINT, product_n BIGINT, currency VARCHAR, unit_price DOUBLE, active BOOLEAN"
    ),
    "line_items": (
        "n BIGINT, opportunity_n BIGINT, product_n BIGINT, price_entry_n BIGINT, "
        "quantity DOUBLE, unit_price DOUBLE, unit_cost DOUBLE"
    ),
    "activities": (
        "n BIGINT, kind VARCHAR, subtype VARCHAR, subject VARCHAR, status VARCHAR, "
        "who_kind VARCHAR, who_n BIGINT, what_kind VARCHAR, what_n BIGINT, account_n BIGINT, "
        "owner_n BIGINT, occurred_at TIMESTAMP, activity_date DATE"
    ),
    "campaigns": (
        "n BIGINT, name VARCHAR, campaign_type VARCHAR, status VARCHAR, start_date DATE, "
        "end_date DATE, budgeted_cost DOUBLE, actual_cost DOUBLE, currency VARCHAR, owner_n BIGINT"
    ),
    "currencies": (
        "n BIGINT, iso_code VARCHAR, rate DOUBLE, is_corporate BOOLEAN, decimal_places INTEGER"
    ),
    "dated_rates": (
        "n BIGINT, iso_code VARCHAR, rate DOUBLE, start_date DATE, next_start_date DATE"
    ),
    "surveys": "n BIGINT, account_n BIGINT, contact_n BIGINT, score DOUBLE, responded_at TIMESTAMP",
    "territories": "n BIGINT, name VARCHAR",
    "periods": "n BIGINT, start_date DATE, end_date DATE",
    # Monthly targets; scope 'rep' (owner_n), 'team' (team_n) or 'territory' (territory_n).
    "quotas": (
        "n BIGINT, scope VARCHAR, owner_n BIGINT, team_n BIGINT, territory_n BIGINT, "
        "period_n BIGINT, start_date DATE, amount DOUBLE, quantity DOUBLE, currency VARCHAR"
    ),
}

TABLES: tuple[str, ...] = tuple(COLUMNS)
ADMIN_USER_N = 1  # the integration user the surfaces hand out credentials for
# Keys of the teams above the sales teams: the top one, and one management team per team
# (MANAGER_TEAM_BASE + the team's key), so that a sales team keeps its key at any scale.
TOP_TEAM_N, MANAGER_TEAM_BASE = 1000, 1000
TOP_TEAM_NAME = "SVP, Sales"


def ddl(table: str) -> str:
    """CREATE TABLE statement of one core table."""
    return f"CREATE TABLE {table} ({COLUMNS[table]}, {COMMON})"


# Picklist vocabularies shared by the generator, the surfaces and the export.
TERRITORIES = ("NA East", "NA West", "EMEA", "APAC")
CURRENCIES = (
    ("USD", 1.0, 2), ("EUR", 0.92, 2), ("GBP", 0.79, 2), ("JPY", 151.0, 0), ("CAD", 1.36, 2),
)
LEAD_SOURCES = (
    "Web", "Phone Inquiry", "Partner Referral", "Employee Referral", "Purchased List",
    "Trade Show", "Email", "Social Media", "In Person", "Other",
)
# LeadSource → normalized contact method; values outside the picklist map to "other".
LEAD_SOURCE_METHOD = {
    "Web": "web", "Phone Inquiry": "phone", "Partner Referral": "referral",
    "Employee Referral": "referral", "Purchased List": "other", "Trade Show": "event",
    "Email": "email", "Social Media": "social", "In Person": "in_person", "Other": "other",
}
LEAD_STATUSES = (
    "Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted",
)
OPEN_STAGES = (
    ("Prospecting", 10), ("Qualification", 10), ("Needs Analysis", 20), ("Value Proposition", 50),
    ("Id. Decision Makers", 60), ("Perception Analysis", 70), ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
)
WON_STAGE, LOST_STAGE = "Closed Won", "Closed Lost"
# A stage the generator writes for a few closed deals although it is not in the picklist.
LEGACY_STAGE = "Closed - Legacy"
DEAL_TYPES = (
    "New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement",
    "Existing Customer - Downgrade",
)
# Task.TaskSubtype's values in every org (Task's object reference): ListEmail and Cadence
# are on tasks that list e-mails and sales cadences create, which this org has none of.
TASK_SUBTYPES = ("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")
EVENT_TYPES = ("Meeting", "Trade Show", "Call", "Email", "Other")
# Activity kind/subtype → normalized method.
TASK_METHOD = {"Call": "phone", "Email": "email", "ListEmail": "email", "LinkedIn": "social"}
EVENT_METHOD = {"Meeting": "in_person", "Trade Show": "event", "Call": "phone", "Email": "email"}
CAMPAIGN_TYPES = ("Email", "Webinar", "Conference", "Advertisement", "Direct Mail", "Social")
INDUSTRIES = (
    "Technology", "Manufacturing", "Finance", "Healthcare", "Retail", "Energy", "Education",
    "Media",
)

# Deliberately dirty data, as shares of the records concerned (documented in docs/sandbox.md).
DIRTY: dict[str, float] = {
    "opportunity_null_amount": 0.01,
    "won_without_close_date": 0.005,
    "closed_with_legacy_stage": 0.003,
    "lead_unknown_source": 0.01,
    "opportunity_orphan_account": 0.003,
    "activity_orphan_lead": 0.002,
    "soft_deleted": 0.005,
}


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` into `table` in one statement, a list per column (DuckDB's
    executemany runs a statement per row: 2 ms each, seconds for a sandbox's start)."""
    if not rows:
        return
    values = [list(column) for column in zip(*rows, strict=True)]
    if len(values) != len(columns):
        raise ValueError(f"{len(columns)} columns named for rows of {len(values)}")
    unnested = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {unnested}", values)
