"""The portal's pipelines, in the v3 shape and the legacy v1 shapes.

Deals have the one pipeline `default` ("Sales Pipeline") whose stages are the org's; won
stages carry probability 1.0 and lost ones 0.0, both closed. Tickets have HubSpot's default
"Support Pipeline" (`0`, stages `1` New, `2` Waiting on contact, `3` Waiting on us, `4`
Closed, each with `ticketState` OPEN or CLOSED), which every portal starts with.

Shapes: v3 `GET /crm/v3/pipelines/{type}` (the pipelines API reference); v1
`GET /crm-pipelines/v1/pipelines/{type}` answers `{"results": [{pipelineId, objectType,
objectTypeId, label, displayOrder, active, default, createdAt, updatedAt, stages: [{stageId,
label, displayOrder, active, metadata, createdAt, updatedAt}]}]}` with times in epoch ms
(Airbyte's deal_pipelines schema, tap-hubspot's test client); `GET /deals/v1/pipelines`
answers a bare list of `{pipelineId, label, active, displayOrder, staticDefault, stages:
[{stageId, label, probability, active, displayOrder, closedWon}]}` (tap-hubspot's
deal_pipelines schema).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .legacy_values import epoch_ms
from .portal_objects import TICKET_STAGES
from .props import iso_ms
from .standard import STAGES, stage_id


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    object_type: str  # DEAL / TICKET
    object_type_id: str
    stages: tuple[Stage, ...]


def deal_pipeline() -> Pipeline:
    stages = tuple(Stage(stage_id(name), name, {
        "isClosed": str(prob in (0, 100)).lower(), "probability": f"{prob / 100:.1f}"})
        for name, prob in STAGES)
    return Pipeline("default", "Sales Pipeline", "DEAL", "0-3", stages)


def ticket_pipeline() -> Pipeline:
    stages = tuple(Stage(sid, label, {"ticketState": "CLOSED" if label == "Closed"
                                      else "OPEN"}) for sid, label in TICKET_STAGES.items())
    return Pipeline("0", "Support Pipeline", "TICKET", "0-5", stages)


PIPELINES = {"deals": deal_pipeline, "tickets": ticket_pipeline}


def of(object_name: str) -> list[Pipeline]:
    """The pipelines of an object type (none for types without pipelines)."""
    make = PIPELINES.get(object_name)
    return [make()] if make else []


def v3(p: Pipeline, at: dt.datetime) -> dict[str, Any]:
    stamp = iso_ms(at)
    stages = [{"id": s.id, "label": s.label, "displayOrder": i, "metadata": s.metadata,
               "createdAt": stamp, "updatedAt": stamp, "archived": False,
               "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}
              for i, s in enumerate(p.stages)]
    return {"id": p.id, "label": p.label, "displayOrder": 0, "stages": stages,
            "createdAt": stamp, "updatedAt": stamp, "archived": False}


def v1(p: Pipeline, at: dt.datetime) -> dict[str, Any]:
    ms = epoch_ms(at)
    stages = [{"stageId": s.id, "label": s.label, "displayOrder": i, "active": True,
               "metadata": s.metadata, "createdAt": ms, "updatedAt": ms}
              for i, s in enumerate(p.stages)]
    return {"pipelineId": p.id, "objectType": p.object_type, "objectTypeId": p.object_type_id,
            "label": p.label, "displayOrder": 0, "active": True, "default": True,
            "createdAt": ms, "updatedAt": ms, "stages": stages}


def deals_v1(p: Pipeline) -> dict[str, Any]:
    """`/deals/v1/pipelines`: probability as a number, `closedWon` per stage."""
    stages = [{"stageId": s.id, "label": s.label, "displayOrder": i, "active": True,
               "probability": float(s.metadata["probability"]),
               "closedWon": s.metadata["probability"] == "1.0"}
              for i, s in enumerate(p.stages)]
    return {"pipelineId": p.id, "label": p.label, "displayOrder": 0, "active": True,
            "staticDefault": True, "stages": stages}

