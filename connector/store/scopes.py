"""What people call a KPI scope: the rep's name for an owner scope, "West (team)",
"North (territory)", "Company". One wording for the CLI's tables and their json/csv, the
offline dashboard's reps and the KPI records written into a CRM.

An owner scope's id is the owner's CRM id or, when several CRMs are merged, the lowered
e-mail or `source:id` (`kpi/sql/kpi_owner.sql`); `OWNER_NAMES_SQL` matches all three.
"""

from __future__ import annotations

OWNER_NAMES_SQL = """
SELECT key, arg_min(name, rank) AS name, arg_min(team, rank) AS team FROM (
  SELECT id AS key, name, team, 0 AS rank FROM owners WHERE NOT is_deleted AND {own}
  UNION ALL SELECT lower(email), name, team, 1 FROM owners
            WHERE NOT is_deleted AND email IS NOT NULL AND {own}
  UNION ALL SELECT source || ':' || id, name, team, 2 FROM owners
            WHERE NOT is_deleted AND {own})
GROUP BY key
""".format(own="($source IS NULL OR source = $source)")
"""Each owner scope id → the live owner's name and team: of source `$source`'s owners,
or of every source's when it is NULL (the merged results). A CRM id wins over an e-mail,
an e-mail over `source:id`."""


def scope_name_sql(scope: str, owner_name: str) -> str:
    """The SQL expression naming the scope in table alias `scope` (its scope_type and
    scope_id); `owner_name` is the column holding an owner scope's name (when it is NULL,
    the owner is no longer in the store: its id is shown)."""
    return (
        f"CASE {scope}.scope_type WHEN 'company' THEN 'Company' "
        f"WHEN 'owner' THEN coalesce({owner_name}, {scope}.scope_id) "
        f"ELSE {scope}.scope_id || ' (' || {scope}.scope_type || ')' END"
    )
