"""The Salesforce mapping (`mappings/salesforce.yaml`): sObjects and fields → entities.

Each stream is a small declarative entry: which sObject fills which normalized entity,
its key and cursor, and field → field. Names are checked as API identifiers here and
against the org's describe before any pull; values only ever go through value maps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from connector.crms.cadence import DEFAULT_EVERY_HOURS, EveryHours
from connector.crms.salesforce.soql import check_field_path, check_identifier
from connector.kpis import KPI_KEYS, KPIS, KpiKey, get_kpi
from connector.presentation import FIGURE_KEYS, Part, Slot, kpi_slots
from connector.schema import CONTACT_METHOD_FIELDS, CONTACT_METHODS, ENTITY_BY_NAME, EntityName
from connector.settings import KnownKpi, MoneyKpi
from connector.yamlfile import KeyPath, Problem, load_model, located_error, render_path

Identifier = Annotated[str, AfterValidator(check_identifier)]
FieldPath = Annotated[str, AfterValidator(check_field_path)]
Transform = Literal["reciprocal", "day_start"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """Where one normalized field comes from, when a plain field name is not enough."""

    field: FieldPath | None = None
    const: str | None = None
    values: str | None = Field(default=None, description="name of an entry of value_maps")
    default: str | None = Field(default=None, description="value when the CRM field is empty")
    only_ids_of: Identifier | None = Field(
        default=None, description="keep a polymorphic reference only when it points here"
    )
    transform: Transform | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> FieldSpec:
        if (self.field is None) == (self.const is None):
            raise ValueError("give exactly one of field or const")
        return self


class Stream(_Strict):
    """One sObject feeding one normalized entity."""

    entity: EntityName
    object: Identifier
    key: Identifier = "Id"
    cursor: Identifier = "SystemModstamp"
    incremental: bool = Field(default=True, description="false: always pulled whole")
    soft_deletes: bool = Field(default=True, description="read IsDeleted through queryAll")
    fields: dict[str, FieldPath | FieldSpec]
    exclude: dict[FieldPath, list[str]] = Field(default_factory=dict)
    include: dict[FieldPath, list[str]] = Field(default_factory=dict)
    require: list[FieldPath] = Field(default_factory=list)

    def spec(self, name: str) -> FieldSpec:
        """The field spec of normalized field `name`."""
        value = self.fields[name]
        return value if isinstance(value, FieldSpec) else FieldSpec(field=value)

    def crm_fields(self) -> list[str]:
        """Every CRM field path this stream reads, key and cursor first."""
        paths = [self.key, self.cursor]
        paths += [s.field for s in map(self.spec, self.fields) if s.field is not None]
        paths += [*self.exclude, *self.include, *self.require]
        return list(dict.fromkeys(paths))


PART_SUFFIXES: dict[Part, str] = {"value": "", "target": "_Target", "attainment": "_Attainment",
                                   "pace": "_Pace"}  # fmt: skip
MAX_NAME = 40  # characters of a custom field's API name, without __c
_USERNAME = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_USER_ID = re.compile(r"^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$")
PageKind = Literal["home", "user", "account", "opportunity"]
"""A page the KPI card goes on: the Home page, or the User, Account or Opportunity record page."""


def _check_readers(value: list[str]) -> list[str]:
    cleaned = [v.strip() for v in value]
    if not cleaned or any(not v for v in cleaned):
        raise ValueError("name at least one profile, role or user, none of them empty")
    return list(dict.fromkeys(cleaned))


Readers = Literal["all_active"] | Annotated[list[str], AfterValidator(_check_readers)]


def camel(words: str) -> str:
    """``contact_method`` → ``Contact_Method``: API names from the registry's keys."""
    return "_".join(p.capitalize() for p in words.split("_"))


def _default_kpi_fields() -> dict[KpiKey, str]:
    """Total_Revenue, Closing_Ratio, ...; a KPI split by a breakdown is named after it
    (By_Contact_Method), whose values then name its fields (By_Contact_Method_Phone)."""
    return {k.key: f"By_{camel(k.split_by)}" if k.split_by else camel(k.key) for k in KPIS}


def field_name(base: str, slot: Slot) -> str:
    """The field of one slot: ``Total_Revenue_Target__c``, ``By_Contact_Method_Phone__c``;
    `base` is a name with or without ``__c``."""
    which = f"_{camel(slot.breakdown)}" if slot.breakdown else ""
    return f"{base.removesuffix('__c')}{which}{PART_SUFFIXES[slot.part]}__c"


def _check_owner(value: str) -> str:
    if not (_USERNAME.match(value) or _USER_ID.match(value)):
        raise ValueError("must be a Salesforce username (an e-mail address) or a User Id (005…)")
    return value


class Handed(_Strict):
    """An existing field the config hands over to the writer (`take_over: true`): setup
    then gives it crm-kpi's type, label and help text, and the push writes into it."""

    field: Identifier
    take_over: bool = False


class PushMapping(_Strict):
    """What the writer writes: the KPI object, each rep's current values on User, each
    account's own figures on Account. It only ever writes custom fields it created, or
    that are handed over with `take_over: true`, and never one the pull mapping reads."""

    object: Identifier = "Sales_KPI__c"
    external_id: Identifier = "KPI_Key__c"
    kpi_fields: dict[KnownKpi, Identifier] = Field(default_factory=_default_kpi_fields)
    current_period_type: Literal["month", "quarter", "year"] = "month"
    default_owner: Annotated[str, AfterValidator(_check_owner)] | None = Field(
        default=None, description="owner of the rows that are no active rep's (default: "
        "the integration user)")  # fmt: skip
    user_fields: dict[KnownKpi, Identifier | Handed] = Field(default_factory=dict)
    account_fields: dict[str, Identifier | Handed] = Field(default_factory=dict)
    account_scope: str | None = Field(default=None, description="no longer used")
    report_name: str = Field(default="Sales KPIs", min_length=1, max_length=40)
    dashboard_name: str = Field(default="Sales KPIs", min_length=1, max_length=80)
    readers: Readers = Field(
        default="all_active", description="who gets the readers' permission set: "
        "all_active (every active internal user) or a list of profile names, role names "
        "and user e-mails or usernames")  # fmt: skip
    share_company: bool = Field(
        default=False, description="company, team and territory rows readable by every "
        "internal user (a criteria sharing rule); reps' rows stay their own")  # fmt: skip
    pages: list[PageKind] = Field(
        default_factory=list, description="Lightning pages setup deploys with the KPI card "
        "(never activated: an admin activates them or drags the card onto their own)")  # fmt: skip

    def user_field(self, kpi: str) -> str:
        """The value field of a KPI on User (its other parts are named after it)."""
        return _name(self.user_fields[kpi])  # type: ignore[index]

    def account_field(self, figure: str) -> str:
        """The Account field of an account figure."""
        return _name(self.account_fields[figure])

    def handed_over(self, sobject: str) -> set[str]:
        """The fields of `sobject` the mapping hands over (`take_over: true`), lower case."""
        mapped: list[str | Handed] = []
        if sobject.lower() in ("user", "account"):
            kind = self.user_fields if sobject.lower() == "user" else self.account_fields
            mapped = list(kind.values())
        return {v.field.lower() for v in mapped if isinstance(v, Handed) and v.take_over}

    def written(self) -> list[tuple[str, str, KeyPath]]:
        """Every (sObject, field, mapping key path) the writer writes, the KPI object's first."""
        push: KeyPath = ("push",)
        out = [(self.object, self.external_id, (*push, "external_id"))]
        for slot in kpi_slots(self.kpi_fields):
            base = self.kpi_fields[slot.kpi.key]
            out.append((self.object, field_name(base, slot), (*push, "kpi_fields", slot.kpi.key)))
        for slot in kpi_slots(self.user_fields):
            where = (*push, "user_fields", slot.kpi.key)
            out.append(("User", field_name(self.user_field(slot.kpi.key), slot), where))
        for key in self.account_fields:
            out.append(("Account", self.account_field(key), (*push, "account_fields", key)))
        return out

    @model_validator(mode="after")
    def _fields_the_writer_may_create(self) -> PushMapping:
        problems = self._key_problems() + self._name_problems()
        if problems:
            raise located_error("PushMapping", problems)
        return self

    def _key_problems(self) -> list[tuple[KeyPath, str, str]]:
        """Keys that name nothing the writer can write (obsolete, split, not a figure)."""
        problems: list[tuple[KeyPath, str, str]] = []
        if self.account_scope is not None:
            message = ("account_scope is no longer used: Account fields now hold each "
                       "account's own figures; remove it")  # fmt: skip
            problems.append((("account_scope",), "obsolete", message))
        for kpi in self.user_fields:
            if get_kpi(kpi).split_by:
                message = (f"the KPI {kpi} has one value per {get_kpi(kpi).split_by}: it has no "
                           "single value for a rep's record")  # fmt: skip
                problems.append((("user_fields", kpi), "split", message))
        if "account" in self.pages and not self.account_fields:
            message = ("the card shows an account's own figures, and account_fields names "
                       "none: map some, or leave account out of pages")  # fmt: skip
            problems.append((("pages",), "account_page", message))
        for figure in self.account_fields:
            if figure not in FIGURE_KEYS:
                hint = (" (a KPI of the account's territory is no longer written on accounts)"
                        if figure in KPI_KEYS else "")  # fmt: skip
                message = f"{figure!r} is not an account figure ({', '.join(FIGURE_KEYS)}){hint}"
                problems.append((("account_fields", figure), "figure", message))
        return problems

    def _name_problems(self) -> list[tuple[KeyPath, str, str]]:
        """Names the writer may not create: standard, too long, written twice."""
        problems: list[tuple[KeyPath, str, str]] = []
        given: list[tuple[KeyPath, str]] = [
            (("object",), self.object),
            (("external_id",), self.external_id),
        ]
        given += [(("user_fields", k), self.user_field(k)) for k in self.user_fields]
        given += [(("account_fields", k), self.account_field(k)) for k in self.account_fields]
        for path, name in given:
            if not name.endswith("__c"):
                message = f"the standard name {name} is never written: use a __c name"
                problems.append((path, "standard", message))
        seen: dict[tuple[str, str], KeyPath] = {}
        for sobject, name, at in self.written():
            path = at[1:]
            if len(name) - 3 > MAX_NAME:
                message = f"the name {name} is longer than {MAX_NAME} characters before __c"
                problems.append((path, "length", message))
            first = seen.setdefault((sobject, name.lower()), path)
            if first != path:
                message = f"the field {sobject}.{name} is also written by {render_path(first)}"
                problems.append((path, "duplicate", message))
        return problems


def _name(value: str | Handed) -> str:
    return value.field if isinstance(value, Handed) else value


class QuotaTargets(_Strict):
    """Collaborative Forecasts' quotas (ForecastingQuota) read as targets of `kpi`."""

    kpi: MoneyKpi = "total_revenue"
    forecasting_types: list[Identifier] = Field(
        default_factory=lambda: ["OpportunityRevenue"],
        description="ForecastingType DeveloperNames whose amount quotas are read; [] = all",
    )
    every_hours: EveryHours = DEFAULT_EVERY_HOURS


class TargetsMapping(_Strict):
    """Where the org keeps targets; nothing is read unless named here."""

    quotas: QuotaTargets | None = None


class SalesforceMapping(_Strict):
    """The whole mapping file."""

    value_maps: dict[str, dict[str, str]] = Field(default_factory=dict)
    streams: list[Stream] = Field(min_length=1)
    opportunity_lead_from_conversion: bool = True
    targets: TargetsMapping = Field(default_factory=TargetsMapping)
    push: PushMapping = Field(default_factory=PushMapping)

    @model_validator(mode="after")
    def _fields_fit_entities(self) -> SalesforceMapping:
        problems: list[Problem] = []
        for index, stream in enumerate(self.streams):
            problems += [(("streams", index, *loc), kind, message)
                         for loc, kind, message in self._stream_problems(stream)]  # fmt: skip
        problems += self._method_map_problems()
        if problems:
            raise located_error("SalesforceMapping", problems)
        return self

    @model_validator(mode="after")
    def _writes_nothing_it_reads(self) -> SalesforceMapping:
        """The writer never writes a field the pull reads (it would feed on its own output)."""
        read: dict[tuple[str, str], int] = {}
        for index, stream in enumerate(self.streams):
            for path in stream.crm_fields():
                read.setdefault((stream.object.lower(), _read_field(path).lower()), index)
        problems: list[Problem] = []
        for sobject, name, where in self.push.written():
            index = read.get((sobject.lower(), name.lower()), -1)
            if index >= 0:
                stream = self.streams[index]
                message = (
                    f"the writer never writes a field it reads: {sobject}.{name} is read by "
                    f"streams[{index}] ({stream.entity} from {stream.object})"
                )
                problems.append((where, "read_field", message))
        if problems:
            raise located_error("SalesforceMapping", problems)
        return self

    def _stream_problems(self, stream: Stream) -> list[Problem]:
        entity = ENTITY_BY_NAME[stream.entity]
        known = set(entity.data_fields) - {"id", "modified_at"}
        problems: list[Problem] = [
            (("fields", n), "field", f"not a field of {entity.name}")
            for n in stream.fields
            if n not in known
        ]
        required = set(entity.required_fields) - {"id", "modified_at"}
        problems += [
            (("fields",), "missing", f"fields.{n} is required by {entity.name}")
            for n in sorted(required - set(stream.fields))
        ]
        for name in stream.fields:
            spec = stream.spec(name)
            if spec.values is not None and spec.values not in self.value_maps:
                message = f"no value map named {spec.values!r} in value_maps"
                problems.append((("fields", name, "values"), "value_map", message))
        return problems

    def _method_map_problems(self) -> list[Problem]:
        """Value maps that fill a contact method may only give contact methods."""
        method_maps = {
            stream.spec(name).values
            for stream in self.streams
            for name in stream.fields
            if name == CONTACT_METHOD_FIELDS.get(stream.entity)
        }
        return [
            (("value_maps", map_name, crm_value), "contact_method",
             f"{method!r} is not a contact method ({', '.join(CONTACT_METHODS)})")
            for map_name in sorted(m for m in method_maps if m in self.value_maps)
            for crm_value, method in self.value_maps[map_name].items()
            if method not in CONTACT_METHODS
        ]  # fmt: skip


def _read_field(path: str) -> str:
    """The field of the record a path reads: ``Territory__c``; ``Owner__r.Name`` reads
    ``Owner__c`` and ``UserRole.Name`` reads ``UserRoleId``."""
    first, _, rest = path.partition(".")
    if not rest:
        return first
    return first[:-3] + "__c" if first.endswith("__r") else first + "Id"


def load_mapping(path: Path) -> SalesforceMapping:
    """Read and validate a Salesforce mapping; `ConfigError` names file:line key.path."""
    return load_model(path, SalesforceMapping)
