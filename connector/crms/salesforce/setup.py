"""`crm-kpi setup salesforce`: create what the writer writes into and what people see it
through, or bring it up to date. Rerunning it changes nothing that is in place.

1. Review (`owned.review`): a field the writer may not write (not its own and not handed
   over, of a type it cannot become), a default owner or a reader entry that names
   nobody stops setup before any change, with the mapping's file, line and key.
2. Tooling API (JSON): the KPI object if the Tooling API lists none, every missing
   field, every field of its own whose definition changed (updated in place), every
   field of its own no longer mapped retired (relabelled, values cleared, never deleted).
3. One Metadata API deploy (`bundle.py`, `deploy.py`): the object's attributes (a Text
   name, search, a list view), its tab, the KPI card, the Lightning pages asked for
   (with `push.activate_pages`, the Account and Opportunity ones made the org default
   where the org has none: `activate.py`),
   the report and the dynamic dashboard in shared folders, both permission sets, and
   the sharing rule when asked. The same mapping deploys the same zip every time. When
   `push.share_company` is off and `listMetadata` still lists crm-kpi's sharing rule,
   the deploy also deletes it (`destructiveChangesPost.xml`, by its developer name).
4. `PermissionSetAssignment`: the integration user and the readers (`access.py`).
5. The report and the dashboard are found by developer name; their addresses printed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from connector.crms.push import Outcome, Where, done
from connector.crms.salesforce import access
from connector.crms.salesforce.activate import activate
from connector.crms.salesforce.activate import pending as activation_pending
from connector.crms.salesforce.bundle import build_archive
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.deploy import deploy, listed
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.fields import LABEL_LIMIT, NUMERIC, writer_fields
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.names import (
    CARD,
    DASHBOARD,
    DASHBOARD_FOLDER,
    PAGES,
    READER_PERMISSION_SET,
    REPORT,
    REPORT_FOLDER,
    SHARING_RULE,
    WRITER_PERMISSION_SET,
)
from connector.crms.salesforce.owned import (
    DESCRIBED,
    RETIRED,
    Existing,
    FieldCatalog,
    Step,
    review,
)
from connector.crms.salesforce.paging import query_pages
from connector.crms.salesforce.send import Batch, send_collections
from connector.errors import ConfigError, FatalError
from connector.presentation import Wording, is_managed, managed_description
from connector.store.push import Change
from connector.yamlfile import KeyPath

Progress = Callable[[str], None]
OBJECT_METADATA: dict[str, Any] = {
    "label": "Sales KPI",
    "pluralLabel": "Sales KPIs",
    "nameField": {"type": "Text", "label": "KPI record"},
    "deploymentStatus": "Deployed",
    "sharingModel": "Private",
    "description": managed_description("one record per period and scope"),
}
_METADATA_TYPES = {described: kind for kind, described in DESCRIBED.items()}
RULE_TYPE, PAGE_TYPE = "SharingCriteriaRule", "FlexiPage"
UNSHARED = ("company, team and territory rows are now visible only to their owners and "
            "those above them in the role hierarchy")  # fmt: skip


def _create(
    client: SalesforceClient, catalog: FieldCatalog, kind: str, full_name: str,
    meta: dict[str, Any],
) -> None:  # fmt: skip
    """Create one metadata component the Tooling API did not list. A duplicate is taken
    for this very create retried (the first answer lost) only when the component is
    now there and crm-kpi's: anything else is a real conflict, and stops setup."""
    try:
        client.restful(f"tooling/sobjects/{kind}", "POST", {"FullName": full_name,
                                                             "Metadata": meta})  # fmt: skip
    except SalesforceApiError as exc:
        if exc.error_code != "DUPLICATE_DEVELOPER_NAME" or not _now_ours(catalog, full_name):
            raise FatalError(f"Salesforce refused to create {full_name} ({exc.error_code}: "
                             f"{exc.detail}) although the Tooling API listed no such "
                             "component when setup began: is something else changing the "
                             "org's metadata? Run setup again.") from exc  # fmt: skip


def _now_ours(catalog: FieldCatalog, full_name: str) -> bool:
    sobject, _, name = full_name.partition(".")
    catalog.forget(sobject)
    fields = catalog.fields(sobject)
    if not name:
        return fields is not None
    found = (fields or {}).get(name.lower())
    return found is not None and is_managed(found.description)


def _update(client: SalesforceClient, sobject: str, field: Existing, meta: dict[str, Any]) -> None:
    """Replace a field's definition (a Metadata update replaces it whole)."""
    if field.tooling_id is None:
        raise FatalError(f"the Tooling API lists no {sobject}.{field.name}: update it in Setup")
    body = {"FullName": f"{sobject}.{field.name}", "Metadata": meta}
    client.restful(f"tooling/sobjects/CustomField/{field.tooling_id}", "PATCH", body)


def apply(client: SalesforceClient, catalog: FieldCatalog, step: Step, today: dt.date) -> str:
    """Take one Tooling API step; the action, as setup reports it."""
    if step.kind == "object":
        _create(client, catalog, "CustomObject", step.sobject, OBJECT_METADATA)
    elif step.kind == "create" and step.wanted is not None:
        full = f"{step.sobject}.{step.wanted.name}"
        _create(client, catalog, "CustomField", full, step.wanted.metadata())
    elif step.kind == "update" and step.wanted is not None and step.existing is not None:
        _update(client, step.sobject, step.existing, step.wanted.metadata())
    elif step.kind == "retire" and step.existing is not None:
        return f"{done(step)} ({retire(client, step.sobject, step.existing, today)})"
    return done(step)


def retire(client: SalesforceClient, sobject: str, field: Existing, today: dt.date) -> str:
    """Relabel a field the writer no longer writes and clear its values; what was cleared."""
    meta: dict[str, Any] = {
        "label": f"{RETIRED}: {field.label}"[:LABEL_LIMIT],
        "type": _METADATA_TYPES.get(field.type, "Text"),
        "inlineHelpText": f"No longer written by crm-kpi since {today:%Y-%m-%d}.",
        "description": managed_description(f"retired on {today:%Y-%m-%d}"),
    }
    if meta["type"] in NUMERIC:
        meta.update(precision=field.precision, scale=field.scale)
    elif meta["type"] == "Text":
        meta["length"] = field.length
    if field.tooling_id is not None:
        _update(client, sobject, field, meta)
    if not field.visible:
        return "values left: the integration user cannot see it"
    return f"{clear(client, sobject, field.name):,} values cleared"


def clear(client: SalesforceClient, sobject: str, name: str) -> int:
    """Empty one field on every record that has a value in it; how many records."""
    soql = f"SELECT Id FROM {sobject} WHERE {name} != null"
    ids = [str(r["Id"]) for page in query_pages(client, soql) for r in page]
    records = [(i, [Change(sobject, i, name, "text", None, None)]) for i in ids]
    outcome = Outcome()
    send_collections(client, Batch(sobject, None, records), outcome)
    if outcome.failed:
        first = outcome.failed[0]
        raise FatalError(f"could not clear {sobject}.{name} on {len(outcome.failed)} "
                         f"records, e.g. {first}")  # fmt: skip
    return len(ids)


def run_setup(
    client: SalesforceClient, push: PushMapping, wording: Wording, where: Where,
    poll_seconds: float, progress: Progress,
) -> list[str]:  # fmt: skip
    """Everything `setup` does; the actions taken. `ConfigError` (before any change) when
    the mapping names fields it may not write, or nobody where it names people."""
    catalog = FieldCatalog(client)
    fields = writer_fields(push, wording)
    found = review(catalog, push, fields, where)
    people = access.active_users(client)
    problems = found.problems + owner_problems(client, push, where)
    problems += access.reader_problems(push, people, where)
    problems += access.integration_user_problems(client, push, people, where)
    if problems:
        raise ConfigError(problems)
    today = dt.date.today()
    actions = [apply(client, catalog, s, today) for s in found.steps if s.kind != "grant"]
    archive = build_archive(push, fields, client.config.api_version)
    activation = activate(client, push, archive)
    present = listed(client, [RULE_TYPE, PAGE_TYPE])
    unshare = not push.share_company and rule_name(push) in present[RULE_TYPE]
    if unshare:
        archive.delete(RULE_TYPE, rule_name(push))
    deployed = deploy(client, archive, poll_seconds, progress)
    rule = ", sharing rule" if push.share_company else ""
    rule += ", record page activations" if activation.activated else ""
    actions.append(f"deployed {deployed.components} components (deploy {deployed.deploy_id}): "
                   "object settings, tab, list view, KPI card, pages, report, dashboard, "
                   f"permission sets{rule}")  # fmt: skip
    if unshare:
        actions.append(f"sharing rule {SHARING_RULE} removed (push.share_company is off): "
                       f"{UNSHARED}")  # fmt: skip
    actions += access.grant(client, push, people)
    return (actions + activation.lines() + where_to_look(client, push, activation.activated)
            + stale_pages(push, present[PAGE_TYPE]))


def rule_name(push: PushMapping) -> str:
    """The full name of crm-kpi's sharing rule (`Object.DeveloperName`)."""
    return f"{push.object}.{SHARING_RULE}"


def stale_pages(push: PushMapping, deployed: set[str]) -> list[str]:
    """A note for each page setup deployed earlier that `push.pages` no longer lists: it
    stays (an admin may have activated or edited it), and how to delete it."""
    wanted = {PAGES[kind] for kind in push.pages}
    stale = sorted(n for n in deployed if n in PAGES.values() and n not in wanted)
    return [f"Lightning page {name} stays in the org although push.pages no longer lists "
            "it (setup never deletes a page: an admin may have activated or edited it); "
            "to delete it: Setup → Lightning App Builder → Del beside it (deactivate it "
            "first if it is activated)" for name in stale]  # fmt: skip


def where_to_look(client: SalesforceClient, push: PushMapping,
                  activated: list[str]) -> list[str]:  # fmt: skip
    """The report's and dashboard's addresses (found by developer name), and how the card
    gets onto the pages people open (`activated`: the pages setup made the org default)."""
    base = client.client.base_url.split("/services/", 1)[0]
    lines = []
    for sobject, name, folder, label in (("Report", REPORT, REPORT_FOLDER, push.report_name),
                                         ("Dashboard", DASHBOARD, DASHBOARD_FOLDER,
                                          push.dashboard_name)):  # fmt: skip
        soql = f"SELECT Id FROM {sobject} WHERE DeveloperName = '{name}'"
        rows = [r for page in query_pages(client, soql) for r in page]
        if not rows:
            raise FatalError(f"Salesforce lists no {sobject} {name} after the deploy")
        lines.append(f"{sobject.lower()} {label!r} (folder {folder}): "
                     f"{base}/lightning/r/{sobject}/{rows[0]['Id']}/view")  # fmt: skip
    pages = [PAGES[kind] for kind in push.pages if kind not in activated]
    if pages:
        lines.append(f"Lightning pages {', '.join(pages)} deployed, not activated: activate "
                     "each in Setup → Lightning App Builder → Activation… (Org Default, App "
                     "or Profile), or drag the card onto the pages you already use")  # fmt: skip
    lines.append(f"the card 'Sales KPIs' ({CARD}) is in Lightning App Builder's Custom "
                 "components for the Home page and the User, Account and Opportunity "
                 "record pages")  # fmt: skip
    return lines


def deploy_pending(
    client: SalesforceClient, push: PushMapping, catalog: FieldCatalog,
    people: list[access.Person],
) -> list[str]:  # fmt: skip
    """What setup's deploy and assignments have yet to do, as `validate` sees it: the
    permission sets, the integration user's and readers' assignments, the sharing rule
    (to deploy, or to remove), the pages to activate (`push.activate_pages`), the KPI
    object's text name, the card, the report and the dashboard."""
    todo = []
    found = access.permission_sets(client)
    todo += [f"deploy the permission set {n}" for n in (WRITER_PERMISSION_SET,
                                                        READER_PERMISSION_SET) if n not in found]
    writer = access.writer_id(client, push, people)
    if WRITER_PERMISSION_SET in found and writer is not None and writer not in access.assigned(
        client, found[WRITER_PERMISSION_SET]
    ):
        todo.append(f"assign the permission set {WRITER_PERMISSION_SET} to the integration user")
    if READER_PERMISSION_SET in found:
        readers = access.reader_ids(push, people)
        lacking = set(readers) - access.assigned(client, found[READER_PERMISSION_SET])
        if lacking:
            todo.append(f"assign the permission set {READER_PERMISSION_SET} to "
                        f"{len(lacking):,} readers who lack it")  # fmt: skip
    name = (catalog.fields(push.object) or {}).get("name")
    if name is not None and not name.updateable:
        todo.append(f"deploy {push.object}'s text Name (it is an auto-number, or read-only)")
    todo += rule_pending(client, push) + activation_pending(client, push)
    bundle = f"SELECT Id FROM LightningComponentBundle WHERE DeveloperName = '{CARD}'"
    if not catalog.query(bundle):
        todo.append(f"deploy the KPI card {CARD}")
    for sobject, developer_name in (("Report", REPORT), ("Dashboard", DASHBOARD)):
        soql = f"SELECT Id FROM {sobject} WHERE DeveloperName = '{developer_name}'"
        if not [r for page in query_pages(client, soql) for r in page]:
            todo.append(f"deploy the {sobject.lower()} {developer_name}")
    return todo


def rule_pending(client: SalesforceClient, push: PushMapping) -> list[str]:
    """The sharing rule to deploy, or to remove now that `push.share_company` is off."""
    present = rule_name(push) in listed(client, [RULE_TYPE])[RULE_TYPE]
    if push.share_company and not present:
        return [f"deploy the sharing rule {SHARING_RULE} (push.share_company)"]
    if not push.share_company and present:
        return [f"remove the sharing rule {SHARING_RULE}: push.share_company is off, yet it "
                "still lets every internal user read company, team and territory rows"]
    return []


def default_owner_id(client: SalesforceClient, push: PushMapping) -> str | None:
    """The User Id of `push.default_owner` (None: no such active user), or of the
    integration user when it names nobody."""
    if push.default_owner is None:
        _ = client.client  # logs in: the token names the integration user
        return client.user_id
    column = "Id" if push.default_owner.startswith("005") else "Username"
    # The value was checked as an e-mail-like username or an Id: no quote can be in it.
    soql = f"SELECT Id FROM User WHERE {column} = '{push.default_owner}' AND IsActive = true"
    rows = [r for page in query_pages(client, soql) for r in page]
    return str(rows[0]["Id"]) if rows else None


def owner_problems(client: SalesforceClient, push: PushMapping, where: Where) -> list[str]:
    """The default owner must be an active user."""
    if push.default_owner is None or default_owner_id(client, push) is not None:
        return []
    path: KeyPath = ("push", "default_owner")
    return [f"{where(path)}: no active Salesforce user {push.default_owner}: name an active "
            "user (a username or a User Id), or leave it out for the integration user"]  # fmt: skip
