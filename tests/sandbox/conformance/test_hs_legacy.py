"""Legacy HubSpot endpoints replayed as tap-hubspot and Airbyte call them, read to the end."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from . import recorded as rec
from .conftest import Portal, drain

pytestmark = pytest.mark.e2e


def test_singer_deals_v1_paged_to_the_end(portal: Portal) -> None:
    path, params = rec.SINGER_DEALS_PAGED
    deals = drain(portal, path, params, "deals", "hasMore")
    assert len(deals) == len({d["dealId"] for d in deals}) == portal.live("opportunities")
    deal = deals[0]
    assert set(deal) >= {"portalId", "dealId", "isDeleted", "associations", "properties"}
    # tap-hubspot reads the modification time as properties.hs_lastmodifieddate.timestamp
    stamp = deal["properties"]["hs_lastmodifieddate"]
    assert isinstance(stamp["timestamp"], int)
    assert stamp["value"].isdigit()  # datetimes as epoch milliseconds
    assert [v["value"] for v in stamp["versions"]] == [stamp["value"]]
    assert set(deal["associations"]) == {"associatedVids", "associatedCompanyIds",
                                         "associatedDealIds", "associatedTicketIds"}
    # then its v3 batch read of the page's ids (the `hs_v2_date_*` properties)
    status, body = portal.post(rec.SINGER_DEALS_V3_BATCH, {
        "inputs": [{"id": str(d["dealId"])} for d in deals[:100]],
        "properties": ["hs_v2_date_entered_closedwon"]})
    assert status == 200
    assert len(body["results"]) == 100


def test_deals_v1_without_property_parameters_carry_only_the_id(portal: Portal) -> None:
    status, body = portal.get("/deals/v1/deal/paged", {"limit": 5})
    assert status == 200
    assert all(d["properties"] == {} and d["associations"] is None for d in body["deals"])
    status, body = portal.get("/deals/v1/deal/paged", {"limit": 5, "properties": ["amount"],
                                                       "propertiesWithHistory": "dealstage"})
    props = body["deals"][0]["properties"]
    assert set(props) <= {"amount", "dealstage"}
    assert "versions" in props["dealstage"]
    assert "versions" not in props.get("amount", {})
    assert portal.get("/deals/v1/deal/paged", {"limit": 251})[0] == 400


def test_singer_companies_v2_paged_then_each_company(portal: Portal) -> None:
    path, params = rec.SINGER_COMPANIES_PAGED
    companies = drain(portal, path, params, "companies", "has-more")
    assert len(companies) == portal.live("accounts")
    first = companies[0]
    assert set(first["properties"]) <= {"createdate", "hs_lastmodifieddate"}
    assert isinstance(first["properties"]["createdate"]["timestamp"], int)
    status, one = portal.get(rec.SINGER_COMPANY.format(company_id=first["companyId"]))
    assert status == 200
    assert one["companyId"] == first["companyId"]
    assert one["properties"]["name"]["value"]
    # contacts_by_company: the v3 association batch read of the page's companies
    status, body = portal.post(rec.SINGER_CONTACTS_BY_COMPANY, {
        "inputs": [{"id": c["companyId"]} for c in companies[:250]]})
    assert status in (200, 207)
    rows = body["results"]
    assert rows
    assert all(t["id"].isdigit() and t["type"] == "company_to_contact"
                        for r in rows for t in r["to"])


@pytest.mark.parametrize("base", ["/deals/v1/deal", "/companies/v2/companies"])
def test_recent_modified_pages_by_position_with_a_total(portal: Portal, base: str) -> None:
    key = "results"
    items = drain(portal, f"{base}/recent/modified", {"count": 100}, key, "hasMore")
    status, first = portal.get(f"{base}/recent/modified", {"count": 250})
    assert status == 200
    assert len(first[key]) == min(100, first["total"])  # more than 100 is taken as 100
    assert len(items) == first["total"]
    stamps = [r["properties"]["hs_lastmodifieddate"]["timestamp"] for r in items]
    assert stamps == sorted(stamps, reverse=True)
    window = dt.timedelta(days=30).total_seconds() * 1000
    assert all(stamps[0] - s <= window for s in stamps)


@pytest.mark.parametrize("replay", [rec.SINGER_ENGAGEMENTS, rec.AIRBYTE_ENGAGEMENTS_ALL],
                         ids=["singer-limit-190", "airbyte-count-250"])
def test_engagements_paged_to_the_end(portal: Portal,
                                      replay: tuple[str, dict[str, int]]) -> None:
    """Airbyte sends `count`, which this endpoint does not read: HubSpot's default page of
    100 applies, and the listing still ends."""
    path, params = replay
    items = drain(portal, path, params, "results", "hasMore")
    ids = [r["engagement"]["id"] for r in items]
    assert ids == sorted(set(ids))
    assert len(ids) == portal.live("activities")
    one = items[0]
    assert set(one) == {"engagement", "associations", "attachments", "metadata"}
    assert one["engagement"]["type"] in {"CALL", "EMAIL", "MEETING", "TASK"}
    assert set(one["associations"]) >= {"contactIds", "companyIds", "dealIds", "ownerIds",
                                        "ticketIds"}
    assert portal.get(path, {"limit": 251})[0] == 400


def singer_engagements_run(portal: Portal, after: int | str) -> tuple[list[Any], str]:
    """One run of tap-hubspot 4.5's engagements sync: (records, the bookmark it saves)."""
    path, params = rec.SINGER_ENGAGEMENTS_MODIFIED_AFTER
    out: list[Any] = []
    for _ in range(1000):
        status, body = portal.get(path, {**params, "after": after})
        assert status == 200, body
        out += body["results"]
        after = body.get("after", after)
        if not body["hasMore"]:
            return out, str(after)
    raise AssertionError("modified/after did not end")


def test_singer_engagements_modified_after_runs_incrementally(portal: Portal) -> None:
    org = portal.sb.org
    start = org.clock.now() - dt.timedelta(days=400)
    ms = int(start.replace(tzinfo=dt.UTC).timestamp() * 1000)
    first, bookmark = singer_engagements_run(portal, ms)
    stamps = [(r["engagement"]["lastUpdated"], r["engagement"]["id"]) for r in first]
    assert stamps == sorted(stamps)  # oldest change first
    assert len(first) == len({i for _, i in stamps}) == portal.live(
        "activities", f"modified_at > TIMESTAMP '{start.isoformat(sep=' ')}'")
    assert set(first[0]) == {"engagement", "associations", "attachments", "metadata"}
    assert singer_engagements_run(portal, bookmark) == ([], bookmark)  # nothing new
    org.advance_clock(dt.timedelta(seconds=2))
    org.update("activities", org.keys("activities", "NOT is_deleted")[0], {})
    again, later = singer_engagements_run(portal, bookmark)  # only the changed one
    assert len(again) == 1
    assert again[0]["engagement"]["lastUpdated"] > stamps[-1][0]
    assert singer_engagements_run(portal, later) == ([], later)
    path, _ = rec.SINGER_ENGAGEMENTS_MODIFIED_AFTER
    assert portal.get(path, {"limit": 1001})[0] == 400
    assert portal.get(path, {"after": "not-a-cursor"})[0] == 400


def test_airbyte_recent_engagements_since_30_days(portal: Portal) -> None:
    since = portal.sb.org.clock.now() - dt.timedelta(days=29)
    ms = int(since.replace(tzinfo=dt.UTC).timestamp() * 1000)
    path, params = rec.AIRBYTE_ENGAGEMENTS_RECENT
    status, head = portal.get(path, {**params, "since": ms})
    assert status == 200
    assert head["total"] <= 10_000
    items = drain(portal, path, {**params, "since": ms}, "results", "hasMore")
    assert len(items) == head["total"] == portal.live(
        "activities", f"modified_at > TIMESTAMP '{since.isoformat(sep=' ')}'")
    assert all(r["engagement"]["lastUpdated"] > ms for r in items)


def test_pipelines_v1_as_airbyte_meltano_and_singer_read_them(portal: Portal) -> None:
    status, deals = portal.get(rec.AIRBYTE_DEAL_PIPELINES)
    assert status == 200
    pipeline = deals["results"][0]
    assert pipeline["pipelineId"] == "default"
    assert pipeline["objectType"] == "DEAL"
    assert isinstance(pipeline["updatedAt"], int)
    won = [s for s in pipeline["stages"] if s["metadata"]["probability"] == "1.0"]
    assert won
    assert all(s["metadata"]["isClosed"] == "true" for s in won)
    status, tickets = portal.get(rec.MELTANO_TICKET_PIPELINES)
    assert status == 200
    assert [s["stageId"] for s in tickets["results"][0]["stages"]] == ["1", "2", "3", "4"]
    status, v3 = portal.get(rec.AIRBYTE_TICKET_PIPELINES)
    assert status == 200
    assert v3["results"][0]["id"] == "0"
    status, singer = portal.get(rec.SINGER_DEAL_PIPELINES)
    assert status == 200
    assert isinstance(singer, list)
    assert {s["stageId"] for s in singer[0]["stages"] if s["closedWon"]} == {
        s["stageId"] for s in won}
    assert portal.get("/crm-pipelines/v1/pipelines/contacts")[0] == 404
