"""The properties the writer owns: the `sales_kpi` object's and the company ones."""

from __future__ import annotations

from typing import Any

from connector.crms.hubspot.mapping import PushMapping
from connector.kpis import HIGHER_IS_BETTER
from connector.store.push import ACCOUNTS_BY, CurrentValues, Kind, KpiRecords, PushPlan

COMPANIES = "companies"
KEY_PROPERTY = "kpi_key"
OWNER_PROPERTY = "hubspot_owner_id"
PARTS = ("value", "target", "attainment")
# kpi_results column → (property, HubSpot type, field type) of the descriptive properties.
PERIOD_PROPERTIES: dict[str, tuple[str, str, str]] = {
    "period_type": ("period_type", "string", "text"),
    "period": ("period", "string", "text"),
    "period_start": ("period_start", "date", "date"),
    "period_end": ("period_end", "date", "date"),
    "scope_type": ("scope_type", "string", "text"),
    "scope_id": ("scope_id", "string", "text"),
}


def kpi_property(kpi: str, part: str) -> str:
    """``total_revenue_value``, ``cac_target``, ``nps_attainment``."""
    return f"{kpi}_{part}"


def push_plan(push: PushMapping) -> PushPlan:
    """Where the writer puts KPI values: `sales_kpi` records and company properties."""
    fields: dict[tuple[str, str], str] = {
        (kpi, part): kpi_property(kpi, part) for kpi in push.kpis for part in PARTS
    }
    period: dict[str, tuple[str, Kind]] = {
        col: (name, "text") for col, (name, _, _) in PERIOD_PROPERTIES.items()
    }
    current = []
    if push.company_properties:
        on = ACCOUNTS_BY[push.account_scope]
        current.append(
            CurrentValues(COMPANIES, {str(k): v for k, v in push.company_properties.items()}, on)
        )
    return PushPlan(
        kpis=tuple(push.kpis),
        current_period_type=push.current_period_type,
        records=KpiRecords(push.object, fields, period, OWNER_PROPERTY, KEY_PROPERTY),
        current=tuple(current),
    )


def _label(kpi: str, part: str) -> str:
    name = kpi.replace("_", " ").capitalize()
    better = (
        ""
        if part != "value"
        else (" (higher is better)" if HIGHER_IS_BETTER[kpi] else " (lower is better)")
    )
    return f"{name} {part}{better}"


def number_property(name: str, label: str, group: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "number",
        "fieldType": "number",
        "groupName": group,
    }


def object_properties(push: PushMapping, group: str) -> list[dict[str, Any]]:
    """Every property of the KPI object, `kpi_key` (unique) first."""
    props: list[dict[str, Any]] = [
        {
            "name": KEY_PROPERTY,
            "label": "KPI key",
            "type": "string",
            "fieldType": "text",
            "hasUniqueValue": True,
            "groupName": group,
        }
    ]
    for name, kind, field_type in PERIOD_PROPERTIES.values():
        label = name.replace("_", " ").capitalize()
        props.append(
            {
                "name": name,
                "label": label,
                "type": kind,
                "fieldType": field_type,
                "groupName": group,
            }
        )
    for kpi in push.kpis:
        props += [number_property(kpi_property(kpi, p), _label(kpi, p), group) for p in PARTS]
    return props


def company_properties(push: PushMapping) -> list[dict[str, Any]]:
    """The company properties of the mapping, in the "Sales KPIs" group."""
    return [
        number_property(
            name,
            f"{kpi.replace('_', ' ').capitalize()} (current {push.current_period_type})",
            push.group,
        )
        for kpi, name in push.company_properties.items()
    ]
