"""Associations inline on reads and listings, as HubSpot answers them: at most 100 per type
and record, then `paging.next` (`after`, `link`) to the v3 listing of that record's
associations; a Primary association shows twice (labeled and unlabeled)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e
COMPANY_BASE, DEAL_BASE = 20 * 10**9, 30 * 10**9


def busy(sandbox: Box, line_items: int, contacts: int) -> tuple[str, str]:
    """(a deal given `line_items` line items, a company given `contacts` contacts)."""
    org = sandbox.org
    deal = org.keys("opportunities", "NOT is_deleted AND account_n IS NOT NULL", limit=1)[0]
    items = org.keys("line_items", "NOT is_deleted", limit=line_items)
    org.update_many("line_items", [(k, {"opportunity_n": deal}) for k in items])
    company = org.keys("accounts", "NOT is_deleted", limit=1)[0]
    leads = org.keys("leads", "NOT is_deleted AND converted_opportunity_n IS NULL",
                     limit=contacts)
    org.update_many("leads", [(k, {"converted_account_n": company}) for k in leads])
    return str(DEAL_BASE + deal), str(COMPANY_BASE + company)


def follow(sandbox: Box, link: str) -> dict[str, Any]:
    """GET an answer's link with the portal's token, as a client following it would."""
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=sandbox.info["ca_file"])
    answer = pool.request("GET", link,
                          headers={"Authorization": f"Bearer {sandbox.info['access_token']}"})
    assert answer.status == 200, answer.data[:300]
    body: dict[str, Any] = json.loads(answer.data)
    return body


@pytest.fixture(scope="module")
def records(sandbox: Box) -> tuple[str, str]:
    return busy(sandbox, line_items=130, contacts=60)


def test_a_record_shows_100_associations_inline_then_a_link_to_the_rest(
    sandbox: Box, cli: Clients, records: tuple[str, str]
) -> None:
    deal = records[0]
    record = cli.api("crm.deals.basic_api").get_by_id(deal, associations=["line_items"])
    items = record.associations["line items"]
    assert len(items.results) == 100
    assert all(a.type == "deal_to_line_item" for a in items.results)
    assert items.paging.next.after
    assert f"/crm/v3/objects/0-3/{deal}/associations/0-8?after=" in items.paging.next.link
    rest = follow(sandbox, items.paging.next.link)
    ids = [a.id for a in items.results] + [a["id"] for a in rest["results"]]
    assert len(ids) == len(set(ids)) == 130
    assert "paging" not in rest
    assert ids == sorted(ids)


def test_listings_cap_each_record_and_type_alike(cli: Clients, records: tuple[str, str]) -> None:
    deal = records[0]
    pages = [cli.api("crm.deals.basic_api").get_page(limit=100, associations=["line_items"])]
    while pages[-1].paging is not None:
        pages.append(cli.api("crm.deals.basic_api").get_page(
            limit=100, associations=["line_items"], after=pages[-1].paging.next.after))
    deals = [d for page in pages for d in page.results if d.associations]
    busy = next(d for d in deals if d.id == deal)
    assert len(busy.associations["line items"].results) == 100
    others = [d.associations["line items"] for d in deals if d.id != deal]
    assert others
    assert all(c.paging is None and len(c.results) < 100 for c in others)


def test_a_primary_association_shows_twice_and_both_count_toward_the_cap(
    sandbox: Box, cli: Clients, records: tuple[str, str]
) -> None:
    company = records[1]
    record = cli.api("crm.companies.basic_api").get_by_id(company, associations=["contacts"])
    contacts = record.associations["contacts"]
    assert len(contacts.results) == 100  # 50 contacts, each labeled and unlabeled
    assert [a.type for a in contacts.results[:2]] == ["company_to_contact",
                                                      "company_to_contact_unlabeled"]
    assert contacts.results[0].id == contacts.results[1].id
    rest = follow(sandbox, contacts.paging.next.link)
    shown = {a.id for a in contacts.results} | {a["id"] for a in rest["results"]}
    assert len(shown) == sandbox.org.count(
        "leads l", f"NOT l.is_deleted AND l.converted_account_n = {int(company) - COMPANY_BASE}")
    deal = cli.api("crm.deals.basic_api").get_page(limit=1, associations=["companies"])
    assert [a.type for a in deal.results[0].associations["companies"].results] == [
        "deal_to_company", "deal_to_company_unlabeled"]


def test_v4_reads_give_both_types_of_a_primary_association(
    cli: Clients, records: tuple[str, str]
) -> None:
    read = cli.api("crm.associations.v4.batch_api").get_page(
        "deals", "companies", BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[{"id": records[0]}]))
    types = [(t.type_id, t.label) for t in read.results[0].to[0].association_types]
    assert types == [(5, "Primary"), (341, None)]


def test_the_record_listing_pages_by_its_own_limit_and_refuses_a_foreign_cursor(
    sandbox: Box, records: tuple[str, str]
) -> None:
    base = f"{sandbox.info['host']}/crm/v3/objects/deals/{records[0]}/associations/line_items"
    first = follow(sandbox, f"{base}?limit=120")
    assert len(first["results"]) == 120
    second = follow(sandbox, first["paging"]["next"]["link"])
    assert len(second["results"]) == 10
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=sandbox.info["ca_file"])
    auth = {"Authorization": f"Bearer {sandbox.info['access_token']}"}
    for query in ("?after=bm90LWEtY3Vyc29y", "?limit=501"):
        refused = pool.request("GET", base + query, headers=auth)
        assert refused.status == 400
        assert json.loads(refused.data)["category"] == "VALIDATION_ERROR"


def test_a_pair_without_associations_is_left_out_of_reads(
    cli: Clients, records: tuple[str, str]
) -> None:
    record = cli.api("crm.companies.basic_api").get_by_id(records[1], associations=["products"])
    assert not record.associations


def test_a_v4_batch_read_pages_one_record_on_from_its_after(
    sandbox: Box, cli: Clients, records: tuple[str, str]
) -> None:
    """With a page size set (HubSpot documents none), a record with more associations
    than a page carries `paging.next.after`; the same input with that `after` reads on."""
    sandbox.hs.objects.assoc.batch_page = 50
    try:
        read = cli.api("crm.associations.v4.batch_api").get_page
        ids: list[str] = []
        after = None
        while True:
            page = read("deals", "line_items", BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[{"id": records[0], **({"after": after} if after else {})}]))
            ids += [t.to_object_id for t in page.results[0].to]
            if page.results[0].paging is None:
                break
            after = page.results[0].paging.next.after
        assert len(ids) == len(set(ids)) == 130
        assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    finally:
        sandbox.hs.objects.assoc.batch_page = None
