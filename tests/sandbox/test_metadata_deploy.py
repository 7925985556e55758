"""Metadata API deploys through simple-salesforce: components saved, shown where real orgs
show them (Tooling SOQL, REST tabs and list views), refused per component."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id

from .conftest import session_for
from .deploy_zip import (
    MD,
    build,
    bundle,
    card_meta,
    client,
    deploy,
    failures_by_name,
    grant,
    home_page,
    kpi_object,
    make_kpi_object,
    messages,
    record_page,
    tab,
    xml,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=11, scale=0.05) as sb:
        yield sb


@pytest.fixture(scope="module")
def sf(sandbox: Sandbox) -> Salesforce:
    return client(sandbox)


@pytest.fixture(scope="module")
def kpis(sf: Salesforce, sandbox: Sandbox) -> dict[str, Any]:
    """Sales_KPI__c made through the Tooling API, with rows owned by two reps."""
    make_kpi_object(sf, sandbox)
    reps = sandbox.org.keys("users", "active AND n > 1", 2)
    rows = [{"attributes": {"type": "Sales_KPI__c"}, "KPI_Key__c": f"k{i}",
             "Name": f"Revenue {i}", "Value__c": 10.0 * (i + 1),
             "Period_Start__c": f"2026-0{i % 3 + 1}-01",
             "OwnerId": sf_id("005", reps[i % 2] if i < 4 else 1)} for i in range(6)]
    sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": rows})
    return {"reps": [sf_id("005", n) for n in reps], "me": sandbox.info["salesforce"]["user_id"]}


def tooling(sf: Salesforce, soql: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = sf.toolingexecute(
        "query/?q=" + soql.replace(" ", "+"))["records"]
    return records


SETUP_TYPES = {"LightningComponentBundle": ["kpiCard"], "CustomObject": ["Sales_KPI__c"],
               "CustomTab": ["Sales_KPI__c"],
               "FlexiPage": ["KPI_Home", "KPI_Account_Page"]}


def setup_files() -> dict[str, str | bytes]:
    return {**bundle(), "objects/Sales_KPI__c.object": kpi_object(),
            "tabs/Sales_KPI__c.tab": tab(),
            "flexipages/KPI_Home.flexipage": home_page("KPI Home"),
            "flexipages/KPI_Account_Page.flexipage": record_page("KPI Account", "Account")}


def test_setup_components_deploy_and_show_where_orgs_show_them(
        sf: Salesforce, kpis: dict[str, Any]) -> None:
    done = deploy(sf, build(setup_files(), SETUP_TYPES))
    assert done["checks"][0] == "InProgress"  # a deploy takes more than one check
    assert done["state"] == "Succeeded", done["deployment_detail"]
    assert done["deployment_detail"]["deployed_count"] == "5"
    ok = {m["fullName"]: m for m in messages(done["raw"], "componentSuccesses")}
    assert ok["kpiCard"]["componentType"] == "LightningComponentBundle"
    assert ok["kpiCard"]["id"].startswith("0Rb")
    assert ok["kpiCard"]["created"] == "true"
    assert ok["package.xml"]["success"] == "true"
    bundles = tooling(sf, "SELECT Id, DeveloperName, MasterLabel, IsExposed, ApiVersion "
                          "FROM LightningComponentBundle")
    assert [(b["DeveloperName"], b["IsExposed"], b["ApiVersion"]) for b in bundles] == [
        ("kpiCard", True, 60.0)]
    files = tooling(sf, "SELECT FilePath, Format FROM LightningComponentResource WHERE "
                        f"LightningComponentBundleId = '{bundles[0]['Id']}'")
    assert sorted((f["FilePath"], f["Format"]) for f in files) == [
        ("lwc/kpiCard/kpiCard.html", "html"), ("lwc/kpiCard/kpiCard.js", "js"),
        ("lwc/kpiCard/kpiCard.js-meta.xml", "xml")]
    pages = tooling(sf, "SELECT DeveloperName, Type, EntityDefinitionId FROM FlexiPage "
                        "ORDER BY DeveloperName")
    assert [(p["DeveloperName"], p["Type"], p["EntityDefinitionId"]) for p in pages] == [
        ("KPI_Account_Page", "RecordPage", "Account"), ("KPI_Home", "HomePage", None)]
    tabs = tooling(sf, "SELECT DeveloperName, Type, SobjectName FROM CustomTab")
    assert [(t["DeveloperName"], t["Type"], t["SobjectName"]) for t in tabs] == [
        ("Sales_KPI__c", "CustomObject", "Sales_KPI__c")]
    assert "Sales_KPI__c" not in {t["name"] for t in sf.restful("tabs")}  # no setting yet
    grant(sf, "KPI_Tab", ["<tabSettings><tab>Sales_KPI__c</tab><visibility>Visible"
                          "</visibility></tabSettings>"], [kpis["me"]])
    rest_tabs = {t["name"]: t for t in sf.restful("tabs")}
    assert rest_tabs["Sales_KPI__c"]["custom"] is True
    assert rest_tabs["Sales_KPI__c"]["label"] == "Sales KPIs"


def test_a_redeploy_updates_and_keeps_children(sf: Salesforce, kpis: dict[str, Any]) -> None:
    again = deploy(sf, build({"objects/Sales_KPI__c.object": xml(
        "CustomObject", "<listViews><fullName>All_KPIs</fullName><filterScope>Everything"
        "</filterScope><label>All KPIs</label></listViews>")},
        {"CustomObject": ["Sales_KPI__c"]}))
    assert again["state"] == "Succeeded"
    views = sf.restful("sobjects/Sales_KPI__c/listviews")["listviews"]
    assert sorted(v["developerName"] for v in views) == ["All_KPIs", "My_KPIs"]
    mine = next(v for v in views if v["developerName"] == "My_KPIs")
    results = sf.restful(mine["resultsUrl"].split("/v60.0/", 1)[1])
    assert results["label"] == "My KPIs"
    names = [r["columns"][0]["value"] for r in results["records"]]
    assert sorted(names) == ["Revenue 4", "Revenue 5"]  # the integration user's own rows
    query = sf.restful(mine["describeUrl"].split("/v60.0/", 1)[1])["query"]
    assert len(sf.query_all(query)["records"]) == 2


def test_failures_are_named_per_component_and_roll_back(
        sf: Salesforce, kpis: dict[str, Any]) -> None:
    hidden = card_meta(targets=("lightning__HomePage",))
    files = {**bundle("hiddenCard", meta=hidden),
             **bundle("badImport", js="import X from '@salesforce/schema/Sales_KPI__c.Nope__c';"),
             "flexipages/Opp_Page.flexipage": record_page("Opp", "Opportunity", "c:hiddenCard"),
             "tabs/Account.tab": tab("Account")}
    types = {"LightningComponentBundle": ["hiddenCard", "badImport"],
             "FlexiPage": ["Opp_Page"], "CustomTab": ["Account", "Missing__c"],
             "ApexClass": ["KpiController"], "Widget": ["x"]}
    done = deploy(sf, build(files, types))
    assert done["state"] == "Failed"
    failed = failures_by_name(done["raw"])
    assert "isn't exposed for RecordPage" in failed["Opp_Page"]["problem"]
    assert failed["Opp_Page"]["lineNumber"] == "2"  # the componentInstance, after <?xml…>
    assert failed["badImport"]["problem"] == \
        "Invalid reference Sales_KPI__c.Nope__c of type sobjectField"
    assert failed["badImport"]["fileName"] == "lwc/badImport/badImport.js"
    assert (failed["badImport"]["lineNumber"], failed["badImport"]["columnNumber"]) == ("1", "10")
    assert "must be a custom object" in failed["Account"]["problem"]
    assert failed["Missing__c"]["problem"] == ("An object 'Missing__c' of type CustomTab was "
                                               "named in package.xml, but was not found in "
                                               "zipped directory")
    assert failed["KpiController"]["problem"] == \
        "The sandbox does not deploy metadata of type ApexClass"
    assert failed["x"]["problem"] == "Unknown type name 'Widget' specified in package.xml"
    assert {e["type"] for e in done["deployment_detail"]["errors"]} >= {"FlexiPage",
                                                                         "CustomTab"}
    # rollbackOnError (a production deploy): the bundle that passed is not saved either
    assert not tooling(sf, "SELECT Id FROM LightningComponentBundle WHERE DeveloperName = "
                           "'hiddenCard'")
    partial = deploy(sf, build(files, {"LightningComponentBundle": ["hiddenCard"],
                                       "FlexiPage": ["Opp_Page"]}), sandbox=True)
    assert partial["state"] == "SucceededPartial"
    assert tooling(sf, "SELECT Id FROM LightningComponentBundle WHERE DeveloperName = "
                       "'hiddenCard'")


def test_faults_as_real_orgs_send_them(sf: Salesforce, sandbox: Sandbox) -> None:
    info = sandbox.info["salesforce"]
    stranger = Salesforce(instance_url=info["instance_url"], session_id="00D!nope",
                          session=session_for(sandbox), version="60.0")
    with pytest.raises(SalesforceGeneralError) as err:
        stranger.deploy(io.BytesIO(build(bundle(), {"LightningComponentBundle": ["kpiCard"]})),
                        sandbox=False)
    assert err.value.status == 500
    assert "<faultcode>sf:INVALID_SESSION_ID</faultcode>" in str(err.value.content)
    assert "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session" \
        in str(err.value.content)
    with pytest.raises(SalesforceGeneralError) as err:
        sf.checkDeployStatus(sf_id("0Af", 999))
    assert "sf:INVALID_CROSS_REFERENCE_KEY" in str(err.value.content)
    sandbox.faults.add({"kind": "status", "status": 503, "path": "/deployRequest/",
                        "count": 1})
    with pytest.raises(SalesforceGeneralError) as err:
        sf.checkDeployStatus(sf_id("0Af", 1))
    assert "<faultcode>sf:SERVER_UNAVAILABLE</faultcode>" in str(err.value.content)
    started = sf.deploy(io.BytesIO(b"not a zip"), sandbox=False)
    done = sf.checkDeployStatus(started["asyncId"])
    done = sf.checkDeployStatus(started["asyncId"])
    assert done["state"] == "Failed"
    assert "could not be read" in done["deployment_detail"]["errors"][0]["message"]


def test_check_only_and_warnings_save_nothing(sf: Salesforce, kpis: dict[str, Any]) -> None:
    files = bundle("checkedCard")
    types = {"LightningComponentBundle": ["checkedCard"]}
    checked = deploy(sf, build(files, types), checkOnly=True)
    assert checked["state"] == "Succeeded"
    assert checked["raw"].findtext(f"{{{MD}}}checkOnly") == "true"
    assert not tooling(sf, "SELECT Id FROM LightningComponentBundle WHERE DeveloperName = "
                           "'checkedCard'")
    stray = {**files, "tabs/Stray__c.tab": tab("Stray__c")}
    warned = deploy(sf, build(stray, types))
    assert warned["state"] == "Failed"  # ignoreWarnings is false by default
    warning = messages(warned["raw"], "componentFailures")[0]
    assert (warning["problemType"], warning["fileName"]) == ("Warning", "tabs/Stray__c.tab")
    ignored = deploy(sf, build(stray, types), ignoreWarnings=True)
    assert ignored["state"] == "Succeeded"


@pytest.mark.parametrize(("files", "types", "version", "name", "problem"), [
    ({"tabs/Bad.tab": xml("CustomTab", "<lwcComponent>kpiCard</lwcComponent><label>KPIs"
                          "</label><motif>Custom20: Airplane</motif><mood>sunny</mood>")},
     {"CustomTab": ["Bad"]}, "60.0", "Bad",
     "Error parsing file: Element {http://soap.sforce.com/2006/04/metadata}mood invalid at "
     "this location in type CustomTab"),
    (bundle("oldCard"), {"LightningComponentBundle": ["oldCard"]}, "44.0", "oldCard",
     "LightningComponentBundle needs API version 45.0 or later"),
    ({"flexipages/Old.flexipage": home_page("Old")}, {"FlexiPage": ["Old"]}, "38.0", "Old",
     "FlexiPage template is available in API version 39.0 and later"),
    ({"objects/Sales_KPI__c.object": xml("CustomObject", "<listViews><fullName>Long"
                                         "</fullName><filterScope>Mine</filterScope><label>"
                                         + "x" * 41 + "</label></listViews>")},
     {"CustomObject": ["Sales_KPI__c"]}, "60.0", "Sales_KPI__c", "longer than 40"),
    ({"objects/Account.object": xml("CustomObject", "<label>Firms</label>")},
     {"CustomObject": ["Account"]}, "60.0", "Account",
     "label can't be set on the standard object Account"),
    ({"tabs/Odd.tab": xml("CustomTab", "<lwcComponent>noSuchCard</lwcComponent><label>Odd"
                          "</label><motif>Custom20: Airplane</motif>")},
     {"CustomTab": ["Odd"]}, "60.0", "Odd", "isn't exposed for lightning__Tab"),
])
def test_what_salesforce_refuses_is_refused(sf: Salesforce, kpis: dict[str, Any],
                                            files: dict[str, str | bytes],
                                            types: dict[str, list[str]], version: str,
                                            name: str, problem: str) -> None:
    done = deploy(sf, build(files, types, version))
    assert done["state"] == "Failed"
    assert problem in failures_by_name(done["raw"])[name]["problem"]


def test_an_auto_number_name_field_names_records(sf: Salesforce, kpis: dict[str, Any]) -> None:
    auto = xml("CustomObject", "<nameField><displayFormat>KPI-{0000}</displayFormat><label>"
                               "KPI Number</label><startingNumber>100</startingNumber><type>"
                               "AutoNumber</type></nameField>")
    assert deploy(sf, build({"objects/Sales_KPI__c.object": auto},
                            {"CustomObject": ["Sales_KPI__c"]}))["state"] == "Succeeded"
    name = next(f for f in sf.Sales_KPI__c.describe()["fields"] if f["name"] == "Name")
    assert (name["label"], name["createable"]) == ("KPI Number", False)
    names = [r["Name"] for r in sf.query("SELECT Name FROM Sales_KPI__c ORDER BY Name")[
        "records"]]
    assert names[0] == "KPI-0100"
    back = xml("CustomObject", "<nameField><label>KPI Name</label><type>Text</type>"
                               "</nameField>")
    assert deploy(sf, build({"objects/Sales_KPI__c.object": back},
                            {"CustomObject": ["Sales_KPI__c"]}))["state"] == "Succeeded"
    assert sf.query("SELECT Name FROM Sales_KPI__c ORDER BY Name")["records"][0]["Name"] == \
        "KPI-0100"  # the numbers stay, now as text


def test_a_deploy_needs_modify_metadata(sandbox: Sandbox) -> None:
    rep = next(u for u in sandbox.info["salesforce"]["users"]
               if u["profile"] == "Standard User")
    sf = Salesforce(instance_url=sandbox.info["salesforce"]["instance_url"],
                    session_id=rep["access_token"], session=session_for(sandbox),
                    version="60.0")
    with pytest.raises(SalesforceGeneralError) as err:
        sf.deploy(io.BytesIO(build(bundle(), {"LightningComponentBundle": ["kpiCard"]})),
                  sandbox=False)
    assert "<faultcode>sf:INSUFFICIENT_ACCESS</faultcode>" in str(err.value.content)
    assert "ModifyAllData or ModifyMetadata" in str(err.value.content)
