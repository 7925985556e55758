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
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import AfterValidator, Field, model_validator

from connector.crms.cadence import DEFAULT_EVERY_HOURS, EveryHours
from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.language import Handed as SharedHanded
from connector.crms.language import MappingRules, PushFields, StreamRules, read_mapping
from connector.kpis import KPI_KEYS, KpiKey
from connector.settings import Currency, KnownKpi, MoneyKpi
from connector.yamlfile import (
    ConfigModel,
    ExistingFile,
    KeyPath,
    Problem,
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


class Stream(StreamRules):
    """One HubSpot object filling one normalized entity (the shared sections,
    docs/mappings.md, and HubSpot's own: cursor, associations, deal_stages)."""

    own_sections: ClassVar[tuple[str, ...]] = ("associations",)

    entity: StreamEntity
    object: str = Field(min_length=1)
    cursor: str = "hs_lastmodifieddate"
    associations: dict[str, str] = Field(default_factory=dict)
    deal_stages: DealStages | None = None

    def own_problems(self) -> list[Problem]:
        """Stage metadata on anything but deals."""
        if self.deal_stages is not None and self.entity != "opportunities":
            return [(("deal_stages",), "deal_stages", "deal_stages is only for the "
                     "opportunities entity")]  # fmt: skip
        return []

    @property
    def property_names(self) -> list[str]:
        """Every HubSpot property this stream reads, sorted, without repeats."""
        names = {OBJECT_ID_PROPERTY, self.cursor, *self.fields.values(), *self.exclude}
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


class Handed(SharedHanded):
    """An existing property the config hands over to the writer (`take_over: true`):
    setup then gives it crm-kpi's label, description and format, and the push writes it."""

    field: str = Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")


def _check_owner(value: str) -> str:
    if not (value.isdigit() or _EMAIL.match(value)):
        raise ValueError("must be a HubSpot owner id (digits) or the owner's e-mail address")
    return value


class PushMapping(PushFields):
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
    account_fields: dict[str, str | Handed] = Field(  # type: ignore[assignment]
        default_factory=dict, description="account figure: the company property written")

    def handed_over(self) -> set[str]:
        """The company properties handed over with `take_over: true`."""
        return self.handed_accounts()

    @model_validator(mode="after")
    def _only_own_properties(self) -> PushMapping:
        problems = self.figure_problems("company properties", "company", "companies")
        for figure in self.account_fields:
            where: KeyPath = ("account_fields", figure)
            name = self.account_field(figure)
            if not _own_property(name):
                message = (f"the property {name} is one of HubSpot's own or not a valid "
                           "property name (lower case, a-z 0-9 _, not hs_/hubspot_)")  # fmt: skip
                problems.append((where, "own", message))
        names = [self.account_field(f) for f in self.account_fields]
        for figure, name in zip(self.account_fields, names, strict=True):
            if names.count(name) > 1:
                message = f"the property {name} is mapped to more than one figure"
                problems.append((("account_fields", figure), "duplicate", message))
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


class HubSpotMapping(MappingRules):
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
        for figure in self.push.account_fields:
            name = self.push.account_field(figure)
            for index, stream in enumerate(self.streams):
                if stream.object == "companies" and name in stream.property_names:
                    message = (
                        f"the writer never writes a property it reads: companies.{name} is "
                        f"read by streams[{index}] ({stream.entity} from companies)"
                    )
                    problems.append((("push", "account_fields", figure), "read", message))
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
    return read_mapping(path, HubSpotMapping)
