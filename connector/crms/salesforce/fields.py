"""The fields the writer owns, derived from the KPI registry and the writer mapping.

A unit decides the field type (`UNIT_TYPES`): ratios are Percent fields (which hold 45
for 45 %: the stored 0.45 is sent × 100), money is Currency (in the reporting currency),
days, scores and multiples are Number; a KPI's display decimals are the field's scale,
and values are sent rounded to it (the API stores what it is given, unrounded). Labels,
help texts and the "Managed by crm-kpi" description come from `connector.presentation`.
`OwnerId` and `Name` of `Sales_KPI__c` rows are the standard fields written, on the
writer's own object: the owner so that private sharing keeps reps to their own rows, the
name ("Kira Lee · Nov 2026", a Text name setup deploys) so that records read as what they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from connector.crms.salesforce.mapping import PushMapping, camel, field_name
from connector.presentation import (
    RECORD_COLUMNS,
    REP_AS_OF,
    Figure,
    FigureUnit,
    Slot,
    Wording,
    figure_help,
    get_figure,
    kpi_slots,
    managed_description,
    slot_help,
    slot_label,
)
from connector.store.push import (
    AccountValues,
    Column,
    Kind,
    KpiRecords,
    PushPlan,
    RepValues,
    SlotKey,
)

FieldType = Literal["Text", "Number", "Currency", "Percent", "Date", "DateTime"]
UNIT_TYPES: dict[FigureUnit, FieldType] = {
    "money": "Currency", "ratio": "Percent", "days": "Number", "score": "Number",
    "multiple": "Number", "date": "Date", "datetime": "DateTime",
}  # fmt: skip
NUMERIC: frozenset[str] = frozenset({"Number", "Currency", "Percent"})
PERCENT_FACTOR = 100.0
PRECISION = 18  # digits in all; precision − scale of them before the decimal point
TEXT_LENGTH = 255
LABEL_LIMIT = 40
HELP_LIMIT = 510
OWNER_FIELD = "OwnerId"
NAME_FIELD = "Name"
# kpi_results column → (field, type, label, help) of what a KPI record says about itself
# (its name goes to the standard Name field, NAME_FIELD).
RECORD_FIELDS: dict[str, tuple[str, FieldType, str, str]] = {
    c.key: (f"{camel(c.key)}__c", "DateTime" if c.instant else "Date" if c.date else "Text",
            c.label, c.help)
    for c in RECORD_COLUMNS
    if c.key != "name"
}


@dataclass(frozen=True)
class FieldDef:
    """One custom field, as the Tooling API creates it, and how values reach it."""

    name: str
    type: FieldType
    label: str
    help: str = ""
    what: str = ""
    scale: int = 0
    external_id: bool = False

    def metadata(self) -> dict[str, Any]:
        """The `Metadata` of a Tooling `CustomField` (the whole definition: an update
        replaces it)."""
        meta: dict[str, Any] = {
            "label": self.label,
            "type": self.type,
            "inlineHelpText": self.help[:HELP_LIMIT] or None,
            "description": managed_description(self.what),
        }
        if self.type == "Text":
            meta["length"] = TEXT_LENGTH
        if self.type in NUMERIC:
            meta.update(precision=PRECISION, scale=self.scale)
        if self.external_id:
            meta.update(externalId=True, unique=True, caseSensitive=True)
        return meta

    def column(self) -> Column:
        """How the push fills it: Percent × 100, rounded to the scale, within range."""
        if self.type not in NUMERIC:
            kinds: dict[str, Kind] = {"Date": "date", "DateTime": "datetime"}
            return Column(self.name, kinds.get(self.type, "text"))
        factor = PERCENT_FACTOR if self.type == "Percent" else 1.0
        return Column(self.name, "number", factor, self.scale, 10.0 ** (PRECISION - self.scale))


def slot_field(name: str, slot: Slot, wording: Wording, period: str | None = None) -> FieldDef:
    """The field of one KPI slot (`period`: a current-period field on a rep's record)."""
    return FieldDef(
        name,
        UNIT_TYPES[slot.unit],
        slot_label(slot, period, LABEL_LIMIT),  # type: ignore[arg-type]
        slot_help(slot, wording, period),  # type: ignore[arg-type]
        slot.key + (f" of the current {period}" if period else ""),
        slot.decimals,
    )


def figure_field(name: str, figure: Figure, wording: Wording) -> FieldDef:
    """The Account field of one account figure."""
    what = f"account figure {figure.key}"
    help_text = figure_help(figure, wording)
    return FieldDef(name, UNIT_TYPES[figure.unit], figure.label, help_text, what, figure.decimals)


def kpi_object_fields(push: PushMapping, wording: Wording) -> list[FieldDef]:
    """Every custom field of the KPI object, external id first, then what a record says
    about itself, then per KPI its value, target, attainment and pace."""
    about = "period type|period|scope type|scope id: the key the writer upserts by."
    key = FieldDef(push.external_id, "Text", "KPI key", about, "record key", external_id=True)
    fields = [key]
    fields += [FieldDef(n, t, label, h, f"record {col}") for col, (n, t, label, h) in
               RECORD_FIELDS.items()]  # fmt: skip
    fields += [
        slot_field(field_name(push.kpi_fields[s.kpi.key], s), s, wording)
        for s in kpi_slots(push.kpi_fields)
    ]
    return fields


def user_fields(push: PushMapping, wording: Wording) -> list[FieldDef]:
    """Each rep's current-period value, target, attainment and pace of the mapped KPIs,
    and when they were computed."""
    period = push.current_period_type
    return [
        slot_field(field_name(push.user_field(s.kpi.key), s), s, wording, period)
        for s in kpi_slots(push.user_fields)
    ] + [rep_as_of_field()]


def rep_as_of_field() -> FieldDef:
    """`KPI_As_Of__c` on User: when the rep's current figures were computed."""
    return FieldDef(f"KPI_{camel(REP_AS_OF.key)}__c", "DateTime", REP_AS_OF.label,
                    REP_AS_OF.help, "rep figures as_of")  # fmt: skip


def account_fields(push: PushMapping, wording: Wording) -> list[FieldDef]:
    """Each account's own figures."""
    return [
        figure_field(push.account_field(key), get_figure(key), wording)
        for key in push.account_fields
    ]


def writer_fields(push: PushMapping, wording: Wording) -> dict[str, list[FieldDef]]:
    """sObject → the fields the writer owns on it (only the objects it writes)."""
    fields = {push.object: kpi_object_fields(push, wording)}
    if push.user_fields:
        fields["User"] = user_fields(push, wording)
    if push.account_fields:
        fields["Account"] = account_fields(push, wording)
    return fields


def default_owner_token(push: PushMapping) -> str:
    """What the push compares as the owner of rows that are no active rep's; the writer
    turns it into a User Id when it sends (so an unchanged owner costs no call)."""
    return f"default owner:{push.default_owner or 'integration user'}"


def push_plan(push: PushMapping, wording: Wording) -> PushPlan:
    """Where the writer puts KPI values: `Sales_KPI__c` rows, User and Account fields."""
    record_fields = {col: FieldDef(n, t, "").column() for col, (n, t, _, _) in
                     RECORD_FIELDS.items()}  # fmt: skip
    record_fields["name"] = FieldDef(NAME_FIELD, "Text", "").column()
    slots: dict[SlotKey, Column] = {
        (s.kpi.key, s.breakdown_type, s.breakdown, s.part): slot_field(
            field_name(push.kpi_fields[s.kpi.key], s), s, wording
        ).column()
        for s in kpi_slots(push.kpi_fields)
    }
    records = KpiRecords(push.object, slots, record_fields, OWNER_FIELD,
                         default_owner=default_owner_token(push))  # fmt: skip
    reps = None
    if push.user_fields:
        period = push.current_period_type
        reps = RepValues("User", {
            (s.kpi.key, s.part): slot_field(
                field_name(push.user_field(s.kpi.key), s), s, wording, period).column()
            for s in kpi_slots(push.user_fields) if s.breakdown is None
        }, as_of=rep_as_of_field().column())  # fmt: skip
    accounts = None
    if push.account_fields:
        accounts = AccountValues("Account", {
            key: f.column() for key, f in zip(push.account_fields,
                                              account_fields(push, wording), strict=True)
        })  # fmt: skip
    return PushPlan(push.current_period_type, records, reps, accounts)
