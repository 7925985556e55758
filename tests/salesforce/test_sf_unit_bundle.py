"""What setup deploys, read back from the zip as Salesforce would: the manifest, the KPI
object's attributes, permission sets, report, dashboard, pages, sharing rule, the card."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from connector.crms.salesforce.bundle import build_archive
from connector.crms.salesforce.card import (
    CATALOG,
    FOLDER,
    META,
    account_query,
    card_kpis,
    owner_query,
    queries_in,
    shipped_defaults,
)
from connector.crms.salesforce.fields import writer_fields
from connector.crms.salesforce.mapping import PushMapping, load_mapping
from connector.presentation import Wording
from connector.resources import shipped

NS = {"md": "http://soap.sforce.com/2006/04/metadata"}
WORDING = Wording("USD")
SHIPPED = load_mapping(shipped("mappings/salesforce.yaml")).push


def unzip(push: PushMapping) -> dict[str, bytes]:
    archive = build_archive(push, writer_fields(push, WORDING), "62.0")
    with zipfile.ZipFile(io.BytesIO(archive.zip_bytes())) as z:
        return {name: z.read(name) for name in z.namelist()}


def xml(files: dict[str, bytes], name: str) -> ET.Element:
    return ET.fromstring(files[name])


def texts(root: ET.Element, path: str) -> list[str]:
    return [e.text or "" for e in root.findall(path, NS)]


def test_the_manifest_lists_every_component_once_in_its_file_layout() -> None:
    files = unzip(SHIPPED)
    manifest = xml(files, "package.xml")
    members = {t.findtext("md:name", namespaces=NS): texts(t, "md:members")
               for t in manifest.findall("md:types", NS)}  # fmt: skip
    assert members == {
        "CustomObject": ["Sales_KPI__c"],
        "CustomTab": ["Sales_KPI__c"],
        "Dashboard": ["CRM_KPI_Dashboards", "CRM_KPI_Dashboards/Sales_KPIs_Dashboard"],
        "FlexiPage": ["CRM_KPI_Account_Record", "CRM_KPI_Home", "CRM_KPI_Opportunity_Record",
                      "CRM_KPI_User_Record"],
        "LightningComponentBundle": ["salesKpiCard"],
        "PermissionSet": ["CRM_KPI_Reader", "CRM_KPI_Writer"],
        "Report": ["CRM_KPI_Reports", "CRM_KPI_Reports/Sales_KPIs_by_Period"],
        "SharingRules": ["Sales_KPI__c"],
    }  # fmt: skip
    assert manifest.findtext("md:version", namespaces=NS) == "62.0"
    assert "reports/CRM_KPI_Reports-meta.xml" in files
    assert "dashboards/CRM_KPI_Dashboards/Sales_KPIs_Dashboard.dashboard" in files
    assert {n for n in files if n.startswith("lwc/")} == {
        f"lwc/salesKpiCard/{n}" for n in ("salesKpiCard.js", "salesKpiCard.html",
                                          "salesKpiCard.css", "format.js", CATALOG, META)
    }  # fmt: skip


def test_the_kpi_object_is_private_searchable_with_a_text_name_and_my_kpis() -> None:
    obj = xml(unzip(SHIPPED), "objects/Sales_KPI__c.object")
    value = {e.tag.split("}")[1]: e.text for e in obj if len(e) == 0}
    assert (value["sharingModel"], value["externalSharingModel"]) == ("Private", "Private")
    assert value["enableSearch"] == value["enableReports"] == value["enableBulkApi"] == "true"
    assert obj.findtext("md:nameField/md:type", namespaces=NS) == "Text"
    view = obj.find("md:listViews", NS)
    assert view is not None
    assert (view.findtext("md:fullName", namespaces=NS), view.findtext("md:label", namespaces=NS),
            view.findtext("md:filterScope", namespaces=NS)) == ("My_KPIs", "My KPIs", "Mine")
    columns = texts(view, "md:columns")
    assert columns[:5] == ["NAME", "Period_Type__c", "Period__c", "As_Of__c", "Total_Revenue__c"]
    assert len(columns) == 15
    assert "Scope_Name__c" in texts(obj, "md:searchLayouts/md:searchResultsAdditionalFields")
    assert obj.find("md:fields", NS) is None  # fields stay the Tooling API's


def _field_rights(permission_set: ET.Element) -> dict[str, tuple[str, str]]:
    return {
        p.findtext("md:field", namespaces=NS) or "": (
            p.findtext("md:readable", namespaces=NS) or "",
            p.findtext("md:editable", namespaces=NS) or "",
        )
        for p in permission_set.findall("md:fieldPermissions", NS)
    }


def test_the_writer_edits_exactly_the_fields_it_writes_and_manages_its_rows() -> None:
    files = unzip(SHIPPED)
    writer = xml(files, "permissionsets/CRM_KPI_Writer.permissionset")
    written = {f"{o}.{f.name}" for o, defs in writer_fields(SHIPPED, WORDING).items()
               for f in defs}  # fmt: skip
    rights = _field_rights(writer)
    assert set(rights) == written
    assert set(rights.values()) == {("true", "true")}
    assert {f.split(".")[0] for f in rights} == {"Sales_KPI__c", "User", "Account"}
    objects = writer.findall("md:objectPermissions", NS)
    assert [o.findtext("md:object", namespaces=NS) for o in objects] == ["Sales_KPI__c"]
    granted = {e.tag.split("}")[1] for e in objects[0] if e.text == "true"}
    assert granted == {"allowCreate", "allowRead", "allowEdit", "allowDelete",
                       "viewAllRecords", "modifyAllRecords"}  # fmt: skip
    assert writer.find("md:userPermissions", NS) is None
    assert writer.find("md:tabSettings", NS) is None


def test_readers_read_the_kpis_see_the_tab_and_edit_nothing() -> None:
    reader = xml(unzip(SHIPPED), "permissionsets/CRM_KPI_Reader.permissionset")
    rights = _field_rights(reader)
    assert set(rights.values()) == {("true", "false")}
    assert "User.KPI_Revenue__c" in rights
    assert "Account.KPI_Customer_Since__c" in rights
    assert "Sales_KPI__c.Total_Revenue_Pace__c" in rights
    objects = reader.findall("md:objectPermissions", NS)
    granted = {e.tag.split("}")[1] for e in objects[0] if e.text == "true"}
    assert granted == {"allowRead"}
    assert texts(reader, "md:tabSettings/md:visibility") == ["Visible"]


def test_report_and_dynamic_dashboard_live_in_folders_every_internal_user_views() -> None:
    files = unzip(SHIPPED)
    for folder in ("reports/CRM_KPI_Reports-meta.xml", "dashboards/CRM_KPI_Dashboards-meta.xml"):
        share = xml(files, folder).find("md:folderShares", NS)
        assert share is not None
        assert [share.findtext(f"md:{t}", namespaces=NS) for t in
                ("accessLevel", "sharedTo", "sharedToType")] == [
            "View", "AllInternalUsers", "Organization"]  # fmt: skip
    report = xml(files, "reports/CRM_KPI_Reports/Sales_KPIs_by_Period.report")
    assert report.findtext("md:reportType", namespaces=NS) == "CustomEntity$Sales_KPI__c"
    assert report.findtext("md:format", namespaces=NS) == "Summary"
    assert texts(report, "md:groupingsDown/md:field") == ["Sales_KPI__c.Period_Type__c",
                                                          "Sales_KPI__c.Period__c"]  # fmt: skip
    assert "Sales_KPI__c.Total_Revenue_Pace__c" in texts(report, "md:columns/md:field")
    assert texts(report, "md:columns/md:field")[:4] == [
        "CUST_NAME", "Sales_KPI__c.Scope_Type__c", "Sales_KPI__c.Scope_Name__c",
        "Sales_KPI__c.As_Of__c"]  # fmt: skip
    dashboard = xml(files, "dashboards/CRM_KPI_Dashboards/Sales_KPIs_Dashboard.dashboard")
    assert dashboard.findtext("md:dashboardType", namespaces=NS) == "LoggedInUser"
    assert dashboard.find("md:runningUser", NS) is None
    assert texts(dashboard, ".//md:components/md:report") == [
        "CRM_KPI_Reports/Sales_KPIs_by_Period"
    ]


def test_pages_carry_the_card_and_only_those_asked_for_are_deployed() -> None:
    files = unzip(SHIPPED)
    home = xml(files, "flexipages/CRM_KPI_Home.flexipage")
    assert home.findtext("md:type", namespaces=NS) == "HomePage"
    assert "c:salesKpiCard" in texts(home, ".//md:componentName")
    account = xml(files, "flexipages/CRM_KPI_Account_Record.flexipage")
    assert (account.findtext("md:type", namespaces=NS),
            account.findtext("md:sobjectType", namespaces=NS)) == ("RecordPage", "Account")
    assert "c:salesKpiCard" in texts(account, ".//md:componentName")
    fewer = unzip(SHIPPED.model_copy(update={"pages": ["user"], "share_company": False}))
    assert [n for n in fewer if n.startswith("flexipages/")] == [
        "flexipages/CRM_KPI_User_Record.flexipage"
    ]
    assert not [n for n in fewer if n.startswith("sharingRules/")]


def test_the_sharing_rule_opens_company_team_and_territory_rows_to_everyone() -> None:
    rules = xml(unzip(SHIPPED), "sharingRules/Sales_KPI__c.sharingRules")
    rule = rules.find("md:sharingCriteriaRules", NS)
    assert rule is not None
    assert rule.findtext("md:accessLevel", namespaces=NS) == "Read"
    assert rule.find("md:sharedTo/md:allInternalUsers", NS) is not None
    assert [rule.findtext(f"md:criteriaItems/md:{t}", namespaces=NS)
            for t in ("field", "operation", "value")] == ["Scope_Type__c", "notEqual", "owner"]


def test_the_shipped_card_files_are_those_of_the_default_mapping() -> None:
    folder = shipped(FOLDER)
    for name, text in shipped_defaults().items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"{FOLDER}/{name} is stale: run `python -m connector.crms.salesforce.card`"
        )


def test_the_card_reads_each_kpi_part_and_the_catalog_ships_the_queries_as_sent() -> None:
    kpis = {k["key"]: k for k in card_kpis(SHIPPED)}
    assert "sales_by_contact_method" not in kpis  # breakdowns stay in the report
    assert kpis["total_revenue"]["pace"] == "Total_Revenue_Pace__c"
    assert "pace" not in kpis["closing_ratio"]
    assert kpis["churn_rate"]["better"] == "lower"
    catalog = unzip(SHIPPED)[f"lwc/salesKpiCard/{CATALOG}"].decode()
    assert queries_in(catalog) == [owner_query(SHIPPED), account_query(SHIPPED)]
    query = owner_query(SHIPPED)
    assert "OwnerId: { eq: $ownerId }" in query
    assert 'Scope_Type__c: { eq: "owner" }' in query
    assert 'Period_Type__c: { eq: "month" }' in query
    assert "first: 2" in query
    renamed = SHIPPED.model_copy(update={"kpi_fields": {**SHIPPED.kpi_fields,
                                                        "nps": "Net_Promoter__c"}})
    assert "Net_Promoter__c { value displayValue }" in owner_query(renamed)


@pytest.mark.parametrize(("accounts", "objects"), [
    (True, ["User", "Account", "Opportunity"]), (False, ["User", "Opportunity"])])  # fmt: skip
def test_the_card_is_offered_on_account_pages_only_with_account_figures(
    accounts: bool, objects: list[str]
) -> None:
    push = SHIPPED if accounts else SHIPPED.model_copy(update={"account_fields": {},
                                                               "pages": ["home"]})
    meta = ET.fromstring(unzip(push)[f"lwc/salesKpiCard/{META}"])
    assert texts(meta, "md:targets/md:target") == ["lightning__HomePage",
                                                   "lightning__RecordPage"]  # fmt: skip
    assert meta.findtext("md:isExposed", namespaces=NS) == "true"
    assert texts(meta, ".//md:objects/md:object") == objects


def test_an_account_page_without_account_figures_is_refused() -> None:
    with pytest.raises(ValueError, match="account_fields names none"):
        PushMapping.model_validate({"pages": ["account"], "account_fields": {}})
