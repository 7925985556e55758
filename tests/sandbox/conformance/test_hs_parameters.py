"""Parameters the public connectors send: each honoured as HubSpot honours it, or refused.

- Search with top-level `filters` (Airbyte's incremental streams): one AND group, as
  HubSpot applies it (hubspot-api-nodejs issue #491) — never "match everything".
- `offset` on v3 listings (Airbyte's `offset_paginator` on goals, products, line items): not
  a parameter of those endpoints; refused (400), never answered with the first page again.
  Only `after` pages. `sort`/`order_by` (MeltanoLabs, on every listing) are accepted: real
  portals answer them and they change no page.
- Any other query parameter or body key a route does not take: refused (400).
- Batch reads as hubspot-api-client and public integrations build them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crm_sandbox.http import Request
from crm_sandbox.hubspot import params
from crm_sandbox.hubspot.errors import HsError

from . import recorded as rec
from .conftest import Portal

pytestmark = pytest.mark.e2e


def ms(at: dt.datetime) -> int:
    return int(at.replace(tzinfo=dt.UTC).timestamp() * 1000)


def airbyte_incremental(portal: Portal, obj: str, cursor: str, start: int,
                        end: int) -> list[dict[str, Any]]:
    """HubspotCRMSearchPaginationStrategy to the end: `after` by 200 while `paging` is
    there, then a fresh search from the last id + 1 when 10,000 is reached."""
    out: list[dict[str, Any]] = []
    after, min_id = 0, 0
    while True:
        status, body = portal.post(f"/crm/v3/objects/{obj}/search",
                                   rec.airbyte_incremental_search(cursor, start, end, after,
                                                                  min_id))
        assert status == 200, body
        out += body["results"]
        if after + len(body["results"]) >= 10_000:
            after, min_id = 0, int(out[-1]["id"]) + 1
        elif len(body["results"]) < 200 or "paging" not in body:
            return out
        else:
            after += len(body["results"])


def test_airbyte_incremental_search_reads_exactly_the_changed_records(portal: Portal) -> None:
    org = portal.sb.org
    since = org.clock.now() - dt.timedelta(days=45)
    changed = portal.live("leads", f"modified_at >= TIMESTAMP '{since.isoformat(sep=' ')}'")
    assert 0 < changed < portal.live("leads")  # the filter must matter
    got = airbyte_incremental(portal, "contacts", "lastmodifieddate", ms(since),
                              ms(org.clock.now()))
    assert len(got) == len({r["id"] for r in got}) == changed
    assert all(r["properties"]["lastmodifieddate"] >= since.isoformat() for r in got)


def test_top_level_filters_equal_one_filter_group(portal: Portal) -> None:
    filters = [{"propertyName": "amount", "operator": "GT", "value": "10000"},
               {"propertyName": "amount", "operator": "LT", "value": "50000"}]
    flat = portal.post("/crm/v3/objects/deals/search", {"filters": filters, "limit": 200})
    grouped = portal.post("/crm/v3/objects/deals/search",
                          {"filterGroups": [{"filters": filters}], "limit": 200})
    everything = portal.post("/crm/v3/objects/deals/search", {"limit": 1})
    assert flat[0] == grouped[0] == 200
    assert flat[1]["total"] == grouped[1]["total"] < everything[1]["total"]
    assert [r["id"] for r in flat[1]["results"]] == [r["id"] for r in grouped[1]["results"]]
    seven = [{"propertyName": "amount", "operator": "GT", "value": str(i)} for i in range(7)]
    assert portal.post("/crm/v3/objects/deals/search", {"filters": seven})[0] == 200
    both = portal.post("/crm/v3/objects/deals/search",
                       {"filters": filters, "filterGroups": [{"filters": filters}]})
    assert both[0] == 400
    assert both[1]["category"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("obj", ["line_items", "goal_targets"])
def test_offset_on_v3_listings_is_refused_and_after_reads_to_the_end(portal: Portal,
                                                                     obj: str) -> None:
    """Airbyte 5.7's `offset_paginator` (goals, products, line items): `offset` is not a
    parameter of the v3 listing. HubSpot ignores it and the sync never ends (airbytehq/
    airbyte issue 61352, fixed by paging with `after`); the sandbox refuses it at once,
    naming `after` (a deliberate difference, docs/sandbox.md)."""
    size = rec.AIRBYTE_OFFSET_PAGE_SIZE
    for offset in (0, size):
        status, body = portal.get(f"/crm/v3/objects/{obj}", {
            "limit": size, "offset": offset, **rec.AIRBYTE_CRM_OBJECT_PARAMS})
        assert status == 400, body
        assert body["category"] == "VALIDATION_ERROR"
        assert body["status"] == "error"
        assert body["correlationId"]
        assert "offset" in body["message"]
        assert "paging.next.after" in body["message"]
    total, after, seen = 0, None, set()
    while True:  # `after` reads the listing to its end
        status, page = portal.get(f"/crm/v3/objects/{obj}", {
            "limit": size, **rec.AIRBYTE_CRM_OBJECT_PARAMS, **({"after": after} if after
                                                                else {})})
        assert status == 200, page
        total += len(page["results"])
        seen |= {r["id"] for r in page["results"]}
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    table, where = {"line_items": ("line_items", "true"),
                    "goal_targets": ("quotas", "scope IN ('rep', 'team')")}[obj]
    assert total == len(seen) == portal.live(table, where) > size


def test_meltano_sort_and_order_by_are_accepted_without_effect(portal: Portal) -> None:
    """MeltanoLabs sends them on every listing to real portals; they change no page."""
    plain = portal.get("/crm/v3/objects/deals", {"limit": 100})
    meltano = portal.get("/crm/v3/objects/deals", rec.MELTANO_LIST_PARAMS)
    assert plain == meltano


@pytest.mark.parametrize(("path", "params"), [
    ("/crm/v3/objects/deals", {"count": 100}),
    ("/crm/v3/objects/deals", {"startTimestamp": 0, "endTimestamp": 1}),
    ("/crm/v3/objects/deals/1", {"limit": 5}),
    ("/crm/v3/owners/", {"offset": 100}),
    ("/crm/v3/properties/deals", {"dataSensitivity": "sensitive"}),
    ("/deals/v1/deal/paged", {"count": 100}),
    ("/engagements/v1/engagements/recent/modified", {"limit": 100}),
    ("/properties/v2/deal/properties", {"includeDeleted": "true"}),
])
def test_parameters_a_route_does_not_take_are_refused(portal: Portal, path: str,
                                                      params: dict[str, Any]) -> None:
    status, body = portal.get(path, params)
    assert status == 400, body
    assert body["category"] == "VALIDATION_ERROR"
    assert all(name in body["message"] for name in params)


@pytest.mark.parametrize(("path", "body"), [
    ("/crm/v3/objects/deals/search", {"filterGroups": [], "count": 10}),
    ("/crm/v3/objects/deals/search", {"filter": [{"propertyName": "amount",
                                                  "operator": "GT", "value": "1"}]}),
    ("/crm/v3/objects/deals/batch/read", {"inputs": [{"id": "1"}], "fields": ["amount"]}),
    ("/crm/v4/associations/deals/companies/batch/read", {"inputs": [{"id": "1"}],
                                                         "limit": 5}),
])
def test_body_keys_a_route_does_not_take_are_refused(portal: Portal, path: str,
                                                     body: dict[str, Any]) -> None:
    """A misspelt `filter` would otherwise match everything, as top-level `filters` once
    did: every body key is read or refused."""
    status, answer = portal.post(path, body)
    assert status == 400, answer
    assert answer["category"] == "VALIDATION_ERROR"
    assert "Unrecognized field" in answer["message"]


def test_unknown_association_types_are_ignored(portal: Portal) -> None:
    status, body = portal.get("/crm/v3/objects/deals", {
        "limit": 5, "associations": "companies,no_such_object"})
    assert status == 200
    assert all(set(r.get("associations", {})) <= {"companies"} for r in body["results"])


def contact_ids(portal: Portal, n: int) -> list[dict[str, Any]]:
    status, page = portal.get("/crm/v3/objects/contacts", {"limit": n,
                                                           "properties": "email"})
    assert status == 200
    return list(page["results"])


def test_contacts_batch_read_as_the_client_sends_it(portal: Portal) -> None:
    records = contact_ids(portal, 3)
    ids = [r["id"] for r in records]
    status, body = portal.post("/crm/v3/objects/contacts/batch/read",
                               rec.client_batch_read(ids, ["email", "firstname"]))
    assert status == 200
    assert body["status"] == "COMPLETE"
    assert [r["id"] for r in body["results"]] == ids
    assert all("propertiesWithHistory" not in r for r in body["results"])
    emails = [r["properties"]["email"] for r in records]
    status, by_email = portal.post("/crm/v3/objects/contacts/batch/read", {
        "properties": ["email"], "idProperty": "email",
        "inputs": [{"id": e} for e in emails]})
    assert status == 200
    assert [r["id"] for r in by_email["results"]] == ids


def test_contacts_batch_read_with_history(portal: Portal) -> None:
    ids = [r["id"] for r in contact_ids(portal, 2)]
    status, body = portal.post("/crm/v3/objects/contacts/batch/read", rec.client_batch_read(
        ids, ["email"], history=["email", "lastmodifieddate", "no_such_property"]))
    assert status == 200
    for record in body["results"]:
        history = record["propertiesWithHistory"]
        assert set(history) == {"email", "lastmodifieddate"}
        version = history["email"][0]
        assert version["value"] == record["properties"]["email"]
        assert version["timestamp"] == record["updatedAt"]
        assert version["sourceType"]


@pytest.mark.parametrize("body", [{"inputs": []}, {"properties": ["email"]}])
def test_contacts_batch_read_without_inputs_answers_empty(portal: Portal,
                                                         body: dict[str, Any]) -> None:
    """Recorded: HubSpot's batch endpoints answer COMPLETE with no results without inputs."""
    status, answer = portal.post("/crm/v3/objects/contacts/batch/read", body)
    assert status == 200
    assert answer["status"] == "COMPLETE"
    assert answer["results"] == []


def test_contacts_batch_read_refusals(portal: Portal) -> None:
    too_many = portal.post("/crm/v3/objects/contacts/batch/read",
                           {"inputs": [{"id": str(i)} for i in range(101)]})
    assert too_many[0] == 400
    not_objects = portal.post("/crm/v3/objects/contacts/batch/read", {"inputs": ["1", "2"]})
    assert not_objects[0] == 400
    r = portal.http.post(f"{portal.host}/crm/v3/objects/contacts/batch/read",
                         data=b'{"inputs": [', timeout=30,
                         headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Invalid input JSON on line 1, column")


def test_listing_with_history_takes_at_most_50(portal: Portal) -> None:
    status, body = portal.get("/crm/v3/objects/deals", {
        "limit": 50, "propertiesWithHistory": "dealstage"})
    assert status == 200
    assert all("dealstage" in r["propertiesWithHistory"] for r in body["results"])
    assert portal.get("/crm/v3/objects/deals", {
        "limit": 100, "propertiesWithHistory": "dealstage"})[0] == 400


def test_every_route_decides_its_parameters(portal: Portal) -> None:
    """A new route must say which parameters it takes, or its unknown ones go unchecked."""
    names = {r.name for r in portal.sb.hubspot.routes()}
    assert names <= set(params.HONOURED)
    assert set(params.ACCEPTED) <= names
    assert not {n for n, keys in params.ACCEPTED.items() if keys.keys() & params.HONOURED[n]}


@pytest.mark.parametrize(("target", "body"), [
    ("/crm/v3/objects/deals?limit=5&after=10", b""),
    ("/crm/v3/objects/deals?limit=5&sort=asc&order_by=hs_lastmodifieddate", b""),
    ("/engagements/v1/engagements/paged?count=250", b""),
])
def test_parameter_check_passes_what_routes_take(target: str, body: bytes) -> None:
    route = "engagementsPaged" if "engagements" in target else "list"
    params.check_query(route, Request("GET", target, {}, body))


def test_parameter_check_names_the_refused_and_the_taken() -> None:
    with pytest.raises(HsError) as caught:
        params.check_query("list", Request("GET", "/crm/v3/objects/deals?offset=100&x=1",
                                           {}))
    message = caught.value.response().body.decode()
    assert "offset, x" in message
    assert "after, archived, associations, limit" in message
    params.check_body("batch", Request("POST", "/crm/v3/objects/deals/batch/read", {},
                                       b"not json", {"op": "read"}))  # the handler's to say
    with pytest.raises(HsError):
        params.check_body("batch", Request("POST", "/x", {}, b'{"inputs": [], "limit": 1}',
                                           {"op": "archive"}))
