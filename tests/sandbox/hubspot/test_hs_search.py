"""Search: every operator, sorts, offsets, totals, limits; no associations in results."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.deals import PublicObjectSearchRequest as DealSearch

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e


def search(cli: Clients, filters: list[dict[str, Any]], **kw: Any) -> Any:
    body = DealSearch(filter_groups=[{"filters": filters}] if filters else [],
                      properties=kw.pop("properties", ["amount", "dealstage", "closedate"]),
                      limit=kw.pop("limit", 200), **kw)
    return cli.api("crm.deals.search_api").do_search(public_object_search_request=body)


def count(sandbox: Box, where: str) -> int:
    return sandbox.org.count("opportunities", f"NOT is_deleted AND ({where})")


@pytest.mark.parametrize(("flt", "where"), [
    ({"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}, "is_won"),
    ({"propertyName": "dealstage", "operator": "NEQ", "value": "closedwon"}, "NOT is_won"),
    ({"propertyName": "amount", "operator": "GT", "value": "20000"}, "amount > 20000"),
    ({"propertyName": "amount", "operator": "GTE", "value": "20000"}, "amount >= 20000"),
    ({"propertyName": "amount", "operator": "LT", "value": "5000"}, "amount < 5000"),
    ({"propertyName": "amount", "operator": "LTE", "value": "5000"}, "amount <= 5000"),
    ({"propertyName": "amount", "operator": "BETWEEN", "value": "5000", "highValue": "9000"},
     "amount BETWEEN 5000 AND 9000"),
    ({"propertyName": "deal_currency_code", "operator": "IN", "values": ["EUR", "GBP"]},
     "currency IN ('EUR', 'GBP')"),
    ({"propertyName": "amount", "operator": "HAS_PROPERTY"}, "amount IS NOT NULL"),
    ({"propertyName": "amount", "operator": "NOT_HAS_PROPERTY"}, "amount IS NULL"),
    ({"propertyName": "closedate", "operator": "LT", "value": "1704067200000"},
     "close_date < DATE '2024-01-01'"),
])
def test_operators_match_the_org(sandbox: Box, cli: Clients, flt: dict[str, Any],
                                 where: str) -> None:
    assert search(cli, [flt], limit=1).total == count(sandbox, where)


def test_groups_are_ored_and_filters_anded(sandbox: Box, cli: Clients) -> None:
    body = DealSearch(filter_groups=[
        {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"},
                     {"propertyName": "amount", "operator": "GT", "value": "10000"}]},
        {"filters": [{"propertyName": "deal_currency_code", "operator": "EQ", "value": "jpy"}]},
    ], limit=1)
    res = cli.api("crm.deals.search_api").do_search(public_object_search_request=body)
    assert res.total == count(sandbox, "(is_won AND amount > 10000) OR currency = 'JPY'")


def test_sorts_and_after_offsets_walk_every_match_once(sandbox: Box, cli: Clients) -> None:
    seen, after, amounts = [], None, []
    while True:
        res = search(cli, [{"propertyName": "amount", "operator": "HAS_PROPERTY"}], limit=40,
                     after=after, sorts=[{"propertyName": "amount",
                                          "direction": "DESCENDING"}])
        seen += [r.id for r in res.results]
        amounts += [float(r.properties["amount"]) for r in res.results]
        assert all(getattr(r, "associations", None) is None for r in res.results)
        if res.paging is None:
            break
        after = res.paging.next.after
    assert len(seen) == len(set(seen)) == count(sandbox, "amount IS NOT NULL")
    assert amounts == sorted(amounts, reverse=True)


def test_query_text_search(cli: Clients) -> None:
    first = search(cli, [], limit=1, properties=["dealname"]).results[0]
    word = first.properties["dealname"].split(" - ")[-1]
    res = search(cli, [], query=word, properties=["dealname"])
    assert first.id in {r.id for r in res.results}


@pytest.mark.parametrize("body", [
    {"limit": 201},
    {"limit": 10, "after": "10000"},
    {"filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "1"}]}]},
    {"filterGroups": [{"filters": []}] * 6},
    {"sorts": [{"propertyName": "amount"}, {"propertyName": "dealname"}]},
])
def test_bad_searches_answer_400(cli: Clients, body: dict[str, Any]) -> None:
    with pytest.raises(DealsError) as err:
        cli.api("crm.deals.search_api").do_search(public_object_search_request=body)
    assert err.value.status == 400
    assert json.loads(err.value.body)["category"] == "VALIDATION_ERROR"
