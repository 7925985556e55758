"""`crm-kpi setup salesforce`: create what the writer writes into, or bring it up to date.

Setup first reviews the org (`owned.review`): a field the writer may not write (not its
own and not handed over, of a type it cannot become, not editable) stops it before any
change, with the mapping's file, line and key. Then, through the Tooling API (JSON):
the KPI object if missing, every missing field, every field of its own whose type,
decimals, label, help text or description changed (updated in place: records and
their values stay), and every field of its own the mapping no longer names, retired
(relabelled "Retired: …", its values cleared so nothing stale is shown; never deleted).
A summary report grouped by period and a dynamic dashboard (it runs as the viewer) are
found by name, created once and updated when they differ.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connector.crms.push import Outcome, Where, done
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.fields import (
    LABEL_LIMIT,
    NUMERIC,
    RECORD_FIELDS,
    writer_fields,
)
from connector.crms.salesforce.mapping import PushMapping, field_name
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
from connector.presentation import Wording, kpi_slots, managed_description
from connector.store.push import Change
from connector.yamlfile import KeyPath

OBJECT_METADATA: dict[str, Any] = {
    "label": "Sales KPI",
    "pluralLabel": "Sales KPIs",
    "nameField": {"type": "AutoNumber", "label": "KPI Number", "displayFormat": "KPI-{0000000}"},
    "deploymentStatus": "Deployed",
    "sharingModel": "Private",
    "description": managed_description("one record per period and scope"),
}
_METADATA_TYPES = {described: kind for kind, described in DESCRIBED.items()}


def _create(client: SalesforceClient, kind: str, full_name: str, meta: dict[str, Any]) -> bool:
    """Create one metadata component; False when it already existed (a retried create)."""
    try:
        body = {"FullName": full_name, "Metadata": meta}
        client.restful(f"tooling/sobjects/{kind}", "POST", body)
    except SalesforceApiError as exc:
        if exc.error_code == "DUPLICATE_DEVELOPER_NAME":
            return False
        raise
    return True


def _update(client: SalesforceClient, sobject: str, field: Existing, meta: dict[str, Any]) -> None:
    """Replace a field's definition (a Metadata update replaces it whole)."""
    if field.tooling_id is None:
        raise FatalError(f"the Tooling API lists no {sobject}.{field.name}: update it in Setup")
    body = {"FullName": f"{sobject}.{field.name}", "Metadata": meta}
    client.restful(f"tooling/sobjects/CustomField/{field.tooling_id}", "PATCH", body)


def apply(client: SalesforceClient, step: Step, today: dt.date) -> str:
    """Take one step; the action, as setup reports it."""
    if step.kind == "object":
        _create(client, "CustomObject", step.sobject, OBJECT_METADATA)
    elif step.kind == "create" and step.wanted is not None:
        _create(client, "CustomField", f"{step.sobject}.{step.wanted.name}", step.wanted.metadata())
    elif step.kind == "update" and step.wanted is not None and step.existing is not None:
        _update(client, step.sobject, step.existing, step.wanted.metadata())
    elif step.kind == "retire" and step.existing is not None:
        cleared = retire(client, step.sobject, step.existing, today)
        return f"{done(step)} ({cleared:,} values cleared)"
    return done(step)


def retire(client: SalesforceClient, sobject: str, field: Existing, today: dt.date) -> int:
    """Relabel a field the writer no longer writes and clear its values; how many."""
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
    return clear(client, sobject, field.name)


def clear(client: SalesforceClient, sobject: str, name: str) -> int:
    """Empty one field on every record that has a value in it; how many records."""
    soql = f"SELECT Id FROM {sobject} WHERE {name} != null"
    ids = [str(r["Id"]) for page in query_pages(client, soql) for r in page]
    kind = "text"
    records = [(i, [Change(sobject, i, name, kind, None, None)]) for i in ids]
    outcome = Outcome()
    send_collections(client, Batch(sobject, None, records), outcome)
    if outcome.failed:
        first = outcome.failed[0]
        raise FatalError(f"could not clear {sobject}.{name} on {len(outcome.failed)} "
                         f"records, e.g. {first}")  # fmt: skip
    return len(ids)


def report_metadata(push: PushMapping) -> dict[str, Any]:
    """A summary report over the KPI object grouped by period type and period (latest
    first): per record its scope and, per KPI, value, target, attainment and pace."""
    obj = push.object
    columns = [RECORD_FIELDS[c][0] for c in ("scope_type", "scope_name")]
    columns += [
        field_name(push.kpi_fields[s.kpi.key], s) for s in kpi_slots(push.kpi_fields)
        if s.breakdown is None
    ]  # fmt: skip
    groupings = [("period_type", "Asc"), ("period", "Desc")]
    return {
        "name": push.report_name,
        "reportFormat": "SUMMARY",
        "reportType": {"type": f"CustomEntity${obj}"},
        "groupingsDown": [
            {"name": f"{obj}.{RECORD_FIELDS[c][0]}", "sortOrder": order, "dateGranularity": "None"}
            for c, order in groupings
        ],
        "detailColumns": [f"{obj}.{c}" for c in columns],
        "aggregates": ["RowCount"],
    }


def _find(client: SalesforceClient, kind: str, name: str) -> str | None:
    listed = client.restful(f"analytics/{kind}") or []
    for item in listed:
        if item.get("name") == name:
            return str(item["id"])
    return None


def ensure_report(client: SalesforceClient, push: PushMapping) -> tuple[str, list[str]]:
    """The report's id, created or updated as needed, and the actions taken."""
    wanted = report_metadata(push)
    report_id = _find(client, "reports", push.report_name)
    if report_id is None:
        made = client.restful("analytics/reports", "POST", {"reportMetadata": wanted})
        return str(made["reportMetadata"]["id"]), [f"created report {push.report_name}"]
    current = client.restful(f"analytics/reports/{report_id}/describe")["reportMetadata"]
    if any(_normal(current.get(k)) != _normal(v) for k, v in wanted.items()):
        client.restful(f"analytics/reports/{report_id}", "PATCH", {"reportMetadata": wanted})
        return report_id, [f"updated report {push.report_name}"]
    return report_id, []


def _normal(value: Any) -> Any:
    """Report metadata as compared: groupings by their name, order and granularity only."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        keys = ("name", "sortOrder", "dateGranularity")
        return [{k: item.get(k) for k in keys} for item in value]
    return value


def ensure_dashboard(client: SalesforceClient, push: PushMapping, report_id: str) -> list[str]:
    """A dynamic dashboard showing the report (it runs as the viewer, so each rep sees
    what sharing lets them see), created once, updated when it differs."""
    component = {"header": "Sales KPIs by period and scope", "reportId": report_id,
                 "type": "Report", "properties": {"visualizationType": "Table"}}  # fmt: skip
    wanted = {"name": push.dashboard_name, "dashboardType": "LoggedInUser",
              "components": [component]}  # fmt: skip
    dashboard_id = _find(client, "dashboards", push.dashboard_name)
    if dashboard_id is None:
        client.restful("analytics/dashboards", "POST", {"dashboardMetadata": wanted})
        return [f"created dashboard {push.dashboard_name}"]
    current = client.restful(f"analytics/dashboards/{dashboard_id}/describe")
    shown = [c.get("reportId") for c in current.get("components") or []]
    if shown != [report_id] or current.get("dashboardType") != "LoggedInUser":
        body = {"dashboardMetadata": wanted}
        client.restful(f"analytics/dashboards/{dashboard_id}", "PATCH", body)
        return [f"updated dashboard {push.dashboard_name}"]
    return []


def run_setup(
    client: SalesforceClient, push: PushMapping, wording: Wording, where: Where
) -> list[str]:
    """Everything `setup` does; the actions taken (empty when all was in place).
    `ConfigError` (before any change) when the mapping names fields it may not write."""
    found = review(FieldCatalog(client), push, writer_fields(push, wording), where)
    problems = found.problems + owner_problems(client, push, where)
    if problems:
        raise ConfigError(problems)
    today = dt.date.today()
    actions = [apply(client, step, today) for step in found.steps]
    report_id, done = ensure_report(client, push)
    actions += done
    actions += ensure_dashboard(client, push, report_id)
    return actions


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
