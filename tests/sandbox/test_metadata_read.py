"""readMetadata() of objects and the View overrides that activate Lightning record pages,
through simple-salesforce's session: a stock object reads as never overridden, a deployed
org default reads back, what Salesforce refuses in an override or a read is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from simple_salesforce import Salesforce

from crm_sandbox import Sandbox

from .deploy_zip import MD, build, client, deploy, record_page, soap, xml

pytestmark = pytest.mark.e2e
DETAILS = "force:detailPanel"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=17, scale=0.01) as sb:
        yield sb


@pytest.fixture(scope="module")
def sf(sandbox: Sandbox) -> Salesforce:
    return client(sandbox)


def read(sf: Salesforce, kind: str, *names: str) -> ET.Element:
    """readMetadata as a SOAP envelope through the client's session: the answer's root."""
    full = "".join(f"<met:fullNames>{n}</met:fullNames>" for n in names)
    answer = soap(sf, "readMetadata", f"<met:type>{kind}</met:type>{full}")
    return ET.fromstring(answer.content)


def overrides(root: ET.Element) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for record in root.iter(f"{{{MD}}}records"):
        if record.get(f"{XSI}nil") == "true":
            continue
        assert record.get(f"{XSI}type") == "CustomObject"
        out[record.findtext(f"{{{MD}}}fullName") or ""] = [
            {c.tag.split("}")[1]: c.text for c in o}
            for o in record.findall(f"{{{MD}}}actionOverrides")]
    return out


def activation(page: str, sobject: str, form: str = "<formFactor>Large</formFactor>") -> bytes:
    files: dict[str, str | bytes] = {
        f"flexipages/{page}.flexipage": record_page(page, sobject, DETAILS),
        f"objects/{sobject}.object": xml("CustomObject", (
            f"<actionOverrides><actionName>View</actionName><content>{page}</content>{form}"
            "<skipRecordTypeSelect>false</skipRecordTypeSelect><type>Flexipage</type>"
            "</actionOverrides>"))}
    return build(files, {"FlexiPage": [page], "CustomObject": [sobject]})


def test_a_stock_object_reads_as_never_overridden_and_a_missing_one_as_nil(
    sf: Salesforce,
) -> None:
    root = read(sf, "CustomObject", "Opportunity", "No_Such__c")
    assert overrides(root)["Opportunity"] == [
        {"actionName": "View", "type": "Default"},
        {"actionName": "View", "formFactor": "Large", "type": "Default"}]
    records = list(root.iter(f"{{{MD}}}records"))
    assert records[1].get(f"{XSI}nil") == "true"


def test_a_deployed_org_default_record_page_reads_back(sf: Salesforce) -> None:
    done = deploy(sf, activation("Admin_Account", "Account"))
    assert done["state"] == "Succeeded", done["deployment_detail"]
    account = overrides(read(sf, "CustomObject", "Account"))["Account"]
    assert {"actionName": "View", "content": "Admin_Account", "formFactor": "Large",
            "skipRecordTypeSelect": "false", "type": "Flexipage"} in account
    assert {"actionName": "View", "type": "Default"} in account  # Classic's, untouched


@pytest.mark.parametrize(("page", "sobject", "form", "problem"), [
    ("Opp_Page", "Account", "<formFactor>Large</formFactor>", "needs a RecordPage of Account"),
    ("Acc_Page", "Account", "", "needs formFactor Large"),
])
def test_an_override_salesforce_refuses_fails_the_deploy(
    sf: Salesforce, page: str, sobject: str, form: str, problem: str
) -> None:
    files = activation(page, sobject, form)
    if page == "Opp_Page":  # the page is Opportunity's, the override Account's
        files = build({f"flexipages/{page}.flexipage": record_page(page, "Opportunity",
                                                                    DETAILS),
                       "objects/Account.object": xml("CustomObject", (
                           f"<actionOverrides><actionName>View</actionName><content>{page}"
                           f"</content>{form}<type>Flexipage</type></actionOverrides>"))},
                      {"FlexiPage": [page], "CustomObject": ["Account"]})
    done = deploy(sf, files)
    assert done["state"] == "Failed"
    assert problem in str(done["deployment_detail"]["errors"])


def test_reads_of_other_types_or_too_many_names_are_faults(sf: Salesforce) -> None:
    other = read(sf, "FlexiPage", "Admin_Account")
    assert "INVALID_OPERATION" in (other.findtext(".//faultcode") or "")
    many = read(sf, "CustomObject", *[f"X{i}__c" for i in range(11)])
    assert "LIMIT_EXCEEDED" in (many.findtext(".//faultcode") or "")
