"""`crm-kpi setup hubspot`: create what the writer writes into, or bring it up to date.

Setup first reviews the portal (`owned.review`): a property the writer may not write
(HubSpot's own, not created by crm-kpi and not handed over, of another type) stops it
before any change, naming the mapping's file, line and key. Then: the KPI object if
missing (its records named "Kira Lee · 2026-11"), every missing property, every
property of its own whose label, description or format changed (updated in place:
values stay), and every property of its own the mapping no longer names, retired
(relabelled "Retired: …", its values cleared; never archived). A second run only reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.client import CUSTOM_OBJECT_LIMITS
from connector.crms.hubspot.errors import HubSpotApiError, MissingScope
from connector.crms.hubspot.fields import (
    COMPANIES,
    KEY_PROPERTY,
    NAME_PROPERTY,
    company_properties,
    object_properties,
)
from connector.crms.hubspot.mapping import PushMapping
from connector.crms.hubspot.owned import RETIRED, Step, review
from connector.crms.hubspot.send import Record, send_all
from connector.crms.push import Outcome, Review, Where, done
from connector.errors import AuthError, ConfigError, FatalError
from connector.presentation import MANAGED, Wording

Json = dict[str, Any]
SEARCH_PAGE = 200
ENTERPRISE_ONLY = ("custom objects need a Marketing, Sales, Service, Content or Data Hub "
                   "Enterprise subscription")  # fmt: skip


def custom_object_limit(api: HubSpotApi) -> int | None:
    """How many custom objects the portal may define (0 below Enterprise), from the
    limits tracking API, which answers on every tier; None when it was refused."""
    try:
        body = api.call(CUSTOM_OBJECT_LIMITS, "get", what="read custom object limits").body
    except (HubSpotApiError, AuthError):
        return None
    limit = body.get("limit")
    return limit if isinstance(limit, int) else None


def without_custom_objects(push: PushMapping, refusal: str = "") -> str:
    """What crm-kpi writes, and does not, on a portal without custom objects."""
    said = f" (HubSpot: {refusal})" if refusal else ""
    written = (f"each company's own figures ({len(push.account_fields)} company "
               "properties)" if push.account_fields else "nothing")  # fmt: skip
    return (f"this HubSpot portal has no custom objects{said}: {ENTERPRISE_ONLY}. Not "
            f"written: the {push.object} records (the KPIs of each rep, team, territory and "
            "the company per period), so the Sales KPIs card shows reps no figures; "
            f"written: {written}. See docs/hubspot.md, \"Subscription tiers\"")


def find_schema(api: HubSpotApi, name: str) -> Json | None:
    """The custom object schema named `name`, or None."""
    answer = api.call("crm.schemas.core_api", "get_all", what="list custom object schemas")
    for schema in answer.body.get("results") or []:
        if schema.get("name") == name:
            return dict(schema)
    return None


def object_egg(push: PushMapping, wording: Wording) -> Json:
    """The schema creation request of the KPI object."""
    group = f"{push.object}_information"
    return {
        "name": push.object,
        "labels": {"singular": "Sales KPI", "plural": "Sales KPIs"},
        "primaryDisplayProperty": NAME_PROPERTY,
        "requiredProperties": [KEY_PROPERTY],
        "searchableProperties": [KEY_PROPERTY, NAME_PROPERTY],
        "secondaryDisplayProperties": ["period", "scope_type"],
        "properties": [p.spec(group) for p in object_properties(push, wording)],
        "associatedObjects": ["COMPANY"],
    }


def wanted_properties(push: PushMapping, wording: Wording) -> dict[str, tuple[list[Any], str]]:
    """Object → (the properties the writer owns on it, their group)."""
    wanted = {push.object: (object_properties(push, wording), f"{push.object}_information")}
    if push.account_fields:
        wanted[COMPANIES] = (company_properties(push, wording), push.group)
    return wanted


def read_portal(api: HubSpotApi, push: PushMapping) -> tuple[Json | None, dict[str, Any]]:
    """(the KPI object's schema, object → name → property) as the portal has them."""
    schema = find_schema(api, push.object)
    existing: dict[str, Any] = {push.object: None}
    if schema is not None:
        existing[push.object] = {str(p["name"]): p for p in api.properties(push.object)}
    existing[COMPANIES] = {str(p["name"]): p for p in api.properties(COMPANIES)}
    return schema, existing


def portal_review(
    api: HubSpotApi, push: PushMapping, wording: Wording, where: Where
) -> Review[Step]:
    """What stands between the mapping and the portal (see `owned.review`)."""
    _, existing = read_portal(api, push)
    return review(existing, push, wanted_properties(push, wording), where)


def apply(api: HubSpotApi, push: PushMapping, wording: Wording, step: Step, today: dt.date) -> str:
    """Take one step; the action, as setup reports it."""
    if step.kind == "object":
        api.call("crm.schemas.core_api", "create", object_egg(push, wording),
                 what=f"create object {push.object}")  # fmt: skip
        return f"created custom object {push.object}"
    group = push.group if step.obj == COMPANIES else f"{push.object}_information"
    if step.kind == "create" and step.wanted is not None:
        spec = step.wanted.spec(group)
        api.call("crm.properties.core_api", "create", step.obj, spec,
                 what=f"create property {spec['name']}")  # fmt: skip
    elif step.kind == "update" and step.wanted is not None:
        spec = step.wanted.spec(group)
        body = {k: v for k, v in spec.items() if k not in ("name", "hasUniqueValue")}
        api.call("crm.properties.core_api", "update", step.obj, spec["name"], body,
                 what=f"update property {spec['name']}")  # fmt: skip
    elif step.kind == "retire" and step.existing is not None:
        cleared = retire(api, step.obj, step.existing, today)
        return f"{done(step)} ({cleared:,} values cleared)"
    return done(step)


def retire(api: HubSpotApi, obj: str, prop: Json, today: dt.date) -> int:
    """Relabel a property the writer no longer writes and clear its values; how many."""
    name = str(prop["name"])
    body = {
        "label": f"{RETIRED}: {prop.get('label') or name}",
        "description": f"No longer written by crm-kpi since {today:%Y-%m-%d}. {MANAGED}: "
        "kept without values, so reports that used it still open.",
    }
    api.call("crm.properties.core_api", "update", obj, name, body, what=f"retire {name}")
    ids = with_value(api, obj, name)
    records = [Record(i, {"id": i, "properties": {name: ""}}, []) for i in ids]
    outcome = Outcome()

    def send(inputs: list[Json]) -> Json:
        answer = api.call("crm.objects.batch_api", "update", obj, {"inputs": inputs},
                          what=f"clear {name} on {len(inputs)} {obj}")  # fmt: skip
        return answer.body

    send_all(records, send, outcome)
    if outcome.failed:
        raise FatalError(f"could not clear {obj}.{name} on {len(outcome.failed)} records, "
                         f"e.g. {outcome.failed[0]}")  # fmt: skip
    return len(ids)


def with_value(api: HubSpotApi, obj: str, name: str) -> list[str]:
    """Ids of the records where a property has a value (search, by id past 10,000)."""
    ids: list[str] = []
    while True:
        filters: list[Json] = [{"propertyName": name, "operator": "HAS_PROPERTY"}]
        if ids:
            filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": ids[-1]})
        body = {"filterGroups": [{"filters": filters}], "limit": SEARCH_PAGE,
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": ["hs_object_id"]}  # fmt: skip
        page = [str(r["id"]) for r in api.search(obj, body).get("results") or []]
        ids += page
        if len(page) < SEARCH_PAGE:  # the last page (or a lagging index: the next setup)
            return ids


def _ensure_group(api: HubSpotApi, push: PushMapping) -> list[str]:
    answer = api.call(
        "crm.properties.groups_api", "get_all", COMPANIES, what="list company property groups"
    )
    if any(g.get("name") == push.group for g in answer.body.get("results") or []):
        return []
    spec = {"name": push.group, "label": push.group_label, "displayOrder": -1}
    try:
        api.call(
            "crm.properties.groups_api", "create", COMPANIES, spec, what="create property group"
        )
    except HubSpotApiError as exc:
        if exc.status != 409:  # created meanwhile by another run: fine
            raise
        return []
    return [f"created property group {COMPANIES}.{push.group} ({push.group_label})"]


def _ensure_display(api: HubSpotApi, push: PushMapping) -> list[str]:
    """Records are listed by their readable name (earlier versions showed the key)."""
    schema = find_schema(api, push.object)
    if schema is None or schema.get("primaryDisplayProperty") == NAME_PROPERTY:
        return []
    patch = {"primaryDisplayProperty": NAME_PROPERTY,
             "searchableProperties": [KEY_PROPERTY, NAME_PROPERTY]}  # fmt: skip
    api.call("crm.schemas.core_api", "update", str(schema["objectTypeId"]), patch,
             what=f"update object {push.object}")  # fmt: skip
    return [f"updated custom object {push.object} (records named by {NAME_PROPERTY})"]


def object_allowed(api: HubSpotApi, steps: list[Step]) -> bool:
    """Whether the KPI object can be created (or exists): False on a portal whose
    subscription allows no custom objects. Costs a call only when the object is missing."""
    return not any(s.kind == "object" for s in steps) or custom_object_limit(api) != 0


def setup(api: HubSpotApi, push: PushMapping, wording: Wording, where: Where) -> list[str]:
    """Everything the writer needs; the actions taken (empty when all was in place).
    `ConfigError` (before any change) when the mapping names properties it may not write.
    On a portal without custom objects, the company properties and a line saying what is
    not written."""
    found = portal_review(api, push, wording, where)
    problems = found.problems + owner_problems(api, push, where)
    if problems:
        raise ConfigError(problems)
    actions = _ensure_group(api, push) if push.account_fields else []
    today = dt.date.today()
    steps = found.steps
    if not object_allowed(api, steps):
        steps = [s for s in steps if s.obj != push.object]
        actions.append(without_custom_objects(push))
    for step in steps:
        try:
            actions.append(apply(api, push, wording, step, today))
        except AuthError as exc:  # 403: the portal refused the object itself
            if step.kind != "object" or isinstance(exc, MissingScope):
                raise
            actions.append(without_custom_objects(push, str(exc).rpartition(": ")[2]))
    return actions + _ensure_display(api, push)


def default_owner_id(api: HubSpotApi, push: PushMapping) -> str | None:
    """The owner id `push.default_owner` names (an id, or an active owner's e-mail)."""
    wanted = push.default_owner
    if wanted is None:
        return None
    after: str | None = None
    while True:
        page = api.owners_page(after, archived=False)
        for owner in page.get("results") or []:
            if wanted.lower() in (str(owner.get("id")), str(owner.get("email") or "").lower()):
                return str(owner["id"])
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return None


def owner_problems(api: HubSpotApi, push: PushMapping, where: Where) -> list[str]:
    """The default owner must be an active owner of the portal."""
    if push.default_owner is None or default_owner_id(api, push) is not None:
        return []
    return [f"{where(('push', 'default_owner'))}: no active HubSpot owner "
            f"{push.default_owner}: name an owner id or e-mail, or leave it out"]  # fmt: skip
