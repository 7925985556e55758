"""`crm-kpi discover hubspot`: the portal read through the source's transport, and the
mapping proposed for it.

Cost, bounded whatever the portal's size: one properties call per object type the
mapping reads (and per candidate for a missing one: the nearest names, the custom
objects that look like surveys), the custom object schemas (1), the deal pipelines (1)
and the owners (one call per 100). HubSpot's property and pipeline endpoints answer no
conditional request: they are read live, as `validate` reads them.
"""

from __future__ import annotations

from typing import Any

from connector.crms.hubspot.adjust import Draft, PortalView
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.config import HubSpotConfig
from connector.crms.hubspot.errors import HubSpotApiError
from connector.crms.hubspot.mapping import HubSpotMapping, load_mapping
from connector.crms.hubspot.targets import Assignees
from connector.crms.hubspot.validate import STANDARD_OBJECTS, PropertyCatalog
from connector.crms.proposal import (
    Proposal,
    dump_document,
    header,
    load_document,
    static_problems,
)
from connector.crms.valuemaps import nearest
from connector.errors import AuthError
from connector.store import Store
from connector.yamlfile import salvaging

Json = dict[str, Any]
SURVEY_WORDS = ("nps", "survey", "feedback", "net promoter")


def discover(config: HubSpotConfig, store: Store | None) -> Proposal:
    """The mapping in use, adjusted to the portal the source connects to (`store` is not
    needed: HubSpot's metadata answers no conditional request)."""
    path = config.mapping_path
    with salvaging():
        mapping = load_mapping(path)
    document = load_document(path)
    transport = HubSpotClient(config)
    try:
        view = read_portal(HubSpotApi(transport, config.pull.max_url_chars), mapping)
        draft = Draft(document, mapping, view)
        draft.adjust()
        calls = transport.api_calls
    finally:
        transport.close()
    found = [*_what_the_portal_has(view), *draft.said]
    where = f"the portal at {config.host}"
    text = dump_document(document, header("hubspot", where, path, draft.lacks, found))
    proposal = Proposal(text, path, calls, draft.lacks, found)
    proposal.problems = static_problems(text, HubSpotMapping, path.name)
    return proposal


def read_portal(api: HubSpotApi, mapping: HubSpotMapping) -> PortalView:
    """What the proposal needs of the portal."""
    view = PortalView(PropertyCatalog(api), _custom_objects(api))
    known = sorted({*STANDARD_OBJECTS, *view.custom})
    for index, stream in enumerate(mapping.streams):
        if view.catalog.definitions(stream.object) is None:
            found = [(near, "the nearest name") for near in nearest(stream.object, known, n=3)]
            if stream.entity == "survey_responses":
                found += [(name, "a custom object whose name speaks of surveys")
                          for name, label in view.custom.items()
                          if any(w in f"{name} {label}".lower() for w in SURVEY_WORDS)]  # fmt: skip
            view.replacements[index] = found
    view.pipelines = api.pipelines("deals")
    assignees = Assignees.read(api)
    view.owners, view.teams = len(assignees.emails), sorted(set(assignees.teams.values()))
    return view


def _custom_objects(api: HubSpotApi) -> dict[str, str]:
    """The portal's custom object types (name → label); none below Enterprise."""
    try:
        answer = api.call("crm.schemas.core_api", "get_all", what="list custom object schemas")
    except (AuthError, HubSpotApiError):  # a tier or token without custom objects
        return {}
    return {
        str(schema.get("name")): str((schema.get("labels") or {}).get("plural") or "")
        for schema in answer.body.get("results") or []
    }


def _what_the_portal_has(view: PortalView) -> list[str]:
    """Header lines: custom objects, owners and teams, pipelines and their stages."""
    custom = [f"{name} ({label})" for name, label in view.custom.items()]
    lines = [f"custom objects: {', '.join(custom) or 'none'}",
             f"{view.owners} owners; teams: {', '.join(view.teams) or 'none'}"]  # fmt: skip
    for pipeline in view.pipelines:
        stages = ", ".join(_stage(s) for s in pipeline.get("stages") or [])
        lines.append(f"deal pipeline {pipeline.get('label')} (id {pipeline.get('id')}; won "
                     f"and lost come from each stage's metadata): {stages}")  # fmt: skip
    return lines


def _stage(stage: Json) -> str:
    meta = stage.get("metadata") or {}
    closed = str(meta.get("isClosed", "")).lower() == "true"
    try:
        probability = float(meta.get("probability") or 0)
    except ValueError:
        probability = 0.0
    state = ("won" if probability >= 1.0 else "lost") if closed else f"open, {probability:.0%}"
    return f"{stage.get('label')} ({state})"
