"""Finding archived (deleted) records, as a connector reconciling deletes would."""

from __future__ import annotations

import datetime as dt

import pytest
from hubspot.crm.deals import ApiException as DealsError

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e


def archived_ids(cli: Clients) -> list[str]:
    api, out, after = cli.api("crm.deals.basic_api"), [], None
    while True:
        page = api.get_page(limit=100, after=after, archived=True, properties=["dealname"])
        out.extend(d.id for d in page.results)
        if page.paging is None:
            return out
        after = page.paging.next.after


def test_archiving_moves_a_record_to_the_archived_listing(sandbox: Box, cli: Clients) -> None:
    api = cli.api("crm.deals.basic_api")
    deal = api.get_page(limit=1, properties=["dealname"]).results[0]
    sandbox.advance(dt.timedelta(minutes=3))
    api.archive(deal.id)
    assert deal.id in archived_ids(cli)
    gone = api.get_by_id(deal.id, archived=True)
    assert gone.archived is True
    assert gone.archived_at > deal.updated_at  # when it was archived...
    assert gone.updated_at == deal.updated_at  # ...which is no modification
    with pytest.raises(DealsError) as err:
        api.get_by_id(deal.id)
    assert err.value.status == 404
    found = cli.api("crm.deals.search_api").do_search({"filterGroups": [{"filters": [
        {"propertyName": "hs_object_id", "operator": "EQ", "value": deal.id}]}]})
    assert found.total == 0  # search never returns archived records
    batch = cli.api("crm.deals.batch_api").read(
        {"inputs": [{"id": deal.id}], "properties": ["dealname"]}, archived=True)
    assert [r.id for r in batch.results] == [deal.id]


def test_archived_listing_is_in_id_order_and_pages(cli: Clients) -> None:
    ids = archived_ids(cli)
    assert ids == sorted(ids, key=int)
    assert len(set(ids)) == len(ids)


def test_archived_records_are_purged_after_90_days(sandbox: Box, cli: Clients) -> None:
    before = archived_ids(cli)
    assert before
    sandbox.advance(dt.timedelta(days=91))
    try:
        assert archived_ids(cli) == []
    finally:
        sandbox.advance(dt.timedelta(days=-91))
    assert archived_ids(cli) == before
