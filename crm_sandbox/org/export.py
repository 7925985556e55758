"""`export_files`: the org as the normalized CSV export the files source reads.

Ids are the Salesforce ids of the same records, so a files pull and a Salesforce pull
of one org describe the same records; docs/sandbox.md gives the field correspondence.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from connector.schema import ENTITY_BY_NAME

from ..ids import PREFIX
from .tables import EVENT_METHOD, LEAD_SOURCE_METHOD, TASK_METHOD


def ts(expr: str) -> str:
    """ISO-8601 UTC timestamp text."""
    return f"strftime({expr}, '%Y-%m-%dT%H:%M:%SZ')"


def case_map(expr: str, mapping: dict[str, str], default: str) -> str:
    """SQL CASE mapping the values of `expr` through `mapping`."""
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    return f"CASE {expr} {whens} ELSE '{default}' END"


def sid(table: str, expr: str) -> str:
    return f"sfid('{PREFIX[table]}', {expr})"


def method_of_source(expr: str) -> str:
    """LeadSource → contact method; unknown or null sources count as "other"."""
    return case_map(expr, LEAD_SOURCE_METHOD, "other")


ACTIVITY_METHOD = (
    f"CASE WHEN t.kind = 'task' THEN {case_map('t.subtype', TASK_METHOD, 'other')} "
    f"ELSE {case_map('t.subtype', EVENT_METHOD, 'other')} END"
)

SELECTS: dict[str, str] = {
    "owners": f"""SELECT {sid('users', 't.n')} AS id, {ts('t.modified_at')} AS modified_at,
        concat_ws(' ', t.first_name, t.last_name) AS name, t.email, r.name AS team,
        t.territory, t.active FROM users t LEFT JOIN teams r ON r.n = t.team_n""",
    "accounts": f"""SELECT {sid('accounts', 't.n')} AS id, {ts('t.modified_at')} AS modified_at,
        t.name, {sid('users', 't.owner_n')} AS owner_id, t.territory,
        {ts('t.created_at')} AS created_at, {ts('t.churned_at')} AS churned_at FROM accounts t""",
    "leads": f"""SELECT {sid('leads', 't.n')} AS id, {ts('t.modified_at')} AS modified_at,
        {ts('t.created_at')} AS created_at, {sid('users', 't.owner_n')} AS owner_id,
        {method_of_source('t.source')} AS contact_method, t.status,
        {ts('t.converted_on::TIMESTAMP')} AS converted_at,
        {sid('opportunities', 't.converted_opportunity_n')} AS converted_opportunity_id,
        {sid('accounts', 't.converted_account_n')} AS converted_account_id FROM leads t""",
    "opportunities": f"""SELECT {sid('opportunities', 't.n')} AS id,
        {ts('t.modified_at')} AS modified_at, {sid('accounts', 't.account_n')} AS account_id,
        {sid('users', 't.owner_n')} AS owner_id, {ts('t.created_at')} AS created_at,
        t.close_date, t.is_closed, t.is_won, t.amount, t.currency, t.cost,
        {method_of_source('t.source')} AS contact_method,
        (SELECT {sid('leads', 'min(l.n)')} FROM leads l WHERE NOT l.is_deleted
           AND l.converted_opportunity_n = t.n) AS lead_id,
        t.territory, t.deal_type AS type FROM opportunities t""",
    "line_items": f"""SELECT {sid('line_items', 't.n')} AS id, {ts('t.modified_at')} AS modified_at,
        {sid('opportunities', 't.opportunity_n')} AS opportunity_id,
        {sid('products', 't.product_n')} AS product_id, p.name AS product_name, t.quantity,
        t.unit_price, t.unit_cost FROM line_items t LEFT JOIN products p ON p.n = t.product_n""",
    "activities": f"""SELECT CASE WHEN t.kind = 'task' THEN {sid('task', 't.n')}
        ELSE {sid('event', 't.n')} END AS id, {ts('t.modified_at')} AS modified_at,
        {ACTIVITY_METHOD} AS method, {ts('t.occurred_at')} AS occurred_at,
        {sid('users', 't.owner_n')} AS owner_id,
        CASE WHEN t.who_kind = 'lead' THEN {sid('leads', 't.who_n')} END AS lead_id,
        CASE WHEN t.what_kind = 'opportunity' THEN {sid('opportunities', 't.what_n')} END
          AS opportunity_id, {sid('accounts', 't.account_n')} AS account_id
        FROM activities t""",
    "survey_responses": f"""SELECT {sid('surveys', 't.n')} AS id,
        {ts('t.modified_at')} AS modified_at, {sid('accounts', 't.account_n')} AS account_id,
        {sid('contacts', 't.contact_n')} AS contact_id, t.score::INTEGER AS score,
        {ts('t.responded_at')} AS responded_at FROM surveys t""",
    "costs": f"""SELECT {sid('campaigns', 't.n')} AS id, {ts('t.modified_at')} AS modified_at,
        t.start_date AS period_start, t.end_date AS period_end, t.actual_cost AS amount,
        t.currency, 'marketing' AS category, NULL AS team, NULL AS owner_id,
        t.campaign_type AS channel FROM campaigns t WHERE t.actual_cost IS NOT NULL""",
    "exchange_rates": f"""SELECT {sid('dated_rates', 't.n')} AS id,
        {ts('t.modified_at')} AS modified_at, t.iso_code AS currency,
        1.0 / t.rate AS rate_to_reporting, t.start_date AS valid_from FROM dated_rates t""",
}


def export_files(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    """Write one CSV per normalized entity (non-deleted records); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, select in SELECTS.items():
        entity = ENTITY_BY_NAME[name]
        cols = ", ".join(entity.data_fields)
        where = "WHERE NOT t.is_deleted" if "WHERE" not in select.rsplit("FROM", 1)[-1] else (
            "AND NOT t.is_deleted"
        )
        path = folder / entity.file
        sql = f"SELECT {cols} FROM ({select} {where} ORDER BY t.n)"
        con.execute(f"COPY ({sql}) TO '{_quote(path)}' (HEADER, DELIMITER ',')")
        written.append(path)
    return written


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
