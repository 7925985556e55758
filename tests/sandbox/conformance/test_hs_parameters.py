"""Parameters the public connectors send: each honoured as HubSpot honours it, or refused.

- Search with top-level `filters` (Airbyte's incremental streams): one AND group, as
  HubSpot applies it (hubspot-api-nodejs issue #491) — never "match everything".
- `offset`, `sort`, `order_by` on v3 listings: not parameters of those endpoints, which
  HubSpot ignores (MeltanoLabs/tap-hubspot sends `sort`/`order_by` on every listing): the
  first page comes back again, so a client paging v3 by `offset` (Airbyte's default
  `offset_paginator`) never moves on. Only `after` pages.
- Batch reads as hubspot-api-client and public integrations build them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

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
def test_offset_on_v3_listings_is_ignored_as_hubspot_ignores_it(portal: Portal,
                                                               obj: str) -> None:
    size = rec.AIRBYTE_OFFSET_PAGE_SIZE
    status, first = portal.get(f"/crm/v3/objects/{obj}", {"limit": size, "offset": 0})
    assert status == 200
    assert len(first["results"]) == size
    status, again = portal.get(f"/crm/v3/objects/{obj}", {"limit": size, "offset": size})
    assert again == first  # what an offset-paging client meets: the same page forever
    total, after = 0, None
    while True:  # `after` reads the listing to its end
        status, page = portal.get(f"/crm/v3/objects/{obj}",
                                  {"limit": size, **({"after": after} if after else {})})
        total += len(page["results"])
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    table, where = {"line_items": ("line_items", "true"),
                    "goal_targets": ("quotas", "scope IN ('rep', 'team')")}[obj]
    assert total == portal.live(table, where) > size


def test_meltano_sort_and_order_by_are_ignored(portal: Portal) -> None:
    plain = portal.get("/crm/v3/objects/deals", {"limit": 100})
    meltano = portal.get("/crm/v3/objects/deals", rec.MELTANO_LIST_PARAMS)
    assert plain == meltano


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
