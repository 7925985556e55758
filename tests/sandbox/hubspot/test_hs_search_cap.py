"""The 10,000-result search cap, on an org where more than 10,000 calls match."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hubspot.crm.objects import ApiException as ObjectsError
from hubspot.crm.objects import PublicObjectSearchRequest

from .conftest import Box, start_box

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Box]:
    """About 11,000 calls."""
    yield from start_box(0.3)


def test_paging_stops_at_10000_and_asking_past_it_answers_400(sandbox: Box) -> None:
    api = sandbox.clients().api("crm.objects.search_api")
    req = PublicObjectSearchRequest(filter_groups=[{"filters": [
        {"propertyName": "hs_timestamp", "operator": "HAS_PROPERTY"}]}], limit=200)
    first = api.do_search("calls", public_object_search_request=req)
    assert first.total > 10_000
    seen, after = len(first.results), first.paging.next.after
    while after is not None:
        req.after = after
        page = api.do_search("calls", public_object_search_request=req)
        seen += len(page.results)
        after = page.paging.next.after if page.paging else None
    assert seen == 10_000
    req.after = "10000"
    with pytest.raises(ObjectsError) as err:
        api.do_search("calls", public_object_search_request=req)
    assert err.value.status == 400
    assert "10000" in json.loads(err.value.body)["message"]
