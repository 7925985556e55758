"""Goals: the `goal_targets` object (read-only) over the org's quotas of reps and teams.

HubSpot's goals guide (developers.hubspot.com/docs/api-reference/…/goals/guide) describes
one goal target per time slice (a month here) with `hs_goal_name`, `hs_target_amount`,
`hs_start_datetime`, `hs_end_datetime`, the family `hs_group_correlation_uuid` and the
schedule `hs_goal_target_group_id`, assigned to a user (`hs_assignee_user_id`) or a team
(`hs_assignee_team_id`); scope `crm.objects.goals.read`. The assignee is a *user* id: the
owners API's `userId`, not the owner `id` deals carry — public connectors map one to the
other through the owners API, so the sandbox leaves `hubspot_owner_id` of goals empty.
Amounts are in the portal's home currency (USD); `hs_kpi_value` (won revenue of the
assignee in the period) and `hs_kpi_progress_percent` are computed when read.
"""

from __future__ import annotations

from ..org.tables import ADMIN_USER_N
from .model import TEAM_BASE, USER_BASE, ObjectType
from .props import Prop

GOALS_BASE = 96 * 10**9
TARGET = "round(t.amount / c.rate, 2)"
END = "(t.start_date + INTERVAL 1 MONTH)::TIMESTAMP - INTERVAL 1 MILLISECOND"
# Won revenue (USD) of the goal's assignee — the rep, or the team's reps — in its month.
KPI = ("(SELECT coalesce(sum(o.amount / oc.rate), 0) FROM opportunities o "
       "JOIN currencies oc ON oc.iso_code = o.currency JOIN users ou ON ou.n = o.owner_n "
       "WHERE o.is_won AND NOT o.is_deleted AND o.close_date >= t.start_date "
       "AND o.close_date < t.start_date + INTERVAL 1 MONTH AND CASE t.scope "
       "WHEN 'rep' THEN o.owner_n = t.owner_n ELSE ou.team_n = t.team_n END)")
FAMILY = ("regexp_replace(md5('crm-kpi goal family ' || t.scope), "
          "'^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\\1-\\2-\\3-\\4-\\5')")


def prop(name: str, label: str, sql: str, type_: str = "number") -> Prop:
    field_type = {"number": "number", "string": "text", "datetime": "date"}[type_]
    return Prop(name, label, type_, field_type, sql, read_only=True)


def goal_targets() -> ObjectType:
    """Goal targets of reps and teams (HubSpot has no territories)."""
    o = ObjectType("goal_targets", "0-74", "Goal target", "Goal targets", "quotas", GOALS_BASE,
                   "crm.objects.goals", "crm.objects.goals",
                   groups={"goal_target_information": "Goal target information"},
                   default_props=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
                   always=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
                   row_filter="t.scope IN ('rep', 'team')",
                   joins="LEFT JOIN currencies c ON c.iso_code = t.currency",
                   query_props=("hs_goal_name",), writable=False)
    for p in (
        prop("hs_object_id", "Record ID", o.id_sql()),
        prop("hs_createdate", "Create date", "t.created_at", "datetime"),
        prop("hs_lastmodifieddate", "Last modified date", "t.modified_at", "datetime"),
        prop("hs_goal_name", "Goal name", "CASE t.scope WHEN 'rep' THEN 'Revenue quota' "
             "ELSE 'Team revenue quota' END", "string"),
        prop("hs_target_amount", "Target amount", TARGET),
        prop("hs_target_amount_in_home_currency", "Target amount in home currency", TARGET),
        prop("hs_start_datetime", "Start date", "t.start_date::TIMESTAMP", "datetime"),
        prop("hs_end_datetime", "End date", END, "datetime"),
        prop("hs_assignee_user_id", "Assignee user", f"t.owner_n + {USER_BASE}"),
        prop("hs_assignee_team_id", "Assignee team", f"CASE WHEN t.scope = 'team' THEN "
             f"t.team_n + {TEAM_BASE} END"),
        Prop("hubspot_owner_id", "Owner", "enumeration", "select", "NULL::VARCHAR",
             read_only=True),
        prop("hs_created_by_user_id", "Created by user", str(USER_BASE + ADMIN_USER_N)),
        prop("hs_group_correlation_uuid", "Goal family", FAMILY, "string"),
        prop("hs_goal_target_group_id", "Goal target group", "CASE t.scope WHEN 'rep' THEN "
             "1000000 + t.owner_n ELSE 2000000 + t.team_n END"),
        prop("hs_kpi_value", "Progress value", KPI),
        prop("hs_kpi_progress_percent", "Progress (%)", f"round({KPI} / {TARGET} * 100, 2)"),
    ):
        o.add(p)
    return o
