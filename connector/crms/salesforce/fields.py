"""The fields the writer owns: the `Sales_KPI__c` object and the User/Account fields.

All derive from the writer mapping; every one is a custom (``__c``) field. `OwnerId`
of `Sales_KPI__c` rows is the one standard field written, on the writer's own object,
so that private sharing keeps reps to their own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from connector.crms.salesforce.mapping import PushMapping
from connector.store.push import ACCOUNTS_BY, CurrentValues, Kind, KpiRecords, PushPlan

FieldType = Literal["Text", "Number", "Date"]
OWNER_FIELD = "OwnerId"
NUMBER_PRECISION, NUMBER_SCALE = 18, 6


@dataclass(frozen=True)
class FieldDef:
    """One custom field, as the Tooling API creates it."""

    name: str
    type: FieldType
    label: str
    external_id: bool = False

    def metadata(self) -> dict[str, Any]:
        """The `Metadata` of a Tooling `CustomField`."""
        meta: dict[str, Any] = {"label": self.label, "type": self.type}
        if self.type == "Text":
            meta["length"] = 255
        if self.type == "Number":
            meta.update(precision=NUMBER_PRECISION, scale=NUMBER_SCALE)
        if self.external_id:
            meta.update(externalId=True, unique=True, caseSensitive=True)
        return meta


PERIOD_FIELDS: dict[str, tuple[str, FieldType]] = {
    "period_type": ("Period_Type__c", "Text"),
    "period": ("Period__c", "Text"),
    "period_start": ("Period_Start__c", "Date"),
    "period_end": ("Period_End__c", "Date"),
    "scope_type": ("Scope_Type__c", "Text"),
    "scope_id": ("Scope_Id__c", "Text"),
}
KPI_PARTS: dict[str, str] = {"value": "", "target": "_Target", "attainment": "_Attainment"}


def _label(name: str) -> str:
    return name.removesuffix("__c").replace("_", " ")


def kpi_value_fields(push: PushMapping) -> dict[tuple[str, str], str]:
    """(kpi, value|target|attainment) → field name on the KPI object."""
    return {
        (kpi, part): f"{base}{suffix}__c"
        for kpi, base in push.kpi_fields.items()
        for part, suffix in KPI_PARTS.items()
    }


def kpi_object_fields(push: PushMapping) -> list[FieldDef]:
    """Every custom field of the KPI object, external id first."""
    fields = [FieldDef(push.external_id, "Text", "KPI Key", external_id=True)]
    fields += [FieldDef(name, kind, _label(name)) for name, kind in PERIOD_FIELDS.values()]
    fields += [FieldDef(n, "Number", _label(n)) for n in kpi_value_fields(push).values()]
    return fields


def push_plan(push: PushMapping) -> PushPlan:
    """Where the writer puts KPI values: `Sales_KPI__c` rows, User and Account fields."""
    period: dict[str, tuple[str, Kind]] = {
        col: (name, "date" if t == "Date" else "text") for col, (name, t) in PERIOD_FIELDS.items()
    }
    current = [CurrentValues("User", push.user_fields, "owner")] if push.user_fields else []
    if push.account_fields:
        on = ACCOUNTS_BY[push.account_scope]
        current.append(CurrentValues("Account", push.account_fields, on))
    return PushPlan(
        kpis=tuple(push.kpi_fields),
        current_period_type=push.current_period_type,
        records=KpiRecords(push.object, kpi_value_fields(push), period, OWNER_FIELD),
        current=tuple(current),
    )


def record_fields(mapped: dict[str, str]) -> list[FieldDef]:
    """The custom number fields named by `user_fields` or `account_fields`."""
    return [FieldDef(name, "Number", _label(name)) for name in mapped.values()]
