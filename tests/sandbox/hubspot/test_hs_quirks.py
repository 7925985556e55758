"""Quirks of real HubSpot answers, switched on by faults: a lagging search index right
after writes, and timestamps without milliseconds."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hubspot.crm.deals import PublicObjectSearchRequest as DealSearch
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealInput

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e
WON = {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}]}


def won_search(cli: Clients) -> object:
    req = DealSearch(filter_groups=[WON], properties=["amount"], limit=5)
    return cli.api("crm.deals.search_api").do_search(public_object_search_request=req)


def create_deal(cli: Clients) -> str:
    deal = cli.api("crm.deals.basic_api").create(DealInput(properties={
        "dealname": "lagging", "dealstage": "closedwon", "amount": "10"}))
    return str(deal.id)


def test_search_lag_answers_a_total_with_an_empty_page(sandbox: Box, cli: Clients) -> None:
    expected = sandbox.org.count("opportunities", "NOT is_deleted AND is_won")
    sandbox.faults.add({"kind": "search_lag", "path": "/search", "count": 1})
    lagging = won_search(cli)
    assert lagging.total == expected > 0
    assert lagging.results == []
    assert lagging.paging is None
    assert sandbox.stats()["faults"]["search_lag"] == 1
    caught_up = won_search(cli)  # the fault is spent: the index has caught up
    assert len(caught_up.results) == 5
    assert caught_up.paging.next.after == "5"


def test_search_lag_only_follows_writes_to_that_object(sandbox: Box, cli: Clients) -> None:
    sandbox.faults.add({"kind": "search_lag", "path": "/search", "lag": 5})
    assert won_search(cli).results  # nothing written yet: no lag
    before = won_search(cli).total
    create_deal(cli)
    lagging = won_search(cli)
    assert (lagging.total, lagging.results) == (before + 1, [])
    contacts = cli.api("crm.contacts.search_api").do_search(
        public_object_search_request={"limit": 1})
    assert contacts.results  # contacts were not written: their index is current
    sandbox.advance(dt.timedelta(seconds=6))
    assert won_search(cli).results


def test_stamps_without_ms_drop_a_zero_fraction_only(sandbox: Box, cli: Clients) -> None:
    new_id = create_deal(cli)
    sandbox.faults.add({"kind": "stamps_without_ms", "path": "/crm/v3/objects/deals"})
    api = cli.api("crm.deals.basic_api")
    raw = api.get_page(limit=2, properties=["hs_lastmodifieddate"],
                       _preload_content=False).data.decode()
    generated = json.loads(raw)["results"][0]
    # The generated org's stamps are whole seconds: Java's ISO_INSTANT drops ".000".
    for stamp in (generated["createdAt"], generated["updatedAt"],
                  generated["properties"]["hs_lastmodifieddate"]):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp), stamp
    written = json.loads(api.get_by_id(new_id, _preload_content=False).data)["createdAt"]
    row = sandbox.org.cursor().execute("SELECT created_at FROM opportunities WHERE n = ?",
                                       [int(new_id) - 30 * 10**9]).fetchone()
    assert row is not None
    assert len(written) == (20 if row[0].microsecond == 0 else 24)  # ms kept unless zero
    parsed = api.get_page(limit=1).results[0].created_at  # the client parses both forms
    assert parsed.tzinfo is not None
    assert parsed.microsecond == 0


def test_stamps_keep_milliseconds_without_the_switch(cli: Clients) -> None:
    raw = cli.api("crm.deals.basic_api").get_page(limit=1, _preload_content=False).data
    assert re.search(rb'"createdAt":"[^"]+\.\d{3}Z"', raw)
