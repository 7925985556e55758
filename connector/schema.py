"""The normalized schema: what every source produces and the KPI engine reads.

Each entity is a pydantic model (the contract, usable to validate one record) and a
DuckDB table derived from the same annotations, so the two can never drift apart.
`FIELD_TYPES` is the explicit type map that the store uses to turn the strings CRMs
send into typed values, once, at the boundary.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ContactMethod(StrEnum):
    """The contact methods of KPI 7; CRM values are mapped onto these in YAML."""

    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"
    EVENT = "event"
    WEB = "web"
    REFERRAL = "referral"
    SOCIAL = "social"
    OTHER = "other"


CONTACT_METHODS: tuple[str, ...] = tuple(m.value for m in ContactMethod)
COST_CATEGORIES: tuple[str, ...] = ("sales", "marketing")


class Record(BaseModel):
    """Fields every normalized record carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    id: str
    modified_at: dt.datetime | None = None
    is_deleted: bool = False


class Owner(Record):
    name: str | None = None
    email: str | None = None
    team: str | None = None
    territory: str | None = None
    active: bool | None = None


class Account(Record):
    name: str | None = None
    owner_id: str | None = None
    territory: str | None = None
    created_at: dt.datetime | None = None
    churned_at: dt.datetime | None = None


class Lead(Record):
    created_at: dt.datetime
    owner_id: str | None = None
    contact_method: str | None = None
    status: str | None = None
    converted_at: dt.datetime | None = None
    converted_opportunity_id: str | None = None
    converted_account_id: str | None = None


class Opportunity(Record):
    account_id: str | None = None
    owner_id: str | None = None
    created_at: dt.datetime
    close_date: dt.date | None = None
    is_closed: bool = False
    is_won: bool = False
    amount: float | None = None
    currency: str | None = None
    cost: float | None = None
    contact_method: str | None = None
    lead_id: str | None = None
    territory: str | None = None
    type: str | None = None


class LineItem(Record):
    opportunity_id: str
    product_id: str | None = None
    product_name: str | None = None
    quantity: float | None = None
    unit_price: float | None = None
    unit_cost: float | None = None


class Activity(Record):
    method: str
    occurred_at: dt.datetime
    owner_id: str | None = None
    lead_id: str | None = None
    opportunity_id: str | None = None
    account_id: str | None = None


class SurveyResponse(Record):
    account_id: str | None = None
    contact_id: str | None = None
    score: Annotated[int, Field(ge=0, le=10)]
    responded_at: dt.datetime


class CostEntry(Record):
    period_start: dt.date
    period_end: dt.date
    amount: float
    currency: str | None = None
    category: Literal["sales", "marketing"]
    team: str | None = None
    owner_id: str | None = None
    channel: str | None = None


class ExchangeRate(Record):
    currency: str
    rate_to_reporting: Annotated[float, Field(gt=0)]
    valid_from: dt.date


PeriodType = Literal["month", "quarter", "year"]
ScopeType = Literal["company", "team", "owner", "territory"]
TargetOrigin = Literal["config", "csv", "quota", "goal"]
TARGET_ORIGINS: tuple[str, ...] = typing.get_args(TargetOrigin)
"""Where targets come from, in the order that breaks a tie between two targets of the
same KPI, period and scope: config.yaml, a CSV, Salesforce quotas, HubSpot goals."""


class TargetEntry(Record):
    """A target for one KPI, period type and scope, read from a CSV or a CRM.

    `kpi` is a key of the KPI registry. `period_start` is the first day of the one period
    it is for; NULL means every period of `period_type`. `scope_id` names the scope as
    people and CRMs do: an owner by CRM id or e-mail, a team or territory by name; NULL
    for the company. `value` is in `currency` for money KPIs (NULL: the reporting
    currency), else in the KPI's unit (a ratio as a fraction).
    """

    kpi: str
    period_type: PeriodType
    period_start: dt.date | None = None
    scope_type: ScopeType
    scope_id: str | None = None
    value: float
    currency: str | None = None
    origin: TargetOrigin


FieldType = Literal["str", "float", "int", "bool", "date", "timestamp"]

MAX_AMOUNT = 1e15
"""The largest magnitude a number of any record may have. Salesforce's widest currency
field (precision 18, scale 2) holds 16 digits before the point; a figure beyond 10^15 is
a typo or a placeholder (9.99e307), not a deal, and would make every sum it enters
unwritable. Larger numbers, NaN and infinities are quarantined with their record."""

MAX_TEXT = 255
"""The longest text a field keeps, in characters: Salesforce's longest Text field and its
longest standard name (Account Name). Longer text is cut to this length and a finding
says so; ids and references (`id`, `*_id`, `email`), which a cut would make name another
record, are never cut: the record is quarantined, or the reference cleared."""

DEFAULT_EARLIEST = dt.date(1970, 1, 1)
DEFAULT_YEARS_AHEAD = 10


@dataclass(frozen=True)
class DateWindow:
    """The business dates a record may carry: `earliest` to `latest`, both included.

    Outside it a date is a placeholder (9999-12-31, 0001-01-01) or a typo (2205 for
    2025): it is quarantined with its record, or, where the record is usable without it,
    cleared with a finding. The KPI calendar spans only this window.
    """

    earliest: dt.date
    latest: dt.date

    @classmethod
    def ahead_of(
        cls, today: dt.date, earliest: dt.date = DEFAULT_EARLIEST,
        years_ahead: int = DEFAULT_YEARS_AHEAD,
    ) -> DateWindow:  # fmt: skip
        """From `earliest` to `years_ahead` years after `today` (Feb 29 → Feb 28)."""
        year = min(today.year + years_ahead, dt.MAXYEAR)
        day = 28 if today.month == 2 and today.day == 29 else today.day
        return cls(earliest, dt.date(year, today.month, day))

    @classmethod
    def default(cls) -> DateWindow:
        """1970-01-01 to ten years after today (UTC): `reporting.date_window`'s default."""
        return cls.ahead_of(dt.datetime.now(dt.UTC).date())

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.earliest <= _day(day) <= self.latest

    def __str__(self) -> str:
        return f"{self.earliest.isoformat()} to {self.latest.isoformat()}"


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def is_reference(field: str) -> bool:
    """Whether a text field names a record or a person (an id, a reference, an e-mail):
    text that is never cut short, as a cut would make it name another one."""
    return field == "id" or field.endswith("_id") or field == "email"


_PY_TO_FIELD_TYPE: dict[Any, FieldType] = {
    str: "str",
    float: "float",
    int: "int",
    bool: "bool",
    dt.date: "date",
    dt.datetime: "timestamp",
}

SQL_TYPES: dict[FieldType, str] = {
    "str": "VARCHAR",
    "float": "DOUBLE",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}

RECORD_FIELDS: tuple[str, ...] = tuple(Record.model_fields)


@dataclass(frozen=True)
class Entity:
    """One normalized entity: its model, its table, and its export file name."""

    name: str
    model: type[Record]
    table: str
    file: str

    @property
    def field_types(self) -> dict[str, FieldType]:
        """Field name to normalized type, in declaration order (the type map)."""
        return {
            name: _field_type(info.annotation) for name, info in self.model.model_fields.items()
        }

    @property
    def data_fields(self) -> tuple[str, ...]:
        """Fields a source fills (everything but the bookkeeping of `Record`)."""
        return tuple(f for f in self.model.model_fields if f not in ("source", "is_deleted"))

    @property
    def required_fields(self) -> tuple[str, ...]:
        """Fields without which a record cannot be loaded."""
        return tuple(
            name
            for name, info in self.model.model_fields.items()
            if info.is_required() and name != "source"
        )

    def ddl(self) -> str:
        """CREATE TABLE statement for this entity."""
        cols = ",\n  ".join(f"{name} {SQL_TYPES[t]}" for name, t in self.field_types.items())
        return f"CREATE TABLE IF NOT EXISTS {self.table} (\n  {cols}\n)"


def _field_type(annotation: Any) -> FieldType:
    """Map a model annotation (optionally `X | None`, Annotated or Literal) to a FieldType."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _field_type(typing.get_args(annotation)[0])
    if origin in (types.UnionType, typing.Union):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _field_type(inner)
    if origin is Literal:
        return "str"
    return _PY_TO_FIELD_TYPE[annotation]


ENTITIES: tuple[Entity, ...] = (
    Entity("owners", Owner, "owners", "owners.csv"),
    Entity("accounts", Account, "accounts", "accounts.csv"),
    Entity("leads", Lead, "leads", "leads.csv"),
    Entity("opportunities", Opportunity, "opportunities", "opportunities.csv"),
    Entity("line_items", LineItem, "line_items", "line_items.csv"),
    Entity("activities", Activity, "activities", "activities.csv"),
    Entity("survey_responses", SurveyResponse, "survey_responses", "survey_responses.csv"),
    Entity("costs", CostEntry, "costs", "costs.csv"),
    Entity("exchange_rates", ExchangeRate, "exchange_rates", "exchange_rates.csv"),
    Entity("targets", TargetEntry, "targets", "targets.csv"),
)

# The names a mapping may give an entity (every entry of ENTITIES, checked by a test).
EntityName = Literal[
    "owners",
    "accounts",
    "leads",
    "opportunities",
    "line_items",
    "activities",
    "survey_responses",
    "costs",
    "exchange_rates",
    "targets",
]

ENTITY_BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}

# Entities whose exports often carry no id: the id is derived from these fields.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "exchange_rates": ("currency", "valid_from"),
    "costs": ("period_start", "period_end", "category", "team", "owner_id", "channel"),
    "targets": ("kpi", "period_type", "period_start", "scope_type", "scope_id", "origin"),
}

# Fields whose values must be one of the normalized contact methods.
CONTACT_METHOD_FIELDS: dict[str, str] = {
    "leads": "contact_method",
    "opportunities": "contact_method",
    "activities": "method",
}
