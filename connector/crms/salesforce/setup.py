"""`crm-kpi setup salesforce`: create, idempotently, what the writer writes into.

Custom object and fields through the Tooling API (`tooling/sobjects/CustomObject` and
`CustomField`, JSON); a report and a dashboard over the KPI object through the Reports
and Dashboards REST API, found by name, created once and updated when they differ.
"""

from __future__ import annotations

from typing import Any

from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.fields import (
    PERIOD_FIELDS,
    FieldDef,
    kpi_object_fields,
    kpi_value_fields,
    record_fields,
)
from connector.crms.salesforce.mapping import PushMapping
from connector.errors import FatalError

OBJECT_METADATA: dict[str, Any] = {
    "label": "Sales KPI",
    "pluralLabel": "Sales KPIs",
    "nameField": {"type": "AutoNumber", "label": "KPI Number", "displayFormat": "KPI-{0000000}"},
    "deploymentStatus": "Deployed",
    "sharingModel": "Private",
    "description": "One record per period and scope, written by crm-kpi.",
}


def describe_or_none(transport: SalesforceClient, sobject: str) -> dict[str, Any] | None:
    """describe() of an sObject, None when the org has no such object."""
    try:
        return transport.describe(sobject)
    except SalesforceApiError as exc:
        if exc.status == 404:
            return None
        raise


def _create(
    transport: SalesforceClient, kind: str, full_name: str, meta: dict[str, Any]
) -> bool:
    """Create one metadata component; False when it already existed (a retried create)."""
    try:
        transport.restful(
            f"tooling/sobjects/{kind}", "POST", {"FullName": full_name, "Metadata": meta}
        )
    except SalesforceApiError as exc:
        if exc.error_code == "DUPLICATE_DEVELOPER_NAME":
            return False
        raise
    return True


def ensure_fields(
    transport: SalesforceClient, sobject: str, fields: list[FieldDef]
) -> list[str]:
    """Create the missing custom fields of `sobject` (and the object, if it is ours)."""
    actions: list[str] = []
    described = describe_or_none(transport, sobject)
    if described is None:
        if not sobject.endswith("__c"):
            raise FatalError(f"Salesforce has no {sobject} object visible to the integration user")
        if _create(transport, "CustomObject", sobject, OBJECT_METADATA):
            actions.append(f"created custom object {sobject}")
        described = {"fields": []}
    existing = {f["name"].lower(): f for f in described.get("fields", [])}
    for field in fields:
        found = existing.get(field.name.lower())
        if found is None:
            if _create(transport, "CustomField", f"{sobject}.{field.name}", field.metadata()):
                actions.append(f"created field {sobject}.{field.name} ({field.type})")
        elif field.external_id and not found.get("externalId"):
            raise FatalError(
                f"{sobject}.{field.name} exists but is not an External ID field; "
                "mark it External ID + Unique in Setup, or name another field in the mapping"
            )
    return actions


def report_metadata(push: PushMapping) -> dict[str, Any]:
    """The tabular report over the KPI object."""
    columns = [name for name, _ in PERIOD_FIELDS.values()]
    columns += [n for (_, part), n in kpi_value_fields(push).items() if part == "value"]
    return {
        "name": push.report_name,
        "reportFormat": "TABULAR",
        "reportType": {"type": f"CustomEntity${push.object}"},
        "detailColumns": [f"{push.object}.{c}" for c in columns],
    }


def _find(transport: SalesforceClient, kind: str, name: str) -> str | None:
    listed = transport.restful(f"analytics/{kind}") or []
    for item in listed:
        if item.get("name") == name:
            return str(item["id"])
    return None


def ensure_report(transport: SalesforceClient, push: PushMapping) -> tuple[str, list[str]]:
    """The report's id, created or updated as needed, and the actions taken."""
    wanted = report_metadata(push)
    report_id = _find(transport, "reports", push.report_name)
    if report_id is None:
        made = transport.restful("analytics/reports", "POST", {"reportMetadata": wanted})
        return str(made["reportMetadata"]["id"]), [f"created report {push.report_name}"]
    current = transport.restful(f"analytics/reports/{report_id}/describe")["reportMetadata"]
    if any(current.get(k) != v for k, v in wanted.items()):
        transport.restful(f"analytics/reports/{report_id}", "PATCH", {"reportMetadata": wanted})
        return report_id, [f"updated report {push.report_name}"]
    return report_id, []


def ensure_dashboard(
    transport: SalesforceClient, push: PushMapping, report_id: str
) -> list[str]:
    """A dashboard showing the report, created once, updated if it shows something else."""
    component = {
        "header": "Sales KPIs by period and scope",
        "reportId": report_id,
        "type": "Report",
    }
    wanted = {"name": push.dashboard_name, "components": [component]}
    dashboard_id = _find(transport, "dashboards", push.dashboard_name)
    if dashboard_id is None:
        transport.restful("analytics/dashboards", "POST", {"dashboardMetadata": wanted})
        return [f"created dashboard {push.dashboard_name}"]
    current = transport.restful(f"analytics/dashboards/{dashboard_id}/describe")
    shown = [c.get("reportId") for c in current.get("components") or []]
    if shown != [report_id]:
        transport.restful(
            f"analytics/dashboards/{dashboard_id}", "PATCH", {"dashboardMetadata": wanted}
        )
        return [f"updated dashboard {push.dashboard_name}"]
    return []


def run_setup(transport: SalesforceClient, push: PushMapping) -> list[str]:
    """Everything `setup` does; the actions taken (empty when all was in place)."""
    actions = ensure_fields(transport, push.object, kpi_object_fields(push))
    if push.user_fields:
        actions += ensure_fields(transport, "User", record_fields(push.user_fields))
    if push.account_fields:
        actions += ensure_fields(transport, "Account", record_fields(push.account_fields))
    report_id, done = ensure_report(transport, push)
    actions += done
    actions += ensure_dashboard(transport, push, report_id)
    return actions
