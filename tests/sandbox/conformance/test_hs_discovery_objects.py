"""Discovery and the standard objects every portal has, as the public connectors meet them."""

from __future__ import annotations

import pytest

from . import recorded as rec
from .conftest import Portal

pytestmark = pytest.mark.e2e

V2_KEYS = {"name", "label", "description", "groupName", "type", "fieldType", "options",
           "calculated", "hidden", "hubspotDefined", "readOnlyValue", "readOnlyDefinition",
           "createdAt", "updatedAt", "displayOrder", "formField"}


@pytest.mark.parametrize("entity", rec.AIRBYTE_V2_PROPERTY_ENTITIES)
def test_airbyte_schema_discovery_reads_v2_properties(portal: Portal, entity: str) -> None:
    """Airbyte's HubspotSchemaExtractor wants a bare list of `{name, type, …}`."""
    status, body = portal.get(f"/properties/v2/{entity}/properties")
    assert status == 200, body
    assert isinstance(body, list)
    assert body
    assert all(set(p) >= V2_KEYS for p in body)
    assert {p["type"] for p in body} <= {"string", "number", "datetime", "date",
                                         "enumeration", "bool"}
    assert "hs_object_id" in {p["name"] for p in body}
    assert all(isinstance(p["createdAt"], int) for p in body)


@pytest.mark.parametrize("path", rec.SINGER_PROPERTY_PATHS)
def test_singer_discovery(portal: Portal, path: str) -> None:
    status, body = portal.get(path)
    assert status == 200, body
    listed = body["results"] if isinstance(body, dict) else body
    assert listed
    assert all("name" in p and "type" in p for p in listed)


@pytest.mark.parametrize("obj", rec.MELTANO_V3_PROPERTY_OBJECTS)
def test_meltano_discovery_of_v3_properties(portal: Portal, obj: str) -> None:
    """MeltanoLabs tolerates a 403 here, not a 400: every object type must be known."""
    status, body = portal.get(f"/crm/v3/properties/{obj}")
    assert status == 200, body
    assert body["results"]


@pytest.mark.parametrize("obj", ["tickets", "notes", "communications", "postal_mail",
                                 "leads", "quotes", "deal_split"])
def test_standard_objects_the_org_has_none_of_list_search_and_read_empty(
        portal: Portal, obj: str) -> None:
    status, body = portal.get(f"/crm/v3/objects/{obj}", rec.MELTANO_LIST_PARAMS)
    assert (status, body) == (200, {"results": []})
    status, body = portal.post(f"/crm/v3/objects/{obj}/search",
                               rec.airbyte_incremental_search("hs_lastmodifieddate", 0,
                                                              2**41))
    assert status == 200
    assert body["total"] == 0
    assert body["results"] == []
    status, body = portal.post(f"/crm/v3/objects/{obj}/batch/read", {"inputs": [{"id": "1"}]})
    assert status == 207
    assert body["results"] == []


def test_singer_contacts_with_associations_to_tickets_read_to_the_end(portal: Portal) -> None:
    path, params = rec.SINGER_CONTACTS
    seen, after = [], None
    while True:
        status, body = portal.get(path, {**params, **({"after": after} if after else {})})
        assert status == 200, body
        seen += body["results"]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert len(seen) == portal.live("leads")
    linked = [r for r in seen if "associations" in r]
    assert linked
    assert all("tickets" not in r["associations"] for r in linked)
    assert any("companies" in r["associations"] for r in linked)


@pytest.mark.parametrize(("entity", "association"), [
    (entity, name) for entity, names in rec.AIRBYTE_LIST_ASSOCIATIONS.items()
    for name in names])
def test_airbyte_v4_association_reads(portal: Portal, entity: str, association: str) -> None:
    """`build_associations_retriever` for every stream's associations, tickets included:
    found pairs answer `to[].toObjectId`; none found is 207 NO_ASSOCIATIONS_FOUND."""
    status, page = portal.get(f"/crm/v3/objects/{entity}", {"limit": 20})
    assert status == 200
    ids = [r["id"] for r in page["results"]] or ["1"]
    status, body = portal.post(f"/crm/v4/associations/{entity}/{association}/batch/read",
                               rec.airbyte_associations_read(ids))
    assert status in (200, 207), body
    for group in body["results"]:
        assert group["from"]["id"] in ids
        assert all(isinstance(t["toObjectId"], int) for t in group["to"])
    assert {e["category"] for e in body.get("errors", [])} <= {"NO_ASSOCIATIONS_FOUND"}
    if association == "tickets":
        assert body["results"] == []
        assert body["numErrors"] == len(ids)


def test_tickets_can_be_written_and_found_again(portal: Portal) -> None:
    status, made = portal.post("/crm/v3/objects/tickets", {"properties": {
        "subject": "Printer on fire", "hs_pipeline": "0", "hs_pipeline_stage": "1",
        "hs_ticket_priority": "HIGH"}})
    assert status == 201, made
    status, found = portal.post("/crm/v3/objects/tickets/search", {"filters": [
        {"propertyName": "hs_ticket_priority", "operator": "EQ", "value": "HIGH"}]})
    assert [r["id"] for r in found["results"]] == [made["id"]]
    status, _bad = portal.post("/crm/v3/objects/tickets", {"properties": {
        "hs_pipeline_stage": "99"}})
    assert status == 400
    status, _refused = portal.post("/crm/v3/objects/deal_split", {"properties": {}})
    assert status == 400


@pytest.mark.parametrize(("path", "scope"), [
    ("/crm/v3/objects/tickets", "tickets"),
    ("/crm/v3/objects/leads", "crm.objects.leads.read"),
    ("/deals/v1/deal/paged", "crm.objects.deals.read"),
    ("/companies/v2/companies/paged", "crm.objects.companies.read"),
    ("/properties/v2/deal/properties", "crm.schemas.deals.read"),
    ("/engagements/v1/engagements/paged", "crm.objects.contacts.read"),
])
def test_each_new_route_needs_its_scope(portal: Portal, path: str, scope: str) -> None:
    token = portal.sb.hubspot.tokens.issue(scopes={"oauth"})
    r = portal.http.get(portal.host + path, headers={"Authorization": f"Bearer {token}"},
                        timeout=30)
    assert r.status_code == 403
    assert scope in r.json()["errors"][0]["context"]["requiredGranularScopes"]
    token = portal.sb.hubspot.tokens.issue(scopes={"oauth", scope})
    r = portal.http.get(portal.host + path, headers={"Authorization": f"Bearer {token}"},
                        timeout=30)
    assert r.status_code == 200
