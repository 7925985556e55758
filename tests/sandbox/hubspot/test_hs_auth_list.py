"""Tokens, OAuth refresh, scopes, and object listings with paging, through hubspot-api-client."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.objects import ApiException as ObjectsError
from hubspot.oauth import ApiException as OAuthError

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e


def list_all(api: object, **kw: object) -> list[object]:
    out, after = [], None
    while True:
        page = api.get_page(limit=100, after=after, **kw)  # type: ignore[attr-defined]
        out.extend(page.results)
        if page.paging is None:
            return out
        assert isinstance(page.paging.next.after, str)
        after = page.paging.next.after


def test_full_deal_listing_pages_through_every_live_deal(sandbox: Box, cli: Clients) -> None:
    deals = list_all(cli.api("crm.deals.basic_api"), properties=["dealname", "amount"])
    assert len(deals) == sandbox.org.count("opportunities") > 100
    assert len({d.id for d in deals}) == len(deals)
    assert all(d.id.isdigit() and not d.archived for d in deals)
    # HubSpot adds the record's stamps and id to the properties asked for.
    assert set(deals[0].properties) == {"dealname", "amount", "createdate",
                                        "hs_lastmodifieddate", "hs_object_id"}


def test_list_properties_are_strings_with_iso_millisecond_stamps(cli: Clients) -> None:
    page = cli.api("crm.deals.basic_api").get_page(
        limit=5, properties=["amount", "createdate", "hs_lastmodifieddate", "hs_object_id",
                             "dealstage", "pipeline", "hubspot_owner_id", "closedate"])
    props = page.results[0].properties
    assert all(v is None or isinstance(v, str) for v in props.values())
    assert props["hs_object_id"] == page.results[0].id
    assert props["createdate"].endswith("Z")
    assert len(props["createdate"]) == 24
    assert props["pipeline"] == "default"
    assert props["hubspot_owner_id"].isdigit()


def test_limit_above_100_answers_400(cli: Clients) -> None:
    with pytest.raises(DealsError) as err:
        cli.api("crm.deals.basic_api").get_page(limit=101)
    assert err.value.status == 400
    assert json.loads(err.value.body)["category"] == "VALIDATION_ERROR"


def test_archived_listing_holds_only_archived_records(sandbox: Box, cli: Clients) -> None:
    archived = list_all(cli.api("crm.contacts.basic_api"), archived=True)
    assert len(archived) == sandbox.org.count("leads", "is_deleted") > 0
    assert all(c.archived and c.archived_at is not None for c in archived)


def test_associations_parameter_adds_linked_ids(cli: Clients) -> None:
    page = cli.api("crm.deals.basic_api").get_page(limit=50, associations=["companies"])
    linked = [d for d in page.results if d.associations]
    assert linked
    first = linked[0].associations["companies"].results[0]
    assert first.id.isdigit()
    assert first.type == "deal_to_company"


def test_line_items_and_custom_typed_objects_list_through_objects_api(cli: Clients) -> None:
    api = cli.api("crm.objects.basic_api")
    for name in ("line_items", "products", "calls", "emails", "meetings", "tasks",
                 "companies", "feedback_submissions", "0-3"):
        page = api.get_page(name, limit=3)
        assert page.results, name


def test_read_by_id_and_by_unique_property(cli: Clients) -> None:
    api = cli.api("crm.contacts.basic_api")
    first = api.get_page(limit=1, properties=["email"]).results[0]
    again = api.get_by_id(first.id, properties=["email"])
    assert again.properties["email"] == first.properties["email"]
    by_email = api.get_by_id(first.properties["email"], id_property="email")
    assert by_email.id == first.id
    with pytest.raises(ContactsError) as err:
        api.get_by_id("999")
    assert err.value.status == 404


def test_bad_token_answers_401_with_hubspot_error_body(sandbox: Box) -> None:
    bad = sandbox.clients("pat-na1-not-a-token")
    with pytest.raises(DealsError) as err:
        bad.api("crm.deals.basic_api").get_page(limit=1)
    body = json.loads(err.value.body)
    assert err.value.status == 401
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["correlationId"]
    assert body["message"]


def test_oauth_refresh_issues_a_token_that_expires(sandbox: Box) -> None:
    info = sandbox.info
    anon = sandbox.clients("unused")
    tokens = anon.api("oauth.tokens_api").create(
        grant_type="refresh_token", client_id=info["client_id"],
        client_secret=info["client_secret"], refresh_token=info["refresh_token"])
    assert tokens.expires_in == 1800
    assert tokens.refresh_token == info["refresh_token"]
    oauth = sandbox.clients(tokens.access_token)
    assert oauth.api("crm.deals.basic_api").get_page(limit=1).results
    sandbox.advance(dt.timedelta(minutes=31))
    try:
        with pytest.raises(DealsError) as err:
            oauth.api("crm.deals.basic_api").get_page(limit=1)
    finally:
        sandbox.advance(dt.timedelta(minutes=-31))
    assert err.value.status == 401
    assert json.loads(err.value.body)["category"] == "EXPIRED_AUTHENTICATION"


def test_refresh_with_a_wrong_secret_is_refused(sandbox: Box) -> None:
    anon = sandbox.clients("unused")
    with pytest.raises(OAuthError) as err:
        anon.api("oauth.tokens_api").create(
            grant_type="refresh_token", client_id=sandbox.info["client_id"],
            client_secret="wrong", refresh_token=sandbox.info["refresh_token"])
    assert err.value.status == 400


def test_missing_scope_answers_403_naming_the_scope(sandbox: Box) -> None:
    token = sandbox.hs.tokens.issue({"crm.objects.contacts.read"}, seconds=None)
    limited = sandbox.clients(token)
    assert limited.api("crm.contacts.basic_api").get_page(limit=1).results
    with pytest.raises(ObjectsError) as err:
        limited.api("crm.objects.basic_api").get_page("deals", limit=1)
    body = json.loads(err.value.body)
    assert err.value.status == 403
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.deals.read"]


@pytest.mark.parametrize("after", ["abc", "20000000000"])
def test_an_after_that_is_no_cursor_of_this_type_answers_400(cli: Clients, after: str) -> None:
    with pytest.raises(DealsError) as err:
        cli.api("crm.deals.basic_api").get_page(limit=1, after=after)
    assert err.value.status == 400
