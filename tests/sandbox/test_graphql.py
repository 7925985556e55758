"""The UI API GraphQL endpoint, through plain requests as the LWC wire adapter posts:
values and displayValues, filters, ordering, paging, counts, errors, API usage."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
import requests

from crm_sandbox import Sandbox

from .conftest import api, auth

pytestmark = pytest.mark.e2e

OPP_PAGE = """
query opps($first: Int, $after: String, $where: Opportunity_Filter,
           $orderBy: Opportunity_OrderBy) {
  uiapi { query { Opportunity(first: $first, after: $after, where: $where,
                              orderBy: $orderBy) {
    edges { node { Id Name { value } Amount { value displayValue } CloseDate { value }
                   CurrencyIsoCode { value } } cursor }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount pageResultCount } } }
}"""


def gql(http: requests.Session, sb: Sandbox, query: str, variables: dict[str, Any] | None = None,
        name: str | None = None, token: str | None = None) -> dict[str, Any]:
    """POST a GraphQL request; every answer is HTTP 200 with data and errors."""
    headers = {"Authorization": f"Bearer {token}"} if token else auth(sb)
    resp = http.post(api(sb, "graphql"), headers=headers,
                     json={"query": query, "variables": variables, "operationName": name})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def opportunities(http: requests.Session, sb: Sandbox, **variables: Any) -> dict[str, Any]:
    body = gql(http, sb, OPP_PAGE, variables)
    assert body["errors"] == [], body["errors"]
    conn: dict[str, Any] = body["data"]["uiapi"]["query"]["Opportunity"]
    return conn


def live(sb: Sandbox, table: str, where: str = "true") -> int:
    return sb.org.count(table, f"NOT is_deleted AND ({where})")


def test_values_and_display_values(http: requests.Session, sandbox: Sandbox) -> None:
    row = sandbox.org.cursor().execute(
        "SELECT name, amount, currency, close_date, created_at FROM opportunities "
        "WHERE NOT is_deleted AND amount IS NOT NULL AND currency = 'EUR' ORDER BY n "
        "LIMIT 1").fetchone()
    assert row is not None
    name, amount, currency, close, created = row
    body = gql(http, sandbox, """query one($name: String) { uiapi { query {
        Opportunity(where: {Name: {eq: $name}}) { edges { node {
          Id ApiName Name { value displayValue } Amount { value displayValue }
          CloseDate { value displayValue } CreatedDate { value displayValue }
          IsWon { value displayValue } StageName { value displayValue }
          Owner { Name { value } } } } } } } }""", {"name": name})
    assert body["errors"] == []
    node = body["data"]["uiapi"]["query"]["Opportunity"]["edges"][0]["node"]
    assert node["ApiName"] == "Opportunity"
    assert node["Id"].startswith("006")
    assert node["Name"] == {"value": name, "displayValue": None}
    assert node["Amount"] == {"value": pytest.approx(amount),
                              "displayValue": f"{currency} {amount:,.2f}"}
    assert node["CloseDate"] == {"value": close.isoformat(),
                                 "displayValue": f"{close.month}/{close.day}/{close.year}"}
    stamp = node["CreatedDate"]["value"]
    assert stamp == created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    hour = created.hour % 12 or 12
    assert node["CreatedDate"]["displayValue"] == (
        f"{created.month}/{created.day}/{created.year} {hour}:{created.minute:02d} "
        f"{'AM' if created.hour < 12 else 'PM'}")
    assert node["IsWon"]["displayValue"] is None
    assert isinstance(node["IsWon"]["value"], bool)
    assert node["StageName"]["displayValue"] == node["StageName"]["value"]
    assert node["Owner"]["Name"]["value"]


def test_whole_amounts_show_without_decimals_in_currencies_that_have_none(
        http: requests.Session, sandbox: Sandbox) -> None:
    conn = opportunities(http, sandbox, first=1,
                         where={"CurrencyIsoCode": {"eq": "JPY"}, "Amount": {"ne": None}})
    amount = conn["edges"][0]["node"]["Amount"]
    assert isinstance(amount["value"], int)
    assert amount["displayValue"] == f"JPY {amount['value']:,}"


@pytest.mark.parametrize(("where", "sql"), [
    ({"StageName": {"eq": "closed won"}}, "stage = 'Closed Won'"),
    ({"StageName": {"in": ["Closed Won", "Prospecting"]}},
     "stage IN ('Closed Won', 'Prospecting')"),
    ({"CurrencyIsoCode": {"nin": ["USD"]}}, "currency IS DISTINCT FROM 'USD'"),
    ({"Amount": {"gt": 10000, "lte": 50000}}, "amount > 10000 AND amount <= 50000"),
    ({"Amount": {"eq": None}}, "amount IS NULL"),
    ({"Name": {"like": "Deal 1%"}}, "name ILIKE 'Deal 1%'"),
    ({"or": [{"Amount": {"lt": 1000}}, {"CurrencyIsoCode": {"eq": "GBP"}}]},
     "amount < 1000 OR currency = 'GBP'"),
    ({"not": {"IsWon": {"eq": True}}}, "NOT is_won"),
    ({"CloseDate": {"gte": {"value": "2025-01-01"}}}, "close_date >= DATE '2025-01-01'"),
    ({"Owner": {"Name": {"like": "%a%"}}},
     "owner_n IN (SELECT n FROM users WHERE concat_ws(' ', first_name, last_name) ILIKE '%a%')"),
    ({"StageName": {"in": []}}, "false"),
])
def test_filters_count_what_soql_counts(http: requests.Session, sandbox: Sandbox,
                                        where: dict[str, Any], sql: str) -> None:
    conn = opportunities(http, sandbox, first=0, where=where)
    assert conn["totalCount"] == live(sandbox, "opportunities", sql)
    assert conn["edges"] == []
    assert conn["pageResultCount"] == 0


def test_date_literals_and_ranges(http: requests.Session, sandbox: Sandbox) -> None:
    today = sandbox.org.clock.today()
    month = opportunities(http, sandbox, first=0,
                          where={"CloseDate": {"eq": {"literal": "THIS_MONTH"}}})
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    assert month["totalCount"] == live(
        sandbox, "opportunities", f"close_date >= DATE '{start}' AND close_date < DATE '{end}'")
    recent = opportunities(http, sandbox, first=0,
                           where={"CloseDate": {"eq": {"range": {"last_n_days": 30}}}})
    assert recent["totalCount"] == live(
        sandbox, "opportunities",
        f"close_date >= DATE '{today - dt.timedelta(days=30)}' AND close_date <= DATE '{today}'")


def test_order_follows_the_written_keys(http: requests.Session, sandbox: Sandbox) -> None:
    conn = opportunities(http, sandbox, first=200,
                         orderBy={"CurrencyIsoCode": {"order": "DESC"},
                                  "Amount": {"order": "ASC", "nulls": "LAST"}})
    keys = [(n["node"]["CurrencyIsoCode"]["value"], n["node"]["Amount"]["value"])
            for n in conn["edges"]]
    currencies = [c for c, _ in keys]
    assert currencies == sorted(currencies, reverse=True)
    for code in set(currencies):
        amounts = [a for c, a in keys if c == code]
        present = [a for a in amounts if a is not None]
        assert amounts == [*sorted(present), *([None] * (len(amounts) - len(present)))]
    literal = gql(http, sandbox, """{ uiapi { query { Opportunity(first: 200,
        orderBy: {CloseDate: {order: DESC, nulls: LAST}, Name: {order: ASC}}) {
        edges { node { CloseDate { value } Name { value } } } } } } }""")
    dates = [e["node"]["CloseDate"]["value"]
             for e in literal["data"]["uiapi"]["query"]["Opportunity"]["edges"]]
    present = [d for d in dates if d is not None]
    assert present == sorted(present, reverse=True)
    assert dates[:len(present)] == present


def test_paging_to_the_end(http: requests.Session, sandbox: Sandbox) -> None:
    seen: list[str] = []
    after, pages = None, 0
    while True:
        conn = opportunities(http, sandbox, first=50, after=after,
                             orderBy={"Amount": {"order": "DESC"}})
        pages += 1
        seen += [e["node"]["Id"] for e in conn["edges"]]
        assert conn["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert conn["pageResultCount"] == len(conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
        assert conn["edges"][-1]["cursor"] == after
    total = live(sandbox, "opportunities")
    assert len(seen) == len(set(seen)) == total == conn["totalCount"]
    assert pages == -(-total // 50)
    first = opportunities(http, sandbox, first=1)
    assert first["edges"][0]["cursor"] == base64.b64encode(b"v1:0").decode() == "djE6MA=="


def test_default_page_is_ten_records(http: requests.Session, sandbox: Sandbox) -> None:
    conn = opportunities(http, sandbox)
    assert conn["pageResultCount"] == 10
    assert conn["pageInfo"]["hasNextPage"] is True


def test_aliases_fragments_and_typename(http: requests.Session, sandbox: Sandbox) -> None:
    body = gql(http, sandbox, """query named { uiapi { query {
        big: Opportunity(first: 2, orderBy: {Amount: {order: DESC, nulls: LAST}}) {
          edges { node { ...Fields } } }
        small: Opportunity(first: 2, orderBy: {Amount: {order: ASC}}) {
          edges { node { ... on Opportunity { amount: Amount { value } } } } } } } }
        fragment Fields on Opportunity { __typename amount: Amount { value } WeakEtag }""",
               name="named")
    assert body["errors"] == []
    query = body["data"]["uiapi"]["query"]
    big = [e["node"] for e in query["big"]["edges"]]
    assert big[0]["__typename"] == "Opportunity"
    assert big[0]["WeakEtag"] > 0
    assert big[0]["amount"]["value"] >= big[1]["amount"]["value"]
    assert "amount" in query["small"]["edges"][0]["node"]


def test_object_infos_carry_labels_and_help(http: requests.Session, sandbox: Sandbox) -> None:
    body = gql(http, sandbox, """{ uiapi { objectInfos(apiNames: ["Opportunity", "User"]) {
        ApiName label labelPlural nameFields
        fields { ApiName label dataType inlineHelpText scale
                 referenceToInfos { ApiName } } } } }""")
    assert body["errors"] == []
    opp, user = body["data"]["uiapi"]["objectInfos"]
    assert (opp["ApiName"], opp["label"], user["ApiName"]) == ("Opportunity", "Opportunity",
                                                               "User")
    fields = {f["ApiName"]: f for f in opp["fields"]}
    assert fields["Amount"]["dataType"] == "Currency"
    assert fields["Amount"]["scale"] == 2
    assert fields["Cost__c"]["label"] == "Cost"
    assert fields["OwnerId"]["referenceToInfos"] == [{"ApiName": "User"}]


def test_rest_object_info(http: requests.Session, sandbox: Sandbox) -> None:
    resp = http.get(api(sandbox, "ui-api/object-info/Opportunity"), headers=auth(sandbox))
    assert resp.status_code == 200
    info = resp.json()
    assert info["apiName"] == "Opportunity"
    assert info["keyPrefix"] == "006"
    assert info["fields"]["Amount"]["dataType"] == "Currency"
    assert info["fields"]["AccountId"]["relationshipName"] == "Account"
    assert info["nameFields"] == ["Name"]
    refused = http.get(api(sandbox, "ui-api/object-info/UserRole"), headers=auth(sandbox))
    assert refused.status_code == 400
    assert refused.json() == [{"errorCode": "INVALID_TYPE",
                               "message": "Object UserRole is not supported in UI API"}]
