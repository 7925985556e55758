"""HubSpot records → raw rows, and the mapping's rules that derive entities from them
(pure: no HTTP, no store).

A raw row keeps what HubSpot sent of every property the mapping reads, as text, and for
each associated object the lowest associated id (so that every run picks the same one);
the store keeps it in its raw layer and derives the normalized entity with the stream's
rules (`derivation`), then types it once. Won/lost of a deal comes from its stage's
metadata in the pipelines API (never from a label), as a lookup of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.mapping import Stream
from connector.crms.language import NamedMaps, translate, value_map, value_maps_of
from connector.schema import ENTITY_BY_NAME
from connector.store.derive import Derivation, Derived

Json = dict[str, Any]
Links = Mapping[str, Mapping[str, list[str]]]
ASSOCIATED = "@"  # a raw field "@companies": the lowest id of the associated companies


@dataclass(frozen=True)
class StageMeta:
    """Closed and won flags of each deal stage id, from the pipelines API."""

    stages: Mapping[str, tuple[bool, bool]] = field(default_factory=dict)

    @classmethod
    def from_pipelines(cls, pipelines: list[Json], only: list[str]) -> StageMeta:
        stages: dict[str, tuple[bool, bool]] = {}
        for pipeline in pipelines:
            if only and str(pipeline.get("id")) not in only:
                continue
            for stage in pipeline.get("stages") or []:
                meta = stage.get("metadata") or {}
                closed = str(meta.get("isClosed", "")).lower() == "true"
                won = closed and _probability(meta.get("probability")) >= 1.0
                stages[str(stage["id"])] = (closed, won)
        return cls(stages)


def _probability(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def raw_fields(stream: Stream) -> list[str]:
    """The fields a stream's raw rows hold besides id and cursor: every property the
    mapping reads, then one per associated object."""
    ends = {OBJECT_ID_PROPERTY, stream.cursor}
    names = [p for p in stream.property_names if p not in ends]
    return names + [ASSOCIATED + to for to in sorted(set(stream.associations.values()))]


def raw_rows(stream: Stream, records: list[Json], links: Links) -> list[list[Any]]:
    """Rows of (id, modstamp, deleted, *the values of `raw_fields`) as HubSpot sent them."""
    fields = raw_fields(stream)
    rows = []
    for record in records:
        props, record_id = record.get("properties") or {}, str(record["id"])
        values = [
            _lowest(links.get(name[1:], {}).get(record_id) or [])
            if name.startswith(ASSOCIATED) else props.get(name)
            for name in fields
        ]  # fmt: skip
        stamp = props.get(stream.cursor) or record.get("updatedAt")
        rows.append([record_id, stamp, False, *values])
    return rows


def derivation(stream: Stream, stages: StageMeta, named: NamedMaps) -> Derivation:
    """The stream's rules, as the store derives its records from the raw rows: the shared
    sections' (`language.translate`), then HubSpot's own (associations, the stage's flags)."""
    types = ENTITY_BY_NAME[stream.entity].field_types
    rules = translate(stream)
    for name in stream.fields:
        # HubSpot keeps date-only values as midnight UTC: that is the date, in any zone.
        if types.get(name) == "date":
            rules[name] = replace(rules[name], transform="midnight_utc_date")
    for name, to in stream.associations.items():
        rules[name] = Derived(name, field=ASSOCIATED + to)
    rules.update({name: Derived(name, const=value) for name, value in stream.constants.items()})
    cfg = stream.deal_stages
    if cfg is not None:
        for index, name, fallback in ((0, "is_closed", cfg.closed_fallback),
                                      (1, "is_won", cfg.won_fallback)):  # fmt: skip
            flags = {stage: str(both[index]).lower() for stage, both in stages.stages.items()}
            rules[name] = Derived(name, field=cfg.stage_property, lookup=flags, fallback=fallback)
    include = {cfg.pipeline_property: cfg.pipelines} if cfg is not None and cfg.pipelines else {}
    return Derivation(
        entity=ENTITY_BY_NAME[stream.entity], origin=f"{stream.object} API",
        fields=list(rules.values()), exclude=dict(stream.exclude), include=include,
        value_maps=value_maps_of(named, stream),
    )  # fmt: skip


def shape(
    stream: Stream, stages: StageMeta, timezone: str, named: NamedMaps
) -> dict[str, Any]:
    """What shapes the stream's records, for the store's record of what derived them
    (the stages' flags too: a stage HubSpot now says is won re-derives its deals), as
    last release spelled it (`properties`, each value map itself): an upgrade of the
    software or of the file derives nothing again."""
    flags = {s: list(f) for s, f in sorted(stages.stages.items())} if stream.deal_stages else {}
    rules = stream.model_dump(mode="json")
    rules["properties"] = rules.pop("fields")
    rules["values"] = {name: value_map(named, stream, name) for name in stream.values}
    return {**rules, "stages": flags, "timezone": timezone}


def _lowest(ids: list[str]) -> str | None:
    if len(ids) < 2:
        return ids[0] if ids else None
    return min(ids, key=_id_order)


def _id_order(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (1 << 62, value)
