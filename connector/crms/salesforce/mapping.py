"""The Salesforce mapping (`mappings/salesforce.yaml`): sObjects and fields → entities.

Each stream is a small declarative entry: which sObject fills which normalized entity,
its key and cursor, and field → field. Names are checked as API identifiers here and
against the org's describe before any pull; values only ever go through value maps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from connector.crms.cadence import DEFAULT_EVERY_HOURS, EveryHours
from connector.crms.salesforce.soql import check_field_path, check_identifier
from connector.kpis import KPI_KEYS
from connector.schema import CONTACT_METHOD_FIELDS, CONTACT_METHODS, ENTITY_BY_NAME, EntityName
from connector.settings import MoneyKpi
from connector.yamlfile import Problem, load_model, located_error

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


def _default_kpi_fields() -> dict[str, str]:
    return {key: "_".join(p.capitalize() for p in key.split("_")) for key in KPI_KEYS}


class PushMapping(_Strict):
    """What the writer writes: the KPI object, and current values on User and Account."""

    object: Identifier = "Sales_KPI__c"
    external_id: Identifier = "KPI_Key__c"
    kpi_fields: dict[str, Identifier] = Field(default_factory=_default_kpi_fields)
    current_period_type: Literal["month", "quarter", "year"] = "month"
    user_fields: dict[str, Identifier] = Field(default_factory=dict)
    account_fields: dict[str, Identifier] = Field(default_factory=dict)
    account_scope: Literal["territory", "owner"] = "territory"
    report_name: str = Field(default="Sales KPIs", min_length=1, max_length=40)
    dashboard_name: str = Field(default="Sales KPIs", min_length=1, max_length=80)

    @model_validator(mode="after")
    def _known_kpis_custom_fields(self) -> PushMapping:
        problems: list[Problem] = []
        for where in ("kpi_fields", "user_fields", "account_fields"):
            for kpi, name in getattr(self, where).items():
                if kpi not in KPI_KEYS:
                    problems.append(((where, kpi), "kpi", f"{kpi!r} is not a KPI key"))
                if where != "kpi_fields" and not name.endswith("__c"):
                    message = f"{name} is a standard field; use a __c field"
                    problems.append(((where, kpi), "standard_field", message))
                if where == "kpi_fields" and len(name) > 28:
                    message = f"{name} is longer than 28 characters"
                    problems.append(((where, kpi), "too_long", message))
        for where in ("object", "external_id"):
            name = getattr(self, where)
            if not name.endswith("__c"):
                message = f"{name} is a standard name; the writer only writes __c names"
                problems.append(((where,), "standard_name", message))
        if problems:
            raise located_error("PushMapping", problems)
        return self


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


def load_mapping(path: Path) -> SalesforceMapping:
    """Read and validate a Salesforce mapping; `ConfigError` names file:line key.path."""
    return load_model(path, SalesforceMapping)
