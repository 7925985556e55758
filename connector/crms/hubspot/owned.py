"""Which properties the writer owns, and what stands between the mapping and the portal.

The writer owns a property it created — its description says "Managed by crm-kpi" — or
one the mapping hands over with `take_over: true`. Properties created before
descriptions were written are recognised by where earlier versions put them: the KPI
object's `<kpi>_value|target|attainment` and record properties, and company properties
in the writer's own group. HubSpot's own properties are never written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from connector.crms.hubspot.fields import RECORD_PROPERTIES, PropertyDef
from connector.crms.hubspot.mapping import PushMapping
from connector.crms.push import Review
from connector.kpis import KPI_KEYS
from connector.presentation import is_managed
from connector.yamlfile import KeyPath

Json = dict[str, Any]
RETIRED = "Retired"
_LEGACY_OBJECT = frozenset(
    {"kpi_key"} | {p[0] for p in RECORD_PROPERTIES.values()}
    | {f"{k}_{part}" for k in KPI_KEYS for part in ("value", "target", "attainment")}
)  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One change setup makes: create the KPI object, create, update or retire a property."""

    kind: Literal["object", "create", "update", "retire"]
    obj: str
    wanted: PropertyDef | None = None
    existing: Json | None = None
    detail: str = ""

    def __str__(self) -> str:
        if self.kind == "object":
            return f"create custom object {self.obj}"
        name = self.wanted.name if self.wanted else str((self.existing or {}).get("name"))
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.kind} property {self.obj}.{name}{detail}"


def ours(prop: Json, *, own_object: bool, group: str) -> bool:
    """Whether the writer created this property (now or in an earlier version)."""
    if prop.get("hubspotDefined"):
        return False
    if is_managed(prop.get("description")):
        return True
    if prop.get("description"):
        return False
    name = str(prop.get("name"))
    return name in _LEGACY_OBJECT if own_object else prop.get("groupName") == group


def differs(prop: Json, wanted: Json) -> list[str]:
    """What setup has to change for the property to be the wanted one (empty: nothing)."""
    keys = ("label", "description", "groupName", "numberDisplayHint", "showCurrencySymbol")
    return [k for k in keys if k in wanted and prop.get(k) != wanted[k]]


def review(
    existing: dict[str, dict[str, Json] | None],
    push: PushMapping,
    wanted: dict[str, tuple[list[PropertyDef], str]],
    where: Callable[[KeyPath | None], str],
) -> Review[Step]:
    """Compare the properties the writer needs (object → (properties, group)) with the
    portal's (object → name → definition, None when the object does not exist)."""
    result: Review[Step] = Review()
    for obj, (defs, group) in wanted.items():
        have = existing.get(obj)
        own = obj == push.object
        if have is None:
            result.steps.append(Step("object", obj))
            continue
        for prop in defs:
            at = where(None if own else ("push", "account_fields", _figure(push, prop.name)))
            _check(result, at, obj, prop.spec(group), prop, have.get(prop.name), push, own)
        result.steps += [
            Step("retire", obj, None, p) for name, p in have.items()
            if name not in {d.name for d in defs}
            and not str(p.get("label", "")).startswith(RETIRED)
            and ours(p, own_object=own, group=push.group)
        ]  # fmt: skip
    return result


def _figure(push: PushMapping, name: str) -> str:
    return next((k for k in push.account_fields if push.account_field(k) == name), name)


def _check(
    result: Review[Step], at: str, obj: str, spec: Json, wanted: PropertyDef, found: Json | None,
    push: PushMapping, own: bool,
) -> None:  # fmt: skip
    full = f"{obj}.{wanted.name}"
    if found is None:
        result.steps.append(Step("create", obj, wanted))
        return
    handed = not own and wanted.name in push.handed_over()
    if found.get("hubspotDefined"):
        result.problems.append(
            f"{at}: {full} is one of HubSpot's own properties: the writer never writes it; "
            "map the figure to a property of your own"
        )
    elif not (handed or ours(found, own_object=own, group=push.group)):
        result.problems.append(
            f"{at}: {full} exists and was not created by crm-kpi: name another property, or "
            f"hand it over with {{field: {wanted.name}, take_over: true}}"
        )
    elif found.get("type") != spec["type"]:
        result.problems.append(
            f"{at}: {full} is a {found.get('type')} property; crm-kpi writes a {spec['type']} "
            "there, and HubSpot cannot change a property's type: name another property"
        )
    elif changes := differs(found, spec):
        result.steps.append(Step("update", obj, wanted, found, ", ".join(changes)))
