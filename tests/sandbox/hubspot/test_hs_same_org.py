"""The Sandbox serves one org through both CRMs: the HubSpot view matches the Salesforce one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.deals import PublicObjectSearchRequest
from simple_salesforce import Salesforce

from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[Sandbox, Salesforce, HubSpot]]:
    with Sandbox(seed=7, scale=0.02) as sb:
        session = requests.Session()
        session.verify, session.trust_env = sb.info["ca_file"], False
        sf = Salesforce(instance_url=sb.info["salesforce"]["instance_url"],
                        session_id=sb.info["salesforce"]["access_token"], session=session,
                        version="60.0")
        info = sb.info["hubspot"]
        hs = HubSpot(access_token=info["access_token"], host=info["host"],
                     ssl_ca_cert=sb.info["ca_file"])
        sb.hubspot.limits.configure(per_ten_seconds=None, search_per_second=None)
        yield sb, sf, hs
        session.close()


def test_info_names_how_to_connect(both: tuple[Sandbox, Salesforce, HubSpot]) -> None:
    sb, _, _ = both
    info = sb.info["hubspot"]
    assert info["host"] == sb.info["base_url"]
    assert {"access_token", "client_id", "client_secret", "refresh_token"} <= set(info)


def test_deals_are_the_salesforce_opportunities(
        both: tuple[Sandbox, Salesforce, HubSpot]) -> None:
    _, sf, hs = both
    soql = sf.query_all("SELECT Name, Amount, IsWon, IsClosed FROM Opportunity")["records"]
    api = hs.crm.deals.basic_api
    deals, after = [], None
    while True:
        page = api.get_page(limit=100, after=after,
                            properties=["dealname", "amount", "hs_is_closed_won"])
        deals += page.results
        if page.paging is None:
            break
        after = page.paging.next.after
    assert sorted(d.properties["dealname"] for d in deals) == sorted(r["Name"] for r in soql)
    won_sf = sum(r["Amount"] or 0 for r in soql if r["IsWon"])
    won_hs = sum(float(d.properties["amount"] or 0) for d in deals
                 if d.properties["hs_is_closed_won"] == "true")
    assert won_hs == pytest.approx(won_sf)
    search = hs.crm.deals.search_api.do_search(public_object_search_request=(
        PublicObjectSearchRequest(filter_groups=[{"filters": [
            {"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}]}], limit=1)))
    assert search.total == sum(1 for r in soql if r["IsWon"])
    api.api_client.rest_client.pool_manager.clear()
    hs.crm.deals.search_api.api_client.rest_client.pool_manager.clear()


def test_contacts_are_the_salesforce_leads(both: tuple[Sandbox, Salesforce, HubSpot]) -> None:
    _, sf, hs = both
    total = sf.query("SELECT COUNT() FROM Lead")["totalSize"]
    converted = sf.query("SELECT COUNT() FROM Lead WHERE ConvertedOpportunityId != null")
    api = hs.crm.contacts.search_api
    everyone = api.do_search(public_object_search_request=PublicObjectSearchRequest(limit=1))
    opportunity = api.do_search(public_object_search_request=PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ",
                                     "value": "opportunity"}]}], limit=1))
    assert everyone.total == total
    assert opportunity.total == converted["totalSize"]
    api.api_client.rest_client.pool_manager.clear()
