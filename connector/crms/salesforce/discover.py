"""`crm-kpi discover salesforce`: the org read through the source's transport, and the
mapping proposed for it.

Cost, bounded whatever the org's size: the global describe (1 call); the describes of
the mapped sObjects, of the custom objects that look like NPS surveys and of the names
nearest a missing one, revalidated from the store's cache where it has them, with the
OpportunityStage and active-User queries in the same Composite requests (25 describes,
5 queries a call); one more round for relationship paths; and the values a mapping
names that the picklists lack, asked of the records (`picklists.MAX_ASKED` at most).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from connector.crms.proposal import (
    Proposal,
    dump_document,
    header,
    load_document,
    static_problems,
)
from connector.crms.salesforce.adjust import Draft, OrgView
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.composite import SubAnswer, Subrequest
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.describes import Describer, resolve
from connector.crms.salesforce.mapping import SalesforceMapping, load_mapping
from connector.crms.salesforce.picklists import record_types
from connector.crms.valuemaps import nearest
from connector.store import Store
from connector.store.raw import held_values
from connector.yamlfile import salvaging

Describe = dict[str, Any]
STAGES_SOQL = ("SELECT ApiName, MasterLabel, IsActive, IsClosed, IsWon, DefaultProbability "
               "FROM OpportunityStage ORDER BY SortOrder")  # fmt: skip
USERS_SOQL = "SELECT Id, UserRole.Name FROM User WHERE IsActive = true"
SURVEY_WORDS = ("nps", "survey", "feedback", "net promoter")
MAX_CANDIDATES = 10  # custom objects described as NPS candidates


def discover(config: SalesforceConfig, store: Store | None) -> Proposal:
    """The mapping in use, adjusted to the org the source connects to."""
    path = config.mapping_path
    with salvaging():
        mapping = load_mapping(path)
    document = load_document(path)
    with SalesforceClient(config) as transport:
        view = read_org(transport, store, config.name, mapping)
        draft = Draft(document, mapping, view, transport)
        draft.adjust()
        host = transport.session.api_host or "the org"
        calls = transport.api_calls
    found = [*_what_the_org_has(view), *draft.said]
    text = dump_document(document, header("salesforce", host, path, draft.lacks, found))
    proposal = Proposal(text, path, calls, draft.lacks, found)
    proposal.problems = static_problems(text, SalesforceMapping, path.name)
    return proposal


def read_org(
    transport: SalesforceClient, store: Store | None, source: str, mapping: SalesforceMapping
) -> OrgView:
    """What the proposal needs of the org, in a few Composite requests."""
    describer = Describer(transport, store, source)
    sobjects = {str(s.get("name")).lower(): s for s in describer.sobjects()}
    view = OrgView(describer, sobjects)
    wanted = {"opportunity", "user"} | {s.object.lower() for s in mapping.streams}
    for index, stream in enumerate(mapping.streams):
        if stream.object.lower() not in sobjects:
            view.replacements[index] = _replacements(stream.entity, stream.object, sobjects)
            wanted |= {name.lower() for name, _ in view.replacements[index]}
    version = transport.config.api_version
    extra = [Subrequest(ref, f"/services/data/v{version}/query/?q={quote_plus(soql)}")
             for ref, soql in (("stages", STAGES_SOQL), ("users", USERS_SOQL))]  # fmt: skip
    answers = describer.prefetch(sorted(wanted & set(sobjects)), extra)
    view.stages = _records(answers["stages"])
    view.users, view.roles = _users(answers["users"])
    view.resolved = resolve(mapping, describer)
    if store is not None:
        view.held = _held(store, source, mapping)
    return view


def _held(
    store: Store, source: str, mapping: SalesforceMapping
) -> dict[tuple[str, str], list[str]]:
    """The values the store's raw rows hold for each value-mapped field (no API call)."""
    held: dict[tuple[str, str], list[str]] = {}
    for stream in mapping.streams:
        for name in stream.values:
            path = stream.fields.get(name)
            if path is not None:
                found = held_values(store, source, f"{stream.entity}:{stream.object}", path)
                held.setdefault((stream.object.lower(), path.lower()), []).extend(found)
    return held


def _replacements(
    entity: str, name: str, sobjects: dict[str, Describe]
) -> list[tuple[str, str]]:
    """The org's sObjects that could stand for a missing one, and why: the nearest names,
    and for survey responses the custom objects whose name or label speaks of surveys."""
    names = [str(s.get("name")) for s in sobjects.values() if s.get("queryable", True)]
    found = [(near, "the nearest name") for near in nearest(name, names, n=3)]
    if entity == "survey_responses":
        found += [
            (str(s.get("name")), "a custom object whose name speaks of surveys")
            for s in sobjects.values()
            if s.get("custom") and s.get("queryable", True) and any(
                word in f"{s.get('name')} {s.get('label')}".lower() for word in SURVEY_WORDS)
        ][:MAX_CANDIDATES]  # fmt: skip
    return list(dict.fromkeys(found))


def _records(answer: SubAnswer) -> list[dict[str, Any]]:
    if not answer.ok or not isinstance(answer.body, dict):
        return []
    return [dict(r) for r in answer.body.get("records") or []]


def _users(answer: SubAnswer) -> tuple[int | None, list[str]]:
    """Active users (None when they could not be read) and the roles of the first page."""
    if not answer.ok or not isinstance(answer.body, dict):
        return None, []
    roles = {str((r.get("UserRole") or {}).get("Name")) for r in _records(answer)}
    return int(answer.body.get("totalSize") or 0), sorted(r for r in roles if r != "None")


def _what_the_org_has(view: OrgView) -> list[str]:
    """Header lines: objects, users and roles, stages, record types."""
    custom = [f"{s.get('name')} ({s.get('label')})" for s in view.sobjects.values()
              if s.get("custom")]  # fmt: skip
    lines = [f"{len(view.sobjects)} sObjects, {len(custom)} custom: {_listed(custom)}"]
    if view.users is not None:
        lines.append(f"{view.users} active users; roles (teams): {_listed(view.roles)}")
    if view.stages:
        lines.append("opportunity stages (OpportunityStage; won and lost come from IsClosed "
                     f"and IsWon): {_listed([_stage(s) for s in view.stages], 40)}")  # fmt: skip
    for name in ("Opportunity", "Account", "Lead"):
        described = view.describer.get(name)
        kinds = record_types(described) if described else []
        if kinds:
            lines.append(f"record types of {name}: {', '.join(kinds)} (streams[].include: "
                         "{RecordType.DeveloperName: [...]} keeps some)")  # fmt: skip
    return lines


def _stage(stage: dict[str, Any]) -> str:
    state = ("won" if stage.get("IsWon") else "lost") if stage.get("IsClosed") else (
        f"open, {stage.get('DefaultProbability') or 0:.0f} %")  # fmt: skip
    inactive = ", inactive" if stage.get("IsActive") is False else ""
    return f"{stage.get('ApiName') or stage.get('MasterLabel')} ({state}{inactive})"


def _listed(items: list[str], most: int = 20) -> str:
    more = len(items) - most
    return (", ".join(items[:most]) + (f", … ({more} more)" if more > 0 else "")) or "none"
