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
from typing import Any, Literal, cast

from pydantic import Field, model_validator

from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.kpis import KPI_KEYS, KpiKey
from connector.schema import ENTITY_BY_NAME
from connector.yamlfile import ConfigModel, ExistingFile, load_model

StreamEntity = Literal[
    "accounts", "leads", "opportunities", "line_items", "activities", "survey_responses"
]
FileEntity = Literal["costs", "exchange_rates"]
HUBSPOT_PREFIXES = ("hs_", "hubspot_")
_PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


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
        for section in ("properties", "associations", "values", "constants", "defaults"):
            unknown = sorted(set(getattr(self, section)) - fields)
            if unknown:
                known = ", ".join(sorted(fields))
                raise ValueError(
                    f"{section}: {', '.join(unknown)} not a field of {self.entity} ({known})"
                )
        if self.deal_stages is not None and self.entity != "opportunities":
            raise ValueError("deal_stages is only for the opportunities entity")
        return self

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


class PushMapping(ConfigModel):
    """What the writer writes: the `sales_kpi` object and company properties.

    The writer touches only the properties named here (and `hubspot_owner_id` of its own
    object's records) and refuses HubSpot's own (`hs_*`, `hubspot_*`) properties.
    """

    object: str = Field(default="sales_kpi", pattern=r"^[a-z][a-z0-9_]{0,49}$")
    kpis: list[KpiKey] = Field(default_factory=lambda: cast("list[KpiKey]", list(KPI_KEYS)))
    group: str = Field(default="sales_kpis", pattern=r"^[a-z][a-z0-9_]{0,99}$")
    group_label: str = "Sales KPIs"
    current_period_type: Literal["month", "quarter", "year"] = "month"
    account_scope: Literal["owner", "territory"] = "territory"
    company_properties: dict[KpiKey, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _only_own_properties(self) -> PushMapping:
        bad = [p for p in self.company_properties.values() if not _own_property(p)]
        if bad:
            raise ValueError(
                f"company_properties: {', '.join(bad)} are HubSpot's own properties or "
                "not valid property names (lower case, a-z 0-9 _, not hs_/hubspot_)"
            )
        return self


def _own_property(name: str) -> bool:
    return bool(_PROPERTY_NAME.match(name)) and not name.startswith(HUBSPOT_PREFIXES)


class HubSpotMapping(ConfigModel):
    """The whole HubSpot mapping."""

    owners: Owners = Field(default_factory=Owners)
    push: PushMapping = Field(default_factory=PushMapping)
    streams: list[Stream] = Field(min_length=1)
    files: dict[FileEntity, ExistingFile] = Field(default_factory=dict)
    rows: dict[FileEntity, list[dict[str, Any]]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source_per_file_entity(self) -> HubSpotMapping:
        both = sorted(set(self.files) & set(self.rows))
        if both:
            raise ValueError(f"{', '.join(both)}: give either files or rows, not both")
        keys = [s.key for s in self.streams]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"streams repeat the same entity and object: {', '.join(repeated)}")
        return self


def load_mapping(path: Path) -> HubSpotMapping:
    """Read and validate a HubSpot mapping; `ConfigError` names file:line key.path."""
    return load_model(path, HubSpotMapping)
