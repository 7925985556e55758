"""The SQL of the diff-only push (`push.py`): from the stored KPI results and the plan's
temp tables to the values each CRM field should hold, one row per target × record × field.
Only constants: field names and values reach it as bound parameters or table rows."""

from __future__ import annotations

from connector.presentation import ACCOUNT_FIGURES, AS_OF
from connector.store.scopes import scope_name_sql

KEY_SQL = (
    "k.period_type || '|' || k.period || '|' || k.scope_type || '|' || coalesce(k.scope_id, '-')"
)
# The period in words ("Nov 2026", "Q3 2026", "2026"), and the record's name: the scope's
# name cut so that the whole fits NAME_LIMIT characters (Salesforce's Name holds 80).
NAME_LIMIT = 80
_PERIOD_WORDS = (
    "CASE k.period_type WHEN 'month' THEN strftime(k.period_start, '%b %Y') "
    "WHEN 'quarter' THEN split_part(k.period, '-', 2) || ' ' || split_part(k.period, '-', 1) "
    "ELSE k.period END"
)
_RECORD_NAME = (
    f"left(k.scope_name, {NAME_LIMIT - 3} - length({_PERIOD_WORDS})) || ' · ' || "
    f"{_PERIOD_WORDS}"
)
_RECORD_VALUE = (
    "CASE f.col WHEN 'period_type' THEN k.period_type WHEN 'period' THEN k.period "
    "WHEN 'period_start' THEN CAST(k.period_start AS VARCHAR) "
    "WHEN 'period_end' THEN CAST(CAST(k.period_end - INTERVAL 1 DAY AS DATE) AS VARCHAR) "
    "WHEN 'scope_type' THEN k.scope_type WHEN 'scope_id' THEN k.scope_id "
    "WHEN 'scope_name' THEN k.scope_name WHEN 'period_status' THEN k.period_status "
    f"WHEN 'pace_note' THEN k.pace_note WHEN '{AS_OF}' THEN k.as_of "
    f"ELSE {_RECORD_NAME} END"
)
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.000Z"
"""How an "as of" is sent: ISO 8601 in UTC, as Salesforce's and HubSpot's APIs take it."""
# The kpi_results rows a writer pushes: its own source's when the config has several
# sources (they are stored under its name), else the all-sources rows (source NULL).
OWN_RESULTS = (
    "source IS NOT DISTINCT FROM "
    "(CASE WHEN EXISTS (SELECT 1 FROM kpi_results WHERE source = $source) THEN $source END)"
)
def _shown(expression: str, fields: str) -> str:
    """A stored number as its field shows it: scaled, rounded to the field's decimals,
    as text; NULL for a missing or non-finite value."""
    scaled = f"({expression}) * {fields}.factor"
    return (
        f"CAST(CASE WHEN isfinite({expression}) THEN "
        f"CASE WHEN {fields}.decimals IS NULL THEN {scaled} "
        f"ELSE round({scaled}, CAST({fields}.decimals AS INTEGER)) END END AS VARCHAR)"
    )


_PART_VALUE = (
    "CASE m.part WHEN 'value' THEN r.value WHEN 'target' THEN r.target "
    "WHEN 'attainment' THEN r.attainment ELSE r.pace END"
)
# Whether a row's period was in progress when computed (rows of versions before
# period_status: whether it is today, in UTC).
IN_PROGRESS = (
    "coalesce(period_status = 'in progress', "
    "period_start <= current_date AND current_date < period_end)"
)
# Every period × scope with results, its scope's name for people, its record key, its
# status, pace note and stamp, and whether the stamp is sent every run (`fresh`).
# Parameter: $source.
KEYS_SQL = f"""
SELECT k.*, {scope_name_sql("k", "o.name")} AS scope_name
FROM (SELECT period_type, period, period_start, period_end, scope_type, scope_id,
        CASE WHEN bool_or({IN_PROGRESS}) THEN 'in progress'
             ELSE coalesce(max(period_status), 'closed') END AS period_status,
        string_agg(DISTINCT pace_note, '; ' ORDER BY pace_note) AS pace_note,
        strftime(max(computed_at), '{STAMP_FORMAT}') AS as_of,
        bool_or({IN_PROGRESS}) AS fresh
      FROM _push_base
      GROUP BY period_type, period, period_start, period_end, scope_type, scope_id) k
LEFT JOIN (SELECT id, name FROM owners WHERE source = $source AND NOT is_deleted) o
  ON k.scope_type = 'owner' AND o.id = k.scope_id
"""
# The KPI records: numbers, what each record says about itself, its key and its owner.
RECORDS_SQL = f"""
SELECT p.target, {KEY_SQL} AS key, m.field, {_shown(_PART_VALUE, "m")} AS value,
  'number' AS kind, false AS stamp, k.fresh
FROM _push_base r JOIN _push_fields m ON m.kpi = r.kpi
  AND m.breakdown_type IS NOT DISTINCT FROM r.breakdown_type
  AND m.breakdown_value IS NOT DISTINCT FROM r.breakdown_value
JOIN _push_keys k ON k.period_type = r.period_type AND k.period = r.period
  AND k.scope_type = r.scope_type AND k.scope_id IS NOT DISTINCT FROM r.scope_id,
  _push_record p
UNION ALL
SELECT p.target, {KEY_SQL}, f.field, {_RECORD_VALUE}, f.kind, f.col = '{AS_OF}', k.fresh
FROM _push_keys k, _push_record_fields f, _push_record p
UNION ALL
SELECT p.target, {KEY_SQL}, p.key_field, {KEY_SQL}, 'text', false, k.fresh
FROM _push_keys k, _push_record p WHERE p.key_field IS NOT NULL
UNION ALL
SELECT p.target, {KEY_SQL}, p.owner_field,
  CASE WHEN k.scope_type = 'owner' AND k.scope_id IN (SELECT id FROM _push_owners)
       THEN k.scope_id ELSE p.default_owner END, 'text', false, k.fresh
FROM _push_keys k, _push_record p
"""
# The current period's values on the records of active reps, and when they were computed.
REPS_SQL = f"""
SELECT m.target, r.scope_id, m.field, {_shown(_PART_VALUE, "m")}, 'number', false, true
FROM _push_current r JOIN _push_rep_fields m ON m.kpi = r.kpi
WHERE r.scope_type = 'owner' AND r.scope_id IN (SELECT id FROM _push_owners)
UNION ALL
SELECT a.target, r.scope_id, a.field, strftime(max(r.computed_at), '{STAMP_FORMAT}'),
  'datetime', true, true
FROM _push_current r, _push_rep_as_of a
WHERE r.scope_type = 'owner' AND r.scope_id IN (SELECT id FROM _push_owners)
GROUP BY a.target, r.scope_id, a.field
"""
# Each live account's own figures (account_figures, from the last full computation).
_NUMBERS = "CASE m.figure " + " ".join(
    f"WHEN '{f.key}' THEN CAST(f.{f.key} AS DOUBLE)" for f in ACCOUNT_FIGURES if f.unit != "date"
) + " END"  # fmt: skip
_DATES = "CASE m.figure " + " ".join(
    f"WHEN '{f.key}' THEN CAST(f.{f.key} AS VARCHAR)" for f in ACCOUNT_FIGURES if f.unit == "date"
) + " END"  # fmt: skip
ACCOUNTS_SQL = f"""
SELECT m.target, f.account_id, m.field,
  CASE m.kind WHEN 'date' THEN {_DATES} ELSE {_shown(_NUMBERS, "m")} END, m.kind, false, false
FROM account_figures f JOIN _push_figure_fields m ON true
WHERE f.source = $source
"""
