"""Metadata API deploy zips for tests, and a deploy through simple-salesforce to its end.

The files are written the way `sf project deploy` sends them (metadata format,
singlePackage): `package.xml` at the root and each component at its documented place.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any
from xml.etree import ElementTree as ET

from simple_salesforce import Salesforce

from crm_sandbox import Sandbox

from .conftest import session_for

MD = "http://soap.sforce.com/2006/04/metadata"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def xml(root: str, body: str) -> str:
    return f'{HEAD}<{root} xmlns="{MD}">{body}</{root}>'


def package(types: dict[str, list[str]], version: str = "60.0") -> str:
    body = "".join(f"<types>{''.join(f'<members>{m}</members>' for m in members)}"
                   f"<name>{name}</name></types>" for name, members in types.items())
    return xml("Package", f"{body}<version>{version}</version>")


def build(files: dict[str, str | bytes], types: dict[str, list[str]] | None = None,
          version: str = "60.0") -> bytes:
    """A zip of `files` with a package.xml naming `types` (unless files has one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        if types is not None:
            zf.writestr("package.xml", package(types, version))
        for path, data in files.items():
            zf.writestr(path, data)
    return out.getvalue()


def soap(sf: Salesforce, operation: str, inner: str) -> Any:
    """A Metadata API call (listMetadata, readMetadata) as a SOAP envelope through the
    client's session, as the connector posts it: the HTTP answer."""
    body = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
            f'"http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="{MD}"><soapenv:Header>'
            f"<met:SessionHeader><met:sessionId>{sf.session_id}</met:sessionId>"
            f"</met:SessionHeader></soapenv:Header><soapenv:Body><met:{operation}>{inner}"
            f"</met:{operation}></soapenv:Body></soapenv:Envelope>")
    return sf.session.post(sf.metadata_url, data=body, headers={
        "Content-Type": "text/xml", "SOAPAction": operation})


def deploy(sf: Salesforce, data: bytes, **options: Any) -> dict[str, Any]:
    """Deploy and check until done: the last checkDeployStatus, with how many checks it
    took and the raw DeployResult element (for what the client's summary leaves out)."""
    sandbox = options.pop("sandbox", False)
    started = sf.deploy(io.BytesIO(data), sandbox=sandbox, **options)
    assert started["state"] == "Queued"
    checks = []
    for _ in range(10):
        status = sf.checkDeployStatus(started["asyncId"])
        checks.append(status["state"])
        if status["state"] not in ("Pending", "InProgress"):
            raw = sf.mdapi._retrieve_deploy_result(started["asyncId"])
            return {**status, "checks": checks, "raw": raw, "id": started["asyncId"]}
    raise AssertionError(f"the deploy never finished: {checks}")


def messages(raw: ET.Element, kind: str) -> list[dict[str, str]]:
    """componentSuccesses or componentFailures of a DeployResult as dicts of texts."""
    out = []
    for m in raw.findall(f"{{{MD}}}details/{{{MD}}}{kind}"):
        out.append({c.tag.split("}")[1]: c.text or "" for c in m})
    return out


def failures_by_name(raw: ET.Element) -> dict[str, dict[str, str]]:
    return {m["fullName"]: m for m in messages(raw, "componentFailures")}


# ---- components -----------------------------------------------------------------------
CARD_JS = """import { LightningElement, api, wire } from 'lwc';
import { getRecord } from 'lightning/uiRecordApi';
import VALUE from '@salesforce/schema/Sales_KPI__c.Value__c';

export default class KpiCard extends LightningElement {
    @api recordId;
    @wire(getRecord, { recordId: '$recordId', fields: [VALUE] }) kpi;
}
"""
CARD_HTML = "<template><lightning-card title=\"KPIs\"></lightning-card></template>"


def card_meta(targets: tuple[str, ...] = ("lightning__HomePage", "lightning__RecordPage"),
              exposed: bool = True, configs: str = "") -> str:
    target_xml = "".join(f"<target>{t}</target>" for t in targets)
    return xml("LightningComponentBundle",
               f"<apiVersion>60.0</apiVersion><isExposed>{str(exposed).lower()}</isExposed>"
               f"<masterLabel>KPI Card</masterLabel><targets>{target_xml}</targets>{configs}")


def bundle(name: str = "kpiCard", js: str = CARD_JS, meta: str | None = None) -> dict[str, str]:
    return {f"lwc/{name}/{name}.js": js, f"lwc/{name}/{name}.html": CARD_HTML,
            f"lwc/{name}/{name}.js-meta.xml": meta or card_meta()}


def record_page(name: str, sobject: str, component: str = "c:kpiCard") -> str:
    return xml("FlexiPage", (
        "<flexiPageRegions><itemInstances><componentInstance>"
        f"<componentName>{component}</componentName><identifier>c_card</identifier>"
        "</componentInstance></itemInstances><name>main</name><type>Region</type>"
        f"</flexiPageRegions><masterLabel>{name}</masterLabel><sobjectType>{sobject}"
        "</sobjectType><template><name>flexipage:recordHomeTemplateDesktop</name></template>"
        "<type>RecordPage</type>"))


def home_page(name: str, component: str = "c:kpiCard") -> str:
    return xml("FlexiPage", (
        "<flexiPageRegions><itemInstances><componentInstance>"
        f"<componentName>{component}</componentName></componentInstance></itemInstances>"
        "<name>top</name><type>Region</type></flexiPageRegions>"
        f"<masterLabel>{name}</masterLabel><template><name>home:desktopTemplate</name>"
        "</template><type>HomePage</type>"))


def kpi_object(sharing: str = "Private", reports: bool = True, extra: str = "") -> str:
    return xml("CustomObject", (
        f"<enableReports>{str(reports).lower()}</enableReports><enableSearch>true"
        "</enableSearch><label>Sales KPI</label><listViews><fullName>My_KPIs</fullName>"
        "<columns>NAME</columns><columns>Value__c</columns><filterScope>Mine</filterScope>"
        "<label>My KPIs</label></listViews><nameField><label>KPI Name</label><type>Text"
        f"</type></nameField><pluralLabel>Sales KPIs</pluralLabel><sharingModel>{sharing}"
        f"</sharingModel>{extra}"))


def tab(name: str = "Sales_KPI__c") -> str:
    return xml("CustomTab", "<customObject>true</customObject><motif>Custom20: Airplane"
                            "</motif>")


def folder(label: str, shares: str = "") -> str:
    return xml("ReportFolder", f"{shares}<name>{label}</name>")


def dashboard_folder(label: str, shares: str = "") -> str:
    return xml("DashboardFolder", f"{shares}<name>{label}</name>")


ALL_INTERNAL = ("<folderShares><accessLevel>View</accessLevel><sharedTo>AllInternalUsers"
                "</sharedTo><sharedToType>Organization</sharedToType></folderShares>")


def kpi_report(name: str = "Sales KPIs", scope: str = "organization") -> str:
    return xml("Report", (
        "<columns><field>CUST_NAME</field></columns><columns><aggregateTypes>Sum"
        "</aggregateTypes><field>Sales_KPI__c.Value__c</field></columns>"
        "<format>Summary</format><groupingsDown><dateGranularity>Month</dateGranularity>"
        "<field>Sales_KPI__c.Period_Start__c</field><sortOrder>Asc</sortOrder>"
        f"</groupingsDown><name>{name}</name><reportType>CustomEntity$Sales_KPI__c"
        f"</reportType><scope>{scope}</scope><showDetails>true</showDetails>"))


def kpi_dashboard(report: str = "KPI_Reports/Sales_KPIs", kind: str = "LoggedInUser",
                  running_user: str = "") -> str:
    user = f"<runningUser>{running_user}</runningUser>" if running_user else ""
    return xml("Dashboard", (
        "<backgroundEndColor>#FFFFFF</backgroundEndColor><backgroundFadeDirection>Diagonal"
        "</backgroundFadeDirection><backgroundStartColor>#FFFFFF</backgroundStartColor>"
        f"<dashboardType>{kind}</dashboardType><leftSection><columnSize>Medium</columnSize>"
        "<components><componentType>Column</componentType><header>KPIs by month</header>"
        f"<report>{report}</report></components></leftSection>{user}"
        "<textColor>#000000</textColor><title>Sales KPIs</title><titleColor>#000000"
        "</titleColor><titleSize>12</titleSize>"))


def object_rights(sobject: str, edit: bool = False) -> str:
    flags = {"allowCreate": edit, "allowDelete": edit, "allowEdit": edit, "allowRead": True,
             "modifyAllRecords": False, "viewAllRecords": False}
    return ("<objectPermissions>" + "".join(f"<{k}>{str(v).lower()}</{k}>" for k, v in
                                            sorted(flags.items()) if k < "object") +
            f"<object>{sobject}</object>" + "".join(
                f"<{k}>{str(v).lower()}</{k}>" for k, v in sorted(flags.items())
                if k > "object") + "</objectPermissions>")


def field_rights(field: str, edit: bool = False) -> str:
    return (f"<fieldPermissions><editable>{str(edit).lower()}</editable><field>{field}"
            "</field><readable>true</readable></fieldPermissions>")


def permission_set(label: str, *grants: str) -> str:
    return xml("PermissionSet", "".join(grants) + f"<label>{label}</label>")


def grant(sf: Salesforce, name: str, grants: list[str], users: list[str]) -> str:
    """Deploy a permission set and assign it (REST PermissionSetAssignment), as an admin
    gives access to fields the Tooling API made: its id."""
    done = deploy(sf, build({f"permissionsets/{name}.permissionset":
                             permission_set(name.replace("_", " "), *grants)},
                            {"PermissionSet": [name]}))
    assert done["state"] == "Succeeded", done["deployment_detail"]
    ps_id: str = sf.query(f"SELECT Id FROM PermissionSet WHERE Name = '{name}'")[
        "records"][0]["Id"]
    for user in users:
        sf.PermissionSetAssignment.create({"AssigneeId": user, "PermissionSetId": ps_id})
    return ps_id


def client(sandbox: Sandbox, token: str | None = None) -> Salesforce:
    """A client as a user (the integration user by default); keep one per module: its
    Metadata API helper reads a large WSDL when first used."""
    info = sandbox.info["salesforce"]
    return Salesforce(instance_url=info["instance_url"],
                      session_id=token or info["access_token"],
                      session=session_for(sandbox), version="60.0")


def make_kpi_object(sf: Salesforce, sandbox: Sandbox) -> None:
    """Sales_KPI__c and its fields through the Tooling API, as setup makes them, then
    edit access for the integration user (fields the Tooling API makes have none)."""
    sf.restful("tooling/sobjects/CustomObject", method="POST", json={
        "FullName": "Sales_KPI__c", "Metadata": {
            "label": "Sales KPI", "pluralLabel": "Sales KPIs", "deploymentStatus": "Deployed",
            "nameField": {"type": "Text", "label": "KPI Name"}, "sharingModel": "ReadWrite"}})
    for name, meta in (("KPI_Key__c", {"type": "Text", "length": 120, "externalId": True,
                                       "unique": True, "required": True}),
                       ("Value__c", {"type": "Number", "precision": 18, "scale": 4}),
                       ("Period_Start__c", {"type": "Date"})):
        sf.toolingexecute("sobjects/CustomField", method="POST", data={
            "FullName": f"Sales_KPI__c.{name}", "Metadata": {"label": name[:-3], **meta}})
    grant(sf, "KPI_Admin", [object_rights("Sales_KPI__c", edit=True),
                            field_rights("Sales_KPI__c.Value__c", edit=True),
                            field_rights("Sales_KPI__c.Period_Start__c", edit=True)],
          [sandbox.info["salesforce"]["user_id"]])
