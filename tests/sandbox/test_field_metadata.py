"""Tooling API CustomField create and update: types, digits, help text, type changes."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox import Sandbox

from .conftest import grant_fields, session_for

pytestmark = pytest.mark.e2e
OBJECT = "Field_Test__c"


@pytest.fixture(scope="module")
def kpi_object(sandbox: Sandbox) -> str:
    """A custom object for the module's fields (created once)."""
    sf = Salesforce(instance_url=sandbox.info["salesforce"]["instance_url"],
                    session_id=sandbox.info["salesforce"]["access_token"],
                    session=session_for(sandbox), version="60.0")
    sf.restful("tooling/sobjects/CustomObject", method="POST", json={
        "FullName": OBJECT, "Metadata": {"label": "Field Test", "pluralLabel": "Field Tests",
                                         "nameField": {"type": "Text", "label": "Name"}}})
    return OBJECT


def create(sf: Salesforce, name: str, meta: dict[str, Any]) -> str:
    res = sf.toolingexecute("sobjects/CustomField", method="POST", data={
        "FullName": f"{OBJECT}.{name}", "Metadata": {"label": name[:-3], **meta}})
    grant_fields(sf, f"{OBJECT}.{name}", edit=meta.get("type") not in ("Formula",))
    return str(res["id"])


def described(sf: Salesforce, name: str) -> dict[str, Any]:
    fields = {f["name"]: f for f in sf.restful(f"sobjects/{OBJECT}/describe")["fields"]}
    return fields[name]


@pytest.mark.parametrize(("kind", "meta", "sf_type"), [
    ("Percent", {"precision": 5, "scale": 2}, "percent"),
    ("Currency", {"precision": 18, "scale": 2}, "currency"),
    ("Number", {"precision": 18, "scale": 6}, "double"),
    ("Text", {"length": 80}, "string"),
    ("Date", {}, "date"),
])
def test_types_are_described_with_help_text(sf: Salesforce, kpi_object: str, kind: str,
                                            meta: dict[str, Any], sf_type: str) -> None:
    name = f"{kind}_Field__c"
    create(sf, name, {"type": kind, "inlineHelpText": f"What {kind} means",
                      "description": "for admins", **meta})
    f = described(sf, name)
    assert (f["type"], f["label"], f["inlineHelpText"]) == (sf_type, f"{kind}_Field",
                                                            f"What {kind} means")
    assert (f["precision"], f["scale"]) == (meta.get("precision", 0), meta.get("scale", 0))
    assert f["length"] == meta.get("length", 0)
    assert "description" not in f  # describe does not carry it; the metadata does


@pytest.mark.parametrize("meta", [
    {"type": "Number", "precision": 19, "scale": 2},
    {"type": "Number", "precision": 4, "scale": 5},
    {"type": "Percent", "scale": 2},
    {"type": "Currency", "precision": 0},
    {"type": "Text", "length": 256},
    {"type": "Text"},
])
def test_digits_and_lengths_are_validated(sf: Salesforce, kpi_object: str,
                                          meta: dict[str, Any]) -> None:
    with pytest.raises(SalesforceMalformedRequest) as err:
        create(sf, "Bad__c", meta)
    assert err.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert "Bad__c" not in {f["name"] for f in sf.restful(f"sobjects/{OBJECT}/describe")[
        "fields"]}


def test_update_replaces_the_metadata(sf: Salesforce, kpi_object: str) -> None:
    fid = create(sf, "Attain__c", {"type": "Number", "precision": 10, "scale": 2})
    sf.restful(f"sobjects/{OBJECT}", method="POST", json={"Name": "r", "Attain__c": 0.4567})
    sf.toolingexecute(f"sobjects/CustomField/{fid}", method="PATCH", data={"Metadata": {
        "type": "Percent", "label": "Attainment", "precision": 18, "scale": 4,
        "inlineHelpText": "Actual / target"}})
    f = described(sf, "Attain__c")
    assert (f["type"], f["label"], f["precision"], f["scale"]) == ("percent", "Attainment",
                                                                    18, 4)
    assert f["inlineHelpText"] == "Actual / target"
    got = sf.toolingexecute(f"sobjects/CustomField/{fid}")
    assert got["FullName"] == f"{OBJECT}.Attain__c"
    assert got["Metadata"]["inlineHelpText"] == "Actual / target"
    rows = sf.query(f"SELECT Attain__c FROM {OBJECT} WHERE Name = 'r'")["records"]
    assert rows[0]["Attain__c"] == 0.4567  # data survives a numeric type change
    sf.toolingexecute(f"sobjects/CustomField/{fid}", method="PATCH", data={"Metadata": {
        "type": "Percent", "label": "Attainment", "precision": 18, "scale": 4}})
    assert described(sf, "Attain__c")["inlineHelpText"] is None  # a replace, not a merge


@pytest.mark.parametrize(("old", "new"), [
    ({"type": "Number", "precision": 18, "scale": 2}, {"type": "Date"}),
    ({"type": "Number", "precision": 18, "scale": 2}, {"type": "Text", "length": 50}),
    ({"type": "Date"}, {"type": "Text", "length": 20}),
    ({"type": "Text", "length": 20}, {"type": "Checkbox"}),
])
def test_incompatible_type_changes_are_refused(sf: Salesforce, kpi_object: str,
                                               old: dict[str, Any], new: dict[str, Any]) -> None:
    name = f"Chg_{old['type']}_{new['type']}__c"
    fid = create(sf, name, old)
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.toolingexecute(f"sobjects/CustomField/{fid}", method="PATCH",
                          data={"Metadata": {"label": "x", **new}})
    assert err.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert described(sf, name)["type"] != {"Date": "date", "Text": "string",
                                           "Checkbox": "boolean"}[new["type"]]


def test_a_value_too_large_for_the_new_digits_fails(sf: Salesforce, kpi_object: str) -> None:
    fid = create(sf, "Shrink__c", {"type": "Number", "precision": 18, "scale": 2})
    sf.toolingexecute(f"sobjects/CustomField/{fid}", method="PATCH", data={"Metadata": {
        "type": "Number", "label": "Shrink", "precision": 5, "scale": 2}})
    res = sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": OBJECT}, "Name": "ok", "Shrink__c": 999.99},
        {"attributes": {"type": OBJECT}, "Name": "big", "Shrink__c": 1000}]})
    assert res[0]["success"]
    assert res[1]["errors"][0]["statusCode"] == "NUMBER_OUTSIDE_VALID_RANGE"


def test_tooling_queries_list_each_fields_description_and_help_text(sf: Salesforce,
                                                                    kpi_object: str) -> None:
    fid = create(sf, "Described__c", {"type": "Number", "precision": 18, "scale": 0,
                                      "description": "Managed by someone",
                                      "inlineHelpText": "h"})
    soql = ("SELECT Id, DeveloperName, Description, InlineHelpText FROM CustomField "
            "WHERE DeveloperName = 'Described' AND NamespacePrefix = null")
    rows = sf.toolingexecute(f"query/?q={soql.replace(' ', '+')}")["records"]
    assert [(r["Id"], r["Description"], r["InlineHelpText"]) for r in rows] == [
        (fid, "Managed by someone", "h")]
    sf.toolingexecute(f"sobjects/CustomField/{fid}", method="PATCH", data={"Metadata": {
        "type": "Number", "label": "Described", "precision": 18, "scale": 0,
        "description": "Now someone else's"}})
    rows = sf.toolingexecute(f"query/?q={soql.replace(' ', '+')}")["records"]
    assert (rows[0]["Description"], rows[0]["InlineHelpText"]) == ("Now someone else's", None)
