"""Search by `hs_object_id`: every record in id order, a page of 200 at a time, each query
continued after its last id; comparisons on the id mean what they say for any number."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e


def search(cli: Clients, filters: list[dict[str, Any]], after: str | None = None,
           limit: int = 200) -> Any:  # fmt: skip
    body: dict[str, Any] = {"filterGroups": [{"filters": filters}], "limit": limit,
                            "sorts": [{"propertyName": "hs_object_id",
                                       "direction": "ASCENDING"}],
                            "properties": ["hs_object_id"]}  # fmt: skip
    if after is not None:
        body["after"] = after
    return cli.api("crm.objects.search_api").do_search("contacts", body)


def test_every_record_in_id_order_by_keyset(sandbox: Box, cli: Clients) -> None:
    ids: list[int] = []
    last = 0
    while True:
        page = search(cli, [{"propertyName": "hs_object_id", "operator": "GT",
                             "value": str(last)}])  # fmt: skip
        if not page.results:
            break
        ids += [int(r.id) for r in page.results]
        last = ids[-1]
    assert ids == sorted(set(ids))
    assert len(ids) == sandbox.org.count("leads")


@pytest.mark.parametrize(("op", "offset", "keep"), [
    ("GT", 0.5, lambda i, v: i > v), ("GTE", 0.5, lambda i, v: i >= v),
    ("LT", 0.5, lambda i, v: i < v), ("LTE", 0.5, lambda i, v: i <= v),
    ("GT", 0, lambda i, v: i > v), ("LTE", 0, lambda i, v: i <= v),
    ("EQ", 0, lambda i, v: i == v), ("EQ", 0.5, lambda i, v: i == v),
])  # fmt: skip
def test_comparisons_on_the_id_hold_for_any_number(
    cli: Clients, op: str, offset: float, keep: Any
) -> None:
    every = [int(r.id) for r in search(cli, [], limit=200).results]
    value = every[100] + offset
    got = search(cli, [{"propertyName": "hs_object_id", "operator": op, "value": str(value)},
                       {"propertyName": "hs_object_id", "operator": "LTE",
                        "value": str(every[-1])}])  # fmt: skip
    assert [int(r.id) for r in got.results] == [i for i in every if keep(i, value)]
