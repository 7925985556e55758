"""HubSpot goals (`goal_targets`) → the `targets` entity (origin goal).

A goal target is assigned to a user (`hs_assignee_user_id`) or a team
(`hs_assignee_team_id`). The user id is the owners API's `userId`, not the owner `id`
that deals carry (and that the store's owners have): the owners API maps one to the
other, and names each team. A goal's period is its start and end (a month, quarter or
year); its amount is in the portal's home currency.

Goals are few (assignees × periods): every pull reads them whole (list API, 100 a call,
plus the owners), so a goal gone from the portal leaves the store. A token without the
goals scope, or a portal without goals, reads none: the pull says so and goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from connector.crms import cadence
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.errors import HubSpotApiError, TokenRefused
from connector.crms.hubspot.mapping import GoalTargets
from connector.crms.hubspot.paging import list_pages
from connector.errors import AuthError
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult, ParseOptions, Store, ingest_rows

GOALS = "goal_targets"
PROPERTIES = ["hs_goal_name", "hs_target_amount", "hs_start_datetime", "hs_end_datetime",
              "hs_assignee_user_id", "hs_assignee_team_id", "hs_lastmodifieddate"]  # fmt: skip
COLUMNS = ["id", "modified_at", "kpi", "period_type", "period_start", "scope_type", "scope_id",
           "value", "currency", "origin"]  # fmt: skip
_PERIOD_TYPES = {1: "month", 3: "quarter", 12: "year"}
Json = dict[str, Any]


@dataclass
class Assignees:
    """Who goals can be assigned to: user id → owner id, team id → team name; and each
    owner's e-mail."""

    owners: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def read(cls, api: HubSpotApi) -> Assignees:
        """From the owners API, active and archived owners alike."""
        found = cls()
        for archived in (False, True):
            for page, _ in list_pages(partial(api.owners_page, archived=archived)):
                for owner in page.get("results") or []:
                    found.emails[str(owner["id"])] = owner.get("email")
                    if owner.get("userId") is not None:
                        found.owners[str(owner["userId"])] = str(owner["id"])
                    found.teams |= {str(t["id"]): str(t["name"]) for t in owner.get("teams") or []}
        return found


def read_goals(
    api: HubSpotApi, settings: GoalTargets | None, *, store: Store, source: str,
    opts: ParseOptions,
) -> tuple[IngestResult, str | None]:  # fmt: skip
    """Load the portal's goals as this source's targets (a full set: none when
    `settings` is None or they cannot be read), and a note when they cannot be read."""
    rows: list[list[Any]] = []
    note = None
    if settings is not None:
        if not cadence.due(store, source, "goals", settings, settings.every_hours):
            return IngestResult(source, "targets"), None
        try:
            goals = _every_goal(api)
        except (AuthError, HubSpotApiError) as exc:
            if not goals_unavailable(exc):
                raise
            goals, note = [], unavailable_note(source, str(exc))
        if goals:
            rows = goal_rows(goals, settings, Assignees.read(api))
    result = ingest_rows(store, source=source, entity=ENTITY_BY_NAME["targets"],
                         columns=COLUMNS, rows=rows, origin=GOALS,
                         opts=opts, full=True)  # fmt: skip
    cadence.read(store, source, "goals", settings)
    return result, note


def goals_unavailable(exc: AuthError | HubSpotApiError) -> bool:
    """Whether a refusal means this token or portal has no goals (a missing scope, a
    portal without them), so the run goes on without; a refused token is not that."""
    return not isinstance(exc, TokenRefused) and getattr(exc, "status", 403) in (400, 403, 404)


def unavailable_note(source: str, reason: str) -> str:
    """What is said when the portal's goals cannot be read."""
    return f"{source}: HubSpot goals cannot be read ({reason}): no goal targets are read"


def _every_goal(api: HubSpotApi) -> list[Json]:
    goals: list[Json] = []
    for page, _ in list_pages(lambda after: api.list_page(GOALS, PROPERTIES, after)):
        goals += page.get("results") or []
    return goals


def goal_rows(
    goals: Iterable[Json], settings: GoalTargets, assignees: Assignees
) -> list[list[Any]]:
    """Target rows (COLUMNS) of the goals with a name the mapping reads."""
    names = {name.lower() for name in settings.goal_names}
    rows = []
    for goal in goals:
        props = goal.get("properties") or {}
        if names and str(props.get("hs_goal_name") or "").lower() not in names:
            continue
        period = _period(props)
        if period is None:
            continue  # not a month, quarter or year: no KPI period to compare it with
        team = props.get("hs_assignee_team_id")
        if team:
            scope_type, scope_id = "team", assignees.teams.get(str(team))
        else:
            scope_type, scope_id = "owner", assignees.owners.get(str(props.get(
                "hs_assignee_user_id")))  # fmt: skip
        rows.append([goal["id"], props.get("hs_lastmodifieddate"), settings.kpi, period[0],
                     period[1], scope_type, scope_id, props.get("hs_target_amount"),
                     settings.currency, "goal"])  # fmt: skip
    return rows


def _period(props: Json) -> tuple[str, dt.date] | None:
    """(period type, first day) of a goal running from one month's first day to the end
    of another's; None for any other span. Portals set a goal's bounds at midnight of
    their own time zone: each is read as the day nearest to it."""
    try:
        start = _nearest_day(str(props["hs_start_datetime"]))
        end = _nearest_day(str(props["hs_end_datetime"]))
    except (KeyError, ValueError):
        return None
    end += dt.timedelta(days=0 if end.day == 1 else 1)  # 23:59:59.999 or the last day
    months = (end.year - start.year) * 12 + end.month - start.month
    if start.day != 1 or end.day != 1 or months not in _PERIOD_TYPES:
        return None
    return _PERIOD_TYPES[months], start


def _nearest_day(stamp: str) -> dt.date:
    instant = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (instant.astimezone(dt.UTC) + dt.timedelta(hours=12)).date()
