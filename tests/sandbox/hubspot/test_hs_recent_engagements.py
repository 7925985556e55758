"""The legacy engagements API's recent engagements: every engagement type in one listing,
newest first, `since`, `count` (≤ 100), `offset`, the 30-day window, the contacts scope."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hubspot.crm.owners import ApiException as OwnersError

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e
PATH = "/engagements/v1/engagements/recent/modified"


def recent(cli: Clients, **query: Any) -> Any:
    """One call through one of hubspot-api-client's ApiClients (it has no class for it)."""
    api_client = cli.api("crm.owners.owners_api").api_client
    answer = api_client.call_api(PATH, "GET", {}, list(query.items()),
                                 {"Accept": "application/json"}, response_types_map={},
                                 auth_settings=["oauth2"], _return_http_data_only=True,
                                 _preload_content=False)
    return json.loads(answer.data)


def test_newest_first_twenty_by_default_and_at_most_a_hundred(cli: Clients) -> None:
    first = recent(cli)
    stamps = [r["engagement"]["lastUpdated"] for r in first["results"]]
    assert len(stamps) == 20
    assert stamps == sorted(stamps, reverse=True)
    assert first["hasMore"] is True
    assert first["offset"] == 20
    assert len(recent(cli, count=500)["results"]) == 100
    second = recent(cli, count=20, offset=20)
    assert second["results"][0]["engagement"]["lastUpdated"] <= stamps[-1]


def test_since_serves_what_changed_after_it_with_its_type_and_v3_id(
    sandbox: Box, cli: Clients
) -> None:
    sandbox.advance(dt.timedelta(minutes=10))
    since = int(sandbox.org.clock.now().replace(tzinfo=dt.UTC).timestamp() * 1000)
    sandbox.advance(dt.timedelta(seconds=1))
    call = sandbox.org.keys("activities", "NOT is_deleted AND subtype = 'Call'", limit=1)[0]
    stamp = sandbox.org.update("activities", call, {"subject": "again"})
    page = recent(cli, since=since, count=100)
    assert page["total"] == 1
    assert page["hasMore"] is False
    engagement = page["results"][0]["engagement"]
    assert engagement["type"] == "CALL"
    assert engagement["lastUpdated"] == int(stamp.replace(tzinfo=dt.UTC).timestamp() * 1000)
    v3 = cli.api("crm.objects.basic_api").get_by_id("calls", str(engagement["id"]),
                                                    properties=["hs_lastmodifieddate"])
    assert v3.properties["hs_lastmodifieddate"] == \
        stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def test_only_the_last_thirty_days_are_served(sandbox: Box, cli: Clients) -> None:
    old = int((sandbox.org.clock.now() - dt.timedelta(days=400)).replace(
        tzinfo=dt.UTC).timestamp() * 1000)
    window = sandbox.org.clock.now() - dt.timedelta(days=30)
    expected = sandbox.org.count("activities", f"NOT is_deleted AND modified_at > "
                                 f"TIMESTAMP '{window.isoformat(sep=' ')}'")
    assert recent(cli, since=old, count=1)["total"] == min(expected, 10_000)


def test_it_needs_the_contacts_scope(sandbox: Box) -> None:
    token = sandbox.hs.tokens.issue({"crm.objects.deals.read"}, seconds=None)
    with pytest.raises(OwnersError) as err:
        recent(sandbox.clients(token))
    assert err.value.status == 403
    body = json.loads(err.value.body)
    assert body["errors"][0]["context"]["requiredGranularScopes"] == \
        ["crm.objects.contacts.read"]
