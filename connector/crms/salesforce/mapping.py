"""The Salesforce mapping (`mappings/salesforce.yaml`): sObjects and fields → entities.

Each stream is a small declarative entry: which sObject fills which normalized entity,
its key and cursor, and field → field. Names are checked as API identifiers here and
against the org's describe before any pull; values only ever go through value maps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from connector.crms.cadence import DEFAULT_EVERY_HOURS, EveryHours
from connector.crms.language import Handed as SharedHanded
from connector.crms.language import MappingRules, PushFields, StreamRules, field_of, read_mapping
from connector.crms.salesforce.soql import check_field_path, check_identifier
from connector.kpis import KPIS, KpiKey, get_kpi
from connector.presentation import Part, Slot, kpi_slots
from connector.schema import ENTITY_BY_NAME, EntityName
from connector.settings import KnownKpi, MoneyKpi
from connector.yamlfile import KeyPath, Problem, located_error, render_path

Identifier = Annotated[str, AfterValidator(check_identifier)]
FieldPath = Annotated[str, AfterValidator(check_field_path)]
Transform = Literal["reciprocal", "day_start"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class FieldSpec:
    """Where one normalized field comes from, gathered from the stream's sections."""

    field: str | None = None
    const: str | None = None
    values: str | dict[str, str] | None = None
    default: str | None = None
    only_ids_of: str | None = None
    transform: Transform | None = None


class Stream(StreamRules):
    """One sObject feeding one normalized entity (the shared sections, docs/mappings.md,
    and Salesforce's own: key, cursor, incremental, soft_deletes, include, require,
    transforms, only_ids_of)."""

    own_sections: ClassVar[tuple[str, ...]] = ("transforms", "only_ids_of")

    entity: EntityName
    object: Identifier
    key: Identifier = "Id"
    cursor: Identifier = "SystemModstamp"
    incremental: bool = Field(default=True, description="false: always pulled whole")
    soft_deletes: bool = Field(default=True, description="read IsDeleted through queryAll")
    fields: dict[str, FieldPath] = Field(default_factory=dict)
    exclude: dict[FieldPath, list[str]] = Field(default_factory=dict)
    include: dict[FieldPath, list[str]] = Field(default_factory=dict)
    require: list[FieldPath] = Field(default_factory=list)
    transforms: dict[str, Transform] = Field(default_factory=dict)
    only_ids_of: dict[str, Identifier] = Field(
        default_factory=dict, description="keep a polymorphic reference only when it points here")

    def own_problems(self) -> list[Problem]:
        """Required fields unmapped; transforms and only_ids_of of no field."""
        entity = ENTITY_BY_NAME[self.entity]
        required = set(entity.required_fields) - {"id", "modified_at"}
        problems: list[Problem] = [
            (("fields",), "missing", f"fields.{n} is required by {entity.name}")
            for n in sorted(required - set(self.names()))
        ]
        problems += [
            ((section, name), "no_field", f"{section}.{name} applies to the CRM's field, "
             f"and fields.{name} names none")
            for section in self.own_sections for name in getattr(self, section)
            if name not in self.fields
        ]  # fmt: skip
        return problems

    def names(self) -> list[str]:
        """Every normalized field the stream fills: its fields, then its constants."""
        return [*self.fields, *(n for n in self.constants if n not in self.fields)]

    def spec(self, name: str) -> FieldSpec:
        """Where normalized field `name` comes from."""
        return FieldSpec(field=self.fields.get(name), const=self.constants.get(name),
                         values=self.values.get(name), default=self.defaults.get(name),
                         only_ids_of=self.only_ids_of.get(name),
                         transform=self.transforms.get(name))  # fmt: skip

    def crm_fields(self) -> list[str]:
        """Every CRM field path this stream reads, key and cursor first."""
        paths = [self.key, self.cursor, *self.fields.values()]
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


class Handed(SharedHanded):
    """An existing field the config hands over to the writer (`take_over: true`)."""

    field: Identifier


class PushMapping(PushFields):
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
    integration_user: Annotated[str, AfterValidator(_check_owner)] | None = Field(
        default=None, description="who gets the writer's permission set: the user crm-kpi "
        "run connects as, when setup runs as someone else (an admin); a username or a User "
        "Id (default: the user setup connects as)")  # fmt: skip
    user_fields: dict[KnownKpi, Identifier | Handed] = Field(default_factory=dict)
    account_fields: dict[str, Identifier | Handed] = Field(default_factory=dict)  # type: ignore[assignment]
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
        "(activated only with activate_pages: an admin activates them or drags the card "
        "onto their own)")  # fmt: skip
    activate_pages: bool = Field(
        default=False, description="make setup's Account and Opportunity pages the org "
        "default where the org has no Lightning page activated for that object")  # fmt: skip

    def user_field(self, kpi: str) -> str:
        """The value field of a KPI on User (its other parts are named after it)."""
        return field_of(self.user_fields[kpi])  # type: ignore[index]

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
        problems = self.figure_problems("Account fields", "account", "accounts")
        for kpi in self.user_fields:
            if get_kpi(kpi).split_by:
                message = (f"the KPI {kpi} has one value per {get_kpi(kpi).split_by}: it has no "
                           "single value for a rep's record")  # fmt: skip
                problems.append((("user_fields", kpi), "split", message))
        if "account" in self.pages and not self.account_fields:
            message = ("the card shows an account's own figures, and account_fields names "
                       "none: map some, or leave account out of pages")  # fmt: skip
            problems.append((("pages",), "account_page", message))
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


class SalesforceMapping(MappingRules):
    """The whole mapping file."""

    streams: list[Stream] = Field(min_length=1)
    opportunity_lead_from_conversion: bool = True
    targets: TargetsMapping = Field(default_factory=TargetsMapping)
    push: PushMapping = Field(default_factory=PushMapping)

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


def _read_field(path: str) -> str:
    """The field of the record a path reads: ``Territory__c``; ``Owner__r.Name`` reads
    ``Owner__c`` and ``UserRole.Name`` reads ``UserRoleId``."""
    first, _, rest = path.partition(".")
    if not rest:
        return first
    return first[:-3] + "__c" if first.endswith("__r") else first + "Id"


def load_mapping(path: Path) -> SalesforceMapping:
    """Read and validate a Salesforce mapping; `ConfigError` names file:line key.path."""
    return read_mapping(path, SalesforceMapping)
