"""Delete manifests in Metadata API deploys, and listMetadata, through simple-salesforce:
a sharing rule deleted by its full name stops sharing at once; a missing one is the
documented warning; what Salesforce refuses in a delete manifest is refused."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id

from .deploy_zip import (
    MD,
    build,
    client,
    deploy,
    field_rights,
    grant,
    kpi_object,
    make_kpi_object,
    messages,
    object_rights,
    package,
    soap,
    xml,
)

pytestmark = pytest.mark.e2e
RULE = "Sales_KPI__c.Company_KPIs"
RULES = "sharingRules/Sales_KPI__c.sharingRules"
SHARED = {"CustomObject": ["Sales_KPI__c"], "SharingRules": ["Sales_KPI__c"]}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=17, scale=0.02) as sb:
        yield sb


@pytest.fixture(scope="module")
def org(sandbox: Sandbox) -> dict[str, Any]:
    """Sales_KPI__c with a company row (the admin's) and a row of each of two reps, who
    may read the object and its fields."""
    sf = client(sandbox)
    make_kpi_object(sf, sandbox)
    people = sandbox.info["salesforce"]["users"]
    reps = [u for u in people if u["profile"] == "Standard User" and u["manager"]][:2]
    owners = [sf_id("005", 1), reps[0]["user_id"], reps[1]["user_id"]]
    rows = [{"attributes": {"type": "Sales_KPI__c"}, "KPI_Key__c": key, "Name": key,
             "Value__c": 1.0, "OwnerId": owner}
            for key, owner in zip(("company-1", "rep-a", "rep-b"), owners, strict=True)]
    sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": rows})
    grant(sf, "KPI_Readers", [object_rights("Sales_KPI__c"),
                              field_rights("Sales_KPI__c.Value__c")],
          [r["user_id"] for r in reps])
    return {"admin": sf, "rep": client(sandbox, reps[0]["access_token"])}


def rules_file() -> str:
    return xml("SharingRules", (
        "<sharingCriteriaRules><fullName>Company_KPIs</fullName><accessLevel>Read"
        "</accessLevel><criteriaItems><field>KPI_Key__c</field><operation>startsWith"
        "</operation><value>company</value></criteriaItems><includeRecordsOwnedByAll>true"
        "</includeRecordsOwnedByAll><label>Company KPIs</label><sharedTo><allInternalUsers>"
        "</allInternalUsers></sharedTo></sharingCriteriaRules>"))


def share(sf: Salesforce) -> None:
    files = {"objects/Sales_KPI__c.object": kpi_object(), RULES: rules_file()}
    assert deploy(sf, build(files, SHARED))["state"] == "Succeeded"


def deletion(members: dict[str, list[str]], manifest: str = "destructiveChangesPost.xml",
             files: dict[str, str] | None = None, types: dict[str, list[str]] | None = None
             ) -> bytes:
    """A zip whose delete manifest names `members` (no version, as documented)."""
    out = io.BytesIO()
    body = "".join(f"<types>{''.join(f'<members>{m}</members>' for m in names)}"
                   f"<name>{kind}</name></types>" for kind, names in members.items())
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("package.xml", package(types or {}))
        zf.writestr(manifest, xml("Package", body))
        for path, data in (files or {}).items():
            zf.writestr(path, data)
    return out.getvalue()


def keys(sf: Salesforce) -> set[str]:
    return {r["Name"] for r in sf.query_all("SELECT Name FROM Sales_KPI__c")["records"]}


def listed(sf: Salesforce, *kinds: str) -> list[dict[str, str]]:
    """listMetadata as a SOAP envelope through the client's session."""
    queries = "".join(f"<met:queries><met:type>{k}</met:type></met:queries>" for k in kinds)
    answer = soap(sf, "listMetadata", f"{queries}<met:asOfVersion>60.0</met:asOfVersion>")
    assert answer.status_code == 200, answer.text
    return [{c.tag.split("}")[1]: c.text or "" for c in r}
            for r in ET.fromstring(answer.content).iter(f"{{{MD}}}result")]


def test_a_deleted_rule_stops_sharing_through_every_api(org: dict[str, Any]) -> None:
    admin, rep = org["admin"], org["rep"]
    share(admin)
    assert keys(rep) == {"company-1", "rep-a"}
    assert RULE in {f["fullName"] for f in listed(admin, "SharingCriteriaRule")}
    done = deploy(admin, deletion({"SharingCriteriaRule": [RULE]}))
    assert done["state"] == "Succeeded", done["deployment_detail"]
    [gone] = [m for m in messages(done["raw"], "componentSuccesses") if m["fullName"] == RULE]
    assert (gone["componentType"], gone["deleted"]) == ("SharingCriteriaRule", "true")
    assert keys(rep) == {"rep-a"}  # SOQL
    answer = rep.restful("graphql", method="POST", json={"query": (
        "query { uiapi { query { Sales_KPI__c { edges { node { Name { value } } } } } } }")})
    seen = {e["node"]["Name"]["value"]
            for e in answer["data"]["uiapi"]["query"]["Sales_KPI__c"]["edges"]}
    assert seen == {"rep-a"}  # GraphQL, as the card reads
    company = admin.query("SELECT Id FROM Sales_KPI__c WHERE Name = 'company-1'")
    with pytest.raises(SalesforceResourceNotFound):
        rep.Sales_KPI__c.get(company["records"][0]["Id"])  # REST record read
    assert RULE not in {f["fullName"] for f in listed(admin, "SharingCriteriaRule")}


def test_a_missing_component_is_the_documented_warning(org: dict[str, Any]) -> None:
    admin = org["admin"]
    missing = "Sales_KPI__c.No_Such_Rule"
    done = deploy(admin, deletion({"SharingCriteriaRule": [missing]}))
    assert done["state"] == "Failed"  # ignoreWarnings false: the warning is an error
    [warning] = messages(done["raw"], "componentFailures")
    assert warning["problemType"] == "Warning"
    assert warning["problem"] == f"No SharingCriteriaRule named: {missing} found"
    assert warning["fileName"] == "destructiveChangesPost.xml"
    ignored = deploy(admin, deletion({"SharingCriteriaRule": [missing]}), ignoreWarnings=True)
    assert ignored["state"] == "Succeeded"
    assert messages(ignored["raw"], "componentFailures")[0]["success"] == "true"


def test_pre_deletes_before_and_post_after_the_package(org: dict[str, Any]) -> None:
    admin, rep = org["admin"], org["rep"]
    files = {"objects/Sales_KPI__c.object": kpi_object(), RULES: rules_file()}
    pre = deploy(admin, deletion({"SharingCriteriaRule": [RULE]}, "destructiveChangesPre.xml",
                                 files, SHARED), ignoreWarnings=True)
    assert pre["state"] == "Succeeded"  # deleted (or missing), then deployed again
    assert "company-1" in keys(rep)
    post = deploy(admin, deletion({"SharingCriteriaRule": [RULE]}, files=files, types=SHARED))
    assert post["state"] == "Succeeded"  # deployed, then deleted
    assert "company-1" not in keys(rep)


@pytest.mark.parametrize(("members", "problem"), [
    ({"SharingCriteriaRule": ["*"]}, "Wildcards are not supported"),
    ({"SharingCriteriaRule": ["Company_KPIs"]}, "Invalid member name 'Company_KPIs'"),
    ({"CustomObject": ["Sales_KPI__c"]}, "does not delete metadata of type CustomObject"),
    ({"NoSuchType": ["X"]}, "Unknown type name 'NoSuchType'"),
])
def test_what_a_delete_manifest_may_not_ask_is_refused(
        org: dict[str, Any], members: dict[str, list[str]], problem: str) -> None:
    share(org["admin"])
    done = deploy(org["admin"], deletion(members))
    assert done["state"] == "Failed"
    assert problem in messages(done["raw"], "componentFailures")[0]["problem"]
    assert "company-1" in keys(org["rep"])  # nothing deleted


def test_a_check_only_or_rolled_back_deploy_deletes_nothing(org: dict[str, Any]) -> None:
    admin, rep = org["admin"], org["rep"]
    share(admin)
    checked = deploy(admin, deletion({"SharingCriteriaRule": [RULE]}), checkOnly=True)
    assert checked["state"] == "Succeeded"
    broken = {"objects/Sales_KPI__c.object": kpi_object().replace("<label>", "<nolabel>")}
    failed = deploy(admin, deletion({"SharingCriteriaRule": [RULE]}, files=broken,
                                    types={"CustomObject": ["Sales_KPI__c"]}))
    assert failed["state"] == "Failed"
    assert "company-1" in keys(rep)


def test_list_metadata_lists_rules_and_pages_and_refuses_the_rest(
        org: dict[str, Any]) -> None:
    admin = org["admin"]
    share(admin)
    [rule] = [f for f in listed(admin, "SharingCriteriaRule", "FlexiPage")
              if f["fullName"] == RULE]
    assert rule["type"] == "SharingCriteriaRule"
    assert rule["fileName"] == RULES
    with pytest.raises(AssertionError, match="LIMIT_EXCEEDED"):
        listed(admin, "FlexiPage", "FlexiPage", "FlexiPage", "FlexiPage")
    with pytest.raises(AssertionError, match="INVALID_OPERATION"):
        listed(admin, "ApexClass")
