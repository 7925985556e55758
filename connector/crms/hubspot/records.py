"""HubSpot records → staged rows of a normalized entity (pure: no HTTP, no store).

Values stay text, as HubSpot sends them; the store's type map types them once. Two
things are decided here because only the mapping knows them: won/lost of a deal from
its stage's metadata in the pipelines API (never from a label), and which associated
record fills a reference field (the lowest id, so that every run picks the same one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.crms.hubspot.mapping import DealStages, Stream
from connector.schema import ENTITY_BY_NAME

Json = dict[str, Any]
# HubSpot keeps date-only values as midnight UTC: that is the date, in any time zone.
_MIDNIGHT_UTC = re.compile(r"^(\d{4}-\d{2}-\d{2})T00:00:00(\.0+)?Z$")


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


def columns(stream: Stream) -> list[str]:
    """The staged columns of a stream: id, modified_at, then every mapped field."""
    names = ["id", "modified_at"]
    for section in (stream.properties, stream.associations, stream.constants):
        names += [f for f in section if f not in names]
    if stream.deal_stages is not None:
        names += [f for f in ("is_closed", "is_won") if f not in names]
    return names


def build_rows(
    stream: Stream,
    records: list[Json],
    links: Mapping[str, Mapping[str, list[str]]],
    stages: StageMeta,
) -> tuple[list[list[str | None]], list[str]]:
    """(rows in `columns(stream)` order, ids of records the mapping excludes)."""
    names = columns(stream)
    types = ENTITY_BY_NAME[stream.entity].field_types
    dates = [i for i, n in enumerate(names) if types.get(n) == "date"]
    rows: list[list[str | None]] = []
    excluded: list[str] = []
    for record in records:
        props = record.get("properties") or {}
        if _excluded(stream, props, stages):
            excluded.append(str(record["id"]))
            continue
        values = _values(stream, record, props, links, stages)
        row = [values.get(n) for n in names]
        for i in dates:
            row[i] = _date_only(row[i])
        rows.append(row)
    return rows, excluded


def _values(
    stream: Stream,
    record: Json,
    props: Json,
    links: Mapping[str, Mapping[str, list[str]]],
    stages: StageMeta,
) -> dict[str, str | None]:
    record_id = str(record["id"])
    values: dict[str, str | None] = {
        "id": record_id,
        "modified_at": props.get(stream.cursor) or record.get("updatedAt"),
    }
    for name, prop in stream.properties.items():
        values[name] = _text(props.get(prop)) or stream.defaults.get(name)
    for name, to in stream.associations.items():
        targets = links.get(to, {}).get(record_id) or []
        values[name] = _lowest(targets)
    values.update(stream.constants)
    if stream.deal_stages is not None:
        closed, won = _won_lost(stream.deal_stages, props, stages)
        values["is_closed"], values["is_won"] = closed, won
    return values


def _won_lost(cfg: DealStages, props: Json, stages: StageMeta) -> tuple[str | None, str | None]:
    stage = props.get(cfg.stage_property)
    if stage is not None and str(stage) in stages.stages:
        closed, won = stages.stages[str(stage)]
        return str(closed).lower(), str(won).lower()
    # A stage the pipelines API does not list (a legacy value): the mapped flags, if any.
    closed_flag = _text(props.get(cfg.closed_fallback)) if cfg.closed_fallback else None
    won_flag = _text(props.get(cfg.won_fallback)) if cfg.won_fallback else None
    return closed_flag, won_flag


def _excluded(stream: Stream, props: Json, stages: StageMeta) -> bool:
    for prop, values in stream.exclude.items():
        if _text(props.get(prop)) in values:
            return True
    cfg = stream.deal_stages
    if cfg is not None and cfg.pipelines:
        return str(props.get(cfg.pipeline_property)) not in cfg.pipelines
    return False


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _date_only(value: str | None) -> str | None:
    if value is None:
        return None
    match = _MIDNIGHT_UTC.match(value)
    return match.group(1) if match else value


def _lowest(ids: list[str]) -> str | None:
    if len(ids) < 2:
        return ids[0] if ids else None
    return min(ids, key=_id_order)


def _id_order(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (1 << 62, value)
