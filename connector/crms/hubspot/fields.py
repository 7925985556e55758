"""The properties the writer owns, derived from the KPI registry and the writer mapping.

A unit decides the property's format (`UNIT_FORMATS`): number properties shown as a
percentage (which holds 45 for 45 %: the stored 0.45 is sent × 100), as currency (the
portal's currency symbol; values in the reporting currency), or as a formatted number;
dates are date properties. Values are sent rounded to the KPI's display decimals.
Labels and the description come from `connector.presentation`. HubSpot has no
separate help text: reps read the description beside the value, so it is written in
their words (the definition, what the part means, the currency, the basis in use), and
ends with the "Managed by crm-kpi" marker in words too (`HELP_TAIL`), never a KPI key,
a setting or a command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector.crms.hubspot.mapping import PushMapping
from connector.presentation import (
    MANAGED,
    RECORD_COLUMNS,
    FigureUnit,
    Slot,
    Wording,
    figure_help,
    get_figure,
    kpi_slots,
    slot_help,
    slot_label,
)
from connector.store.push import (
    AccountValues,
    Column,
    KpiRecords,
    PushPlan,
    SlotKey,
)

COMPANIES = "companies"
KEY_PROPERTY = "kpi_key"
NAME_PROPERTY = "kpi_name"
OWNER_PROPERTY = "hubspot_owner_id"
PERCENT_FACTOR = 100.0
# unit → (type, fieldType, numberDisplayHint, showCurrencySymbol)
UNIT_FORMATS: dict[FigureUnit, tuple[str, str, str | None, bool | None]] = {
    "money": ("number", "number", "currency", True),
    "ratio": ("number", "number", "percentage", None),
    "days": ("number", "number", "formatted", None),
    "score": ("number", "number", "formatted", None),
    "multiple": ("number", "number", "formatted", None),
    "date": ("date", "date", None, None),
    "datetime": ("datetime", "date", None, None),
}
# kpi_results column → (property, type, label, help) of what a KPI record says about itself.
RECORD_PROPERTIES: dict[str, tuple[str, str, str, str]] = {
    c.key: (NAME_PROPERTY if c.key == "name" else c.key,
            "datetime" if c.instant else "date" if c.date else "string", c.label, c.help)
    for c in RECORD_COLUMNS
}  # fmt: skip
_RECORD_UNITS: dict[str, FigureUnit] = {"date": "date", "datetime": "datetime"}
HELP_TAIL = f"{MANAGED} every night: an edit here is overwritten by the next run."
"""How every description ends: how the writer knows its own properties, read by reps."""
KEY_HELP = ("What the record is, as one unique key: month|2026-11|owner|<the rep's owner "
            "id>, quarter|2026-Q3|team|West, year|2026|company|.")  # fmt: skip


@dataclass(frozen=True)
class PropertyDef:
    """One property the writer owns, and how values reach it."""

    name: str
    unit: FigureUnit | None  # None: text
    label: str
    help: str
    decimals: int | None = None
    unique: bool = False

    def spec(self, group: str) -> dict[str, Any]:
        """The properties API body that creates (or updates) it."""
        kind, field_type, hint, symbol = (
            UNIT_FORMATS[self.unit] if self.unit else ("string", "text", None, None)
        )
        spec: dict[str, Any] = {
            "name": self.name, "label": self.label, "type": kind, "fieldType": field_type,
            "groupName": group, "description": f"{self.help} {HELP_TAIL}",
        }  # fmt: skip
        if hint is not None:
            spec["numberDisplayHint"] = hint
        if symbol is not None:
            spec["showCurrencySymbol"] = symbol
        if self.unique:
            spec["hasUniqueValue"] = True
        return spec

    def column(self) -> Column:
        """How the push fills it: percentages × 100, rounded to the display decimals."""
        if self.unit is None:
            return Column(self.name, "text")
        if self.unit in ("date", "datetime"):
            return Column(self.name, "date" if self.unit == "date" else "datetime")
        factor = PERCENT_FACTOR if self.unit == "ratio" else 1.0
        return Column(self.name, "number", factor, self.decimals)


def kpi_property(slot: Slot) -> str:
    """``total_revenue_value``, ``sales_by_contact_method_phone_target``."""
    which = f"_{slot.breakdown}" if slot.breakdown else ""
    return f"{slot.kpi.key}{which}_{slot.part}"


def slot_property(slot: Slot, wording: Wording) -> PropertyDef:
    """The property of one KPI slot on the KPI object."""
    return PropertyDef(kpi_property(slot), slot.unit, slot_label(slot), slot_help(slot, wording),
                       slot.decimals)  # fmt: skip


def object_properties(push: PushMapping, wording: Wording) -> list[PropertyDef]:
    """Every property of the KPI object: the unique key first, what a record says about
    itself, then per KPI its value, target, attainment and pace."""
    props = [PropertyDef(KEY_PROPERTY, None, "KPI key", KEY_HELP, unique=True)]
    props += [PropertyDef(name, _RECORD_UNITS.get(kind), label, help_text)
              for name, kind, label, help_text in RECORD_PROPERTIES.values()]  # fmt: skip
    props += [slot_property(s, wording) for s in kpi_slots(push.kpis)]
    return props


def company_properties(push: PushMapping, wording: Wording) -> list[PropertyDef]:
    """Each company's own figures, in the "Sales KPIs" group."""
    out = []
    for key in push.account_fields:
        figure = get_figure(key)
        help_text = figure_help(figure, wording)
        out.append(PropertyDef(push.account_field(key), figure.unit, figure.label,
                               help_text, figure.decimals))  # fmt: skip
    return out


def default_owner_token(push: PushMapping) -> str | None:
    """What the push compares as the owner of records that are no active rep's (the
    writer turns it into an owner id when it sends); None: such records get no owner."""
    return f"default owner:{push.default_owner}" if push.default_owner else None


def push_plan(push: PushMapping, wording: Wording) -> PushPlan:
    """Where the writer puts KPI values: `sales_kpi` records and company properties."""
    slots: dict[SlotKey, Column] = {
        (s.kpi.key, s.breakdown_type, s.breakdown, s.part): slot_property(s, wording).column()
        for s in kpi_slots(push.kpis)
    }
    record = {col: PropertyDef(name, _RECORD_UNITS.get(kind), "", "").column()
              for col, (name, kind, _, _) in RECORD_PROPERTIES.items()}  # fmt: skip
    records = KpiRecords(push.object, slots, record, OWNER_PROPERTY, KEY_PROPERTY,
                         default_owner_token(push))  # fmt: skip
    accounts = None
    if push.account_fields:
        props = company_properties(push, wording)
        columns = {key: p.column() for key, p in zip(push.account_fields, props, strict=True)}
        accounts = AccountValues(COMPANIES, columns)
    return PushPlan(push.current_period_type, records, None, accounts)
