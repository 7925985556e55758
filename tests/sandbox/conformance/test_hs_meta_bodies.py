"""Bodies of the metadata and export routes: each key HubSpot documents, nothing else.

Property and group create/update, schema create/update and export start each take the
keys of their request model in hubspot-api-client 12 (the v3 reference HubSpot generates
it from) and those HubSpot's current reference pages add; any other key is refused with
the 400 of the other routes, before anything is created. A misspelt `groupName` or
`objectProperties` would otherwise be dropped in silence, and the property or export made
without it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hubspot.crm.exports.models import PublicExportListRequest, PublicExportViewRequest
from hubspot.crm.properties.models import (
    PropertyCreate,
    PropertyGroupCreate,
    PropertyUpdate,
)
from hubspot.crm.schemas.models import (
    ObjectSchemaEgg,
    ObjectTypeDefinitionLabels,
    ObjectTypeDefinitionPatch,
    ObjectTypePropertyCreate,
)

from crm_sandbox.hubspot import params

from .conftest import Portal

pytestmark = pytest.mark.e2e

# route -> (the client models whose JSON keys it takes, the keys HubSpot's current
# reference pages add to them)
DOCUMENTED: dict[str, tuple[tuple[type, ...], set[str]]] = {
    "createProperty": ((PropertyCreate,), {"dataSensitivity", "currencyPropertyName",
                                           "numberDisplayHint", "showCurrencySymbol"}),
    "updateProperty": ((PropertyUpdate,), {"currencyPropertyName", "numberDisplayHint",
                                           "showCurrencySymbol"}),
    "createPropertyGroup": ((PropertyGroupCreate,), set()),
    "createSchema": ((ObjectSchemaEgg,), set()),
    "updateSchema": ((ObjectTypeDefinitionPatch,), set()),
    "exportStart": ((PublicExportViewRequest, PublicExportListRequest),
                    {"includeLabeledAssociations",
                     "includePrimaryDisplayPropertyForAssociatedObjects"}),
}


def keys(*models: type) -> set[str]:
    return {key for model in models for key in model.attribute_map.values()}


@pytest.mark.parametrize("route", sorted(DOCUMENTED))
def test_each_body_takes_exactly_what_hubspot_documents(route: str) -> None:
    models, added = DOCUMENTED[route]
    assert params.BODY[route] == keys(*models) | added


def test_schema_members_take_exactly_their_models() -> None:
    created = params.NESTED["createSchema"]
    assert created["properties"] == keys(ObjectTypePropertyCreate)
    assert created["labels"] == params.NESTED["updateSchema"]["labels"] \
        == keys(ObjectTypeDefinitionLabels)


def number_property(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": name.title(), "type": "number", "fieldType": "number",
            "groupName": "dealinformation", **extra}


def export_body(**extra: Any) -> dict[str, Any]:
    return {"exportType": "VIEW", "format": "CSV", "exportName": "bodies", "language": "EN",
            "objectType": "deals", "objectProperties": ["dealname"],
            "associatedObjectType": [], "exportInternalValuesOptions": ["NAMES"],
            "overrideAssociatedObjectsPerDefinitionPerRowLimit": False, **extra}


def schema_egg(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "labels": {"singular": "Body", "plural": "Bodies"},
            "primaryDisplayProperty": "body_name", "requiredProperties": ["body_name"],
            "associatedObjects": [], "properties": [
                {"name": "body_name", "label": "Name", "type": "string",
                 "fieldType": "text"}], **extra}


def refused(status: int, answer: Any, key: str) -> None:
    assert status == 400, answer
    assert answer["status"] == "error"
    assert answer["category"] == "VALIDATION_ERROR"
    assert answer["correlationId"]
    assert "Unrecognized field" in answer["message"]
    assert repr(key) in answer["message"]


@pytest.mark.parametrize(("key", "body"), [
    ("group", number_property("body_group", group="dealinformation")),
    ("numberDisplayHints", number_property("body_hint", numberDisplayHints="currency")),
    ("fieldtype", number_property("body_case", fieldtype="number")),
])
def test_property_create_refuses_an_unknown_key_and_creates_nothing(
        portal: Portal, key: str, body: dict[str, Any]) -> None:
    refused(*portal.post("/crm/v3/properties/deals", body), key)
    assert portal.get(f"/crm/v3/properties/deals/{body['name']}")[0] == 404


def test_property_update_refuses_an_unknown_key_and_changes_nothing(portal: Portal) -> None:
    assert portal.post("/crm/v3/properties/deals", number_property("body_patch"))[0] == 201
    r = portal.http.patch(f"{portal.host}/crm/v3/properties/deals/body_patch", timeout=60,
                          json={"label": "Changed", "name": "body_renamed"})
    refused(r.status_code, r.json(), "name")
    assert portal.get("/crm/v3/properties/deals/body_patch")[1]["label"] == "Body_Patch"


def test_documented_keys_without_a_sandbox_effect_are_taken(portal: Portal) -> None:
    body = number_property("body_documented", hidden=False, formField=True, displayOrder=2,
                           dataSensitivity="non_sensitive", numberDisplayHint="currency",
                           showCurrencySymbol=True)
    status, made = portal.post("/crm/v3/properties/deals", body)
    assert status == 201, made
    assert made["numberDisplayHint"] == "currency"
    status, group = portal.post("/crm/v3/properties/deals/groups",
                                {"name": "body_group", "label": "Bodies", "displayOrder": -1})
    assert status == 201, group


def test_property_group_create_refuses_an_unknown_key(portal: Portal) -> None:
    refused(*portal.post("/crm/v3/properties/deals/groups",
                         {"name": "body_groups", "label": "Bodies", "description": "x"}),
            "description")
    names = {g["name"] for g in portal.get("/crm/v3/properties/deals/groups")[1]["results"]}
    assert "body_groups" not in names


@pytest.mark.parametrize(("key", "egg"), [
    ("associations", schema_egg("body_assoc", associations=["COMPANY"])),
    ("singularLabel", schema_egg("body_labels", singularLabel="Body")),
])
def test_schema_create_refuses_an_unknown_key_and_creates_nothing(
        portal: Portal, key: str, egg: dict[str, Any]) -> None:
    refused(*portal.post("/crm/v3/schemas", egg), key)
    names = {s["name"] for s in portal.get("/crm/v3/schemas")[1]["results"]}
    assert egg["name"] not in names


@pytest.mark.parametrize(("where", "key", "egg"), [
    ("properties[0]", "group", schema_egg("body_prop", properties=[
        {"name": "body_name", "label": "Name", "type": "string", "fieldType": "text",
         "group": "x"}])),
    ("labels", "single", schema_egg("body_lab", labels={"single": "B", "plural": "Bs"})),
])
def test_schema_create_refuses_an_unknown_key_inside_its_members(
        portal: Portal, where: str, key: str, egg: dict[str, Any]) -> None:
    status, answer = portal.post("/crm/v3/schemas", egg)
    refused(status, answer, key)
    assert f"in {where} of POST" in answer["message"]


def test_schema_update_refuses_an_unknown_key(portal: Portal) -> None:
    status, made = portal.post("/crm/v3/schemas", schema_egg("body_update"))
    assert status == 201, made
    url = f"{portal.host}/crm/v3/schemas/{made['objectTypeId']}"
    r = portal.http.patch(url, json={"primaryDisplayProperty": "body_name",
                                     "name": "renamed"}, timeout=60)
    refused(r.status_code, r.json(), "name")
    r = portal.http.patch(url, json={"labels": {"singular": "B", "plurals": "Bs"}},
                          timeout=60)
    refused(r.status_code, r.json(), "plurals")
    assert portal.get(f"/crm/v3/schemas/{made['objectTypeId']}")[1]["labels"] == {
        "singular": "Body", "plural": "Bodies"}


@pytest.mark.parametrize(("key", "body"), [
    ("properties", export_body(properties=["amount"])),
    ("filterGroups", export_body(filterGroups=[{"filters": []}])),
])
def test_export_start_refuses_an_unknown_key(portal: Portal, key: str,
                                             body: dict[str, Any]) -> None:
    refused(*portal.post("/crm/v3/exports/export/async", body), key)


def test_export_start_takes_its_documented_keys(portal: Portal) -> None:
    status, task = portal.post("/crm/v3/exports/export/async", export_body(
        includePrimaryDisplayPropertyForAssociatedObjects=False))
    assert status == 202, task


@pytest.mark.parametrize(("path", "body", "key"), [
    ("/crm/v3/properties/deals", number_property(
        "body_calc", calculationFormula="amount * 2"), "calculationFormula"),
    ("/crm/v3/properties/deals", {**number_property("body_ref"), "type": "enumeration",
                                  "fieldType": "select", "referencedObjectType": "OWNER"},
     "referencedObjectType"),
    ("/crm/v3/properties/deals", number_property(
        "body_sensitive", dataSensitivity="highly_sensitive"), "dataSensitivity"),
    ("/crm/v3/exports/export/async", export_body(includeLabeledAssociations=True),
     "includeLabeledAssociations"),
    ("/crm/v3/schemas", schema_egg("body_refs", properties=[
        {"name": "body_name", "label": "Name", "type": "enumeration", "fieldType": "select",
         "referencedObjectType": "OWNER"}]), "referencedObjectType"),
])
def test_documented_keys_the_sandbox_cannot_honour_are_refused(
        portal: Portal, path: str, body: dict[str, Any], key: str) -> None:
    """A calculated property made as a plain one would answer values HubSpot never
    would: refused, naming the key (a deliberate difference, docs/sandbox-hubspot.md)."""
    status, answer = portal.post(path, body)
    assert status == 400, answer
    assert answer["category"] == "VALIDATION_ERROR"
    assert answer["message"].startswith(key)
    assert "not emulated by the sandbox" in answer["message"]
    if path.endswith("/deals"):
        assert portal.get(f"/crm/v3/properties/deals/{body['name']}")[0] == 404


def test_property_update_to_a_calculated_one_is_refused(portal: Portal) -> None:
    assert portal.post("/crm/v3/properties/deals", number_property("body_tocalc"))[0] == 201
    r = portal.http.patch(f"{portal.host}/crm/v3/properties/deals/body_tocalc", timeout=60,
                          json={"calculationFormula": "amount"})
    assert r.status_code == 400
    assert "not emulated" in r.json()["message"]
    cleared = portal.http.patch(f"{portal.host}/crm/v3/properties/deals/body_tocalc",
                                json={"calculationFormula": None, "label": "L"}, timeout=60)
    assert cleared.status_code == 200, cleared.text


def test_schema_associations_are_not_served(portal: Portal) -> None:
    """`POST /crm/v3/schemas/{type}/associations` (AssociationDefinitionEgg) is not
    emulated: a 404, never a body taken and dropped."""
    status, made = portal.post("/crm/v3/schemas", schema_egg("body_assocdef"))
    assert status == 201, made
    status, answer = portal.post(f"/crm/v3/schemas/{made['objectTypeId']}/associations",
                                 {"fromObjectTypeId": made["objectTypeId"],
                                  "toObjectTypeId": "0-1", "name": "body_to_contact"})
    assert status == 404, answer


def test_every_json_body_route_decides_its_keys(portal: Portal) -> None:
    """A new POST or PATCH route must list its body keys, or unknown ones go unchecked
    (the token endpoint takes a form body, not JSON)."""
    routes = {r.name for r in portal.sb.hubspot.routes()
              if r.method in ("POST", "PATCH", "PUT") and r.name != "oauthToken"}
    batch_ops = {f"batch/{op}" for op in ("read", "create", "update", "upsert", "archive")}
    assert routes - {"batch"} | batch_ops == set(params.BODY)
    assert set(params.NESTED) <= set(params.BODY)
    assert {t.split(".")[0] for t in params.UNEMULATED} <= set(params.BODY)
    assert all(t.split(".")[1] in params.NESTED[t.split(".")[0]]
               for t in params.UNEMULATED if "." in t)
