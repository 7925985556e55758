"""The HubSpot mapping (`mappings/hubspot.yaml`): which object and property fills each field.

The mapping is an explicit list of streams, each a small declarative entry: the
normalized entity it fills, the HubSpot object, the cursor property, the properties
(normalized field → HubSpot property), associations (field → associated object),
value maps, constants and exclusions. Costs and exchange rates, which HubSpot does not
hold, come from CSV files or inline YAML rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import AfterValidator, Field, model_validator

from connector.crms.cadence import DEFAULT_EVERY_HOURS, EveryHours
from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.kpis import KPI_KEYS, KpiKey
from connector.presentation import FIGURE_KEYS
from connector.schema import CONTACT_METHOD_FIELDS, CONTACT_METHODS, ENTITY_BY_NAME
from connector.settings import Currency, KnownKpi, MoneyKpi
from connector.yamlfile import (
    ConfigModel,
    ExistingFile,
    KeyPath,
    Problem,
    load_model,
    located_error,
)

StreamEntity = Literal[
    "accounts", "leads", "opportunities", "line_items", "activities", "survey_responses"
]
FileEntity = Literal["costs", "exchange_rates"]
HUBSPOT_PREFIXES = ("hs_", "hubspot_")
_PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class DealStages(ConfigModel):
    """How won/lost is read: the pipelines API's stage metadata, never stage labels."""

    stage_property: str = "dealstage"
    pipeline_property: str = "pipeline"
    pipelines: list[str] = Field(default_factory=list, description="pipeline ids; empty: all")
    # Only for stages the pipelines API does not know (legacy values): closed/won flags.
    closed_fallback: str | None = None
    won_fallback: str | None = None


class Stream(ConfigModel):
    """One HubSpot object filling one normalized entity."""

    entity: StreamEntity
    object: str = Field(min_length=1)
    cursor: str = "hs_lastmodifieddate"
    properties: dict[str, str] = Field(default_factory=dict)
    associations: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    defaults: dict[str, str] = Field(default_factory=dict)
    exclude: dict[str, list[str]] = Field(default_factory=dict)
    deal_stages: DealStages | None = None

    @model_validator(mode="after")
    def _known_fields(self) -> Stream:
        entity = ENTITY_BY_NAME[self.entity]
        fields = set(entity.data_fields) - {"id", "modified_at"}
        known = ", ".join(sorted(fields))
        problems: list[Problem] = [
            ((section, name), "field", f"{name} is not a field of {self.entity} ({known})")
            for section in ("properties", "associations", "values", "constants", "defaults")
            for name in getattr(self, section)
            if name not in fields
        ]
        if self.deal_stages is not None and self.entity != "opportunities":
            message = "deal_stages is only for the opportunities entity"
            problems.append((("deal_stages",), "deal_stages", message))
        problems += self._method_problems()
        if problems:
            raise located_error("Stream", problems)
        return self

    def _method_problems(self) -> list[Problem]:
        """A contact-method field's values and default may only be contact methods."""
        method = CONTACT_METHOD_FIELDS.get(self.entity)
        if method is None:
            return []
        given: list[tuple[KeyPath, str]] = [
            (("values", method, crm), value) for crm, value in self.values.get(method, {}).items()
        ]
        given += [((section, method), getattr(self, section)[method])
                  for section in ("constants", "defaults")
                  if method in getattr(self, section)]  # fmt: skip
        methods = ", ".join(CONTACT_METHODS)
        return [(loc, "contact_method", f"{value!r} is not a contact method ({methods})")
                for loc, value in given if value not in CONTACT_METHODS]  # fmt: skip

    @property
    def property_names(self) -> list[str]:
        """Every HubSpot property this stream reads, sorted, without repeats."""
        names = {OBJECT_ID_PROPERTY, self.cursor, *self.properties.values(), *self.exclude}
        stages = self.deal_stages
        if stages is not None:
            names |= {stages.stage_property, stages.pipeline_property}
            names |= {p for p in (stages.closed_fallback, stages.won_fallback) if p}
        return sorted(names)

    @property
    def key(self) -> str:
        """The name of this stream's cursor in the store's sync state."""
        return f"{self.entity}:{self.object}"


class Owners(ConfigModel):
    """Owners come from the owners API; a team's territory may be given here."""

    team_territories: dict[str, str] = Field(default_factory=dict)


class Handed(ConfigModel):
    """An existing property the config hands over to the writer (`take_over: true`):
    setup then gives it crm-kpi's label, description and format, and the push writes it."""

    property: str = Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")
    take_over: bool = False


def _check_owner(value: str) -> str:
    if not (value.isdigit() or _EMAIL.match(value)):
        raise ValueError("must be a HubSpot owner id (digits) or the owner's e-mail address")
    return value


class PushMapping(ConfigModel):
    """What the writer writes: the `sales_kpi` object (one record per period × scope,
    assigned to the rep it describes) and each company's own figures.

    The writer only writes properties it created (their description says "Managed by
    crm-kpi") or that are handed over with `take_over: true`, never HubSpot's own
    (`hs_*`, `hubspot_*`) nor one the streams read; it sets `hubspot_owner_id` of its
    own object's records only.
    """

    object: str = Field(default="sales_kpi", pattern=r"^[a-z][a-z0-9_]{0,49}$")
    kpis: list[KnownKpi] = Field(default_factory=lambda: cast("list[KpiKey]", list(KPI_KEYS)))
    group: str = Field(default="sales_kpis", pattern=r"^[a-z][a-z0-9_]{0,99}$")
    group_label: str = "Sales KPIs"
    current_period_type: Literal["month", "quarter", "year"] = "month"
    default_owner: Annotated[str, AfterValidator(_check_owner)] | None = Field(
        default=None, description="owner of the records that are no active rep's"
    )
    company_properties: dict[str, str | Handed] = Field(default_factory=dict)
    account_scope: str | None = Field(default=None, description="no longer used")

    def company_property(self, figure: str) -> str:
        """The company property of an account figure."""
        value = self.company_properties[figure]
        return value.property if isinstance(value, Handed) else value

    def handed_over(self) -> set[str]:
        """The company properties handed over with `take_over: true`."""
        return {v.property for v in self.company_properties.values()
                if isinstance(v, Handed) and v.take_over}  # fmt: skip

    @model_validator(mode="after")
    def _only_own_properties(self) -> PushMapping:
        problems: list[tuple[KeyPath, str, str]] = []
        if self.account_scope is not None:
            message = ("account_scope is no longer used: company properties now hold each "
                       "company's own figures; remove it")  # fmt: skip
            problems.append((("account_scope",), "obsolete", message))
        for figure in self.company_properties:
            where: KeyPath = ("company_properties", figure)
            name = self.company_property(figure)
            if figure not in FIGURE_KEYS:
                hint = (" (a KPI of the company's territory is no longer written on "
                        "companies)" if figure in KPI_KEYS else "")  # fmt: skip
                message = f"{figure!r} is not an account figure ({', '.join(FIGURE_KEYS)}){hint}"
                problems.append((where, "figure", message))
            if not _own_property(name):
                message = (f"the property {name} is one of HubSpot's own or not a valid "
                           "property name (lower case, a-z 0-9 _, not hs_/hubspot_)")  # fmt: skip
                problems.append((where, "own", message))
        names = [self.company_property(f) for f in self.company_properties]
        for figure, name in zip(self.company_properties, names, strict=True):
            if names.count(name) > 1:
                message = f"the property {name} is mapped to more than one figure"
                problems.append((("company_properties", figure), "duplicate", message))
        if problems:
            raise located_error("PushMapping", problems)
        return self


def _own_property(name: str) -> bool:
    return bool(_PROPERTY_NAME.match(name)) and not name.startswith(HUBSPOT_PREFIXES)


class GoalTargets(ConfigModel):
    """HubSpot goals (`goal_targets`) read as targets of `kpi`: a rep's goal is that
    rep's target, a team's goal the team's."""

    kpi: MoneyKpi = "total_revenue"
    goal_names: list[str] = Field(
        default_factory=list, description="hs_goal_name values read (any case); [] = all"
    )
    currency: Currency | None = Field(
        default=None, description="the portal's home currency; empty: the reporting currency"
    )
    every_hours: EveryHours = DEFAULT_EVERY_HOURS


class TargetsMapping(ConfigModel):
    """Where the portal keeps targets; nothing is read unless named here."""

    goals: GoalTargets | None = None


class HubSpotMapping(ConfigModel):
    """The whole HubSpot mapping."""

    owners: Owners = Field(default_factory=Owners)
    targets: TargetsMapping = Field(default_factory=TargetsMapping)
    push: PushMapping = Field(default_factory=PushMapping)
    streams: list[Stream] = Field(min_length=1)
    files: dict[FileEntity, ExistingFile] = Field(default_factory=dict)
    rows: dict[FileEntity, list[dict[str, Any]]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _writes_nothing_it_reads(self) -> HubSpotMapping:
        """No company property the writer writes is one a stream reads."""
        problems: list[tuple[KeyPath, str, str]] = []
        for figure in self.push.company_properties:
            name = self.push.company_property(figure)
            for index, stream in enumerate(self.streams):
                if stream.object == "companies" and name in stream.property_names:
                    message = (
                        f"the writer never writes a property it reads: companies.{name} is "
                        f"read by streams[{index}] ({stream.entity} from companies)"
                    )
                    problems.append((("push", "company_properties", figure), "read", message))
        if problems:
            raise located_error("HubSpotMapping", problems)
        return self

    @model_validator(mode="after")
    def _one_source_per_file_entity(self) -> HubSpotMapping:
        problems: list[Problem] = [
            (("rows", name), "both", f"{name}: give either files or rows, not both")
            for name in sorted(set(self.files) & set(self.rows))
        ]
        first: dict[str, int] = {}
        for index, stream in enumerate(self.streams):
            earlier = first.setdefault(stream.key, index)
            if earlier != index:
                message = f"repeats the entity and object of streams[{earlier}] ({stream.key})"
                problems.append((("streams", index), "repeated", message))
        if problems:
            raise located_error("HubSpotMapping", problems)
        return self


def load_mapping(path: Path) -> HubSpotMapping:
    """Read and validate a HubSpot mapping; `ConfigError` names file:line key.path."""
    return load_model(path, HubSpotMapping)
