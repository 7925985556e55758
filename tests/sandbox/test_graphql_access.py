"""GraphQL and object info as each user sees the org: a rep, another rep, their manager,
an admin, and a user without the object — sessions from the sandbox's info file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from crm_sandbox import Sandbox
from crm_sandbox.ids import parse_sf_id

from .conftest import api, grant_fields, session_for
from .test_access_api import people
from .test_graphql import gql

pytestmark = pytest.mark.e2e

KPI_QUERY = """query kpis($scope: Sales_KPI__cScope) { uiapi { query {
  Sales_KPI__c(first: 50, scope: $scope, orderBy: {Value__c: {order: DESC}}) {
    edges { node { Id Name { value } Value__c { value displayValue }
                   Attainment__c { value displayValue } Period_Start__c { value displayValue }
                   Owner { Name { value } } } }
    totalCount } } } }"""
FIELDS = (("Value__c", {"type": "Currency", "precision": 18, "scale": 2,
                        "inlineHelpText": "Revenue won in the period"}),
          ("Attainment__c", {"type": "Percent", "precision": 5, "scale": 2}),
          ("Period_Start__c", {"type": "Date"}),
          ("Internal_Note__c", {"type": "Text", "length": 80}))


def make_private_kpis(sandbox: Sandbox, sf: Salesforce, who: dict[str, Any]) -> None:
    """A Private KPI object, readable (but for one field) by a permission set the reps
    and their manager hold, and rows owned by each of them."""
    sf.restful("tooling/sobjects/CustomObject", method="POST", json={
        "FullName": "Sales_KPI__c", "Metadata": {
            "label": "Sales KPI", "pluralLabel": "Sales KPIs", "sharingModel": "Private",
            "nameField": {"type": "Text", "label": "KPI Name"},
            "deploymentStatus": "Deployed"}})
    for name, meta in FIELDS:
        sf.toolingexecute("sobjects/CustomField", method="POST", data={
            "FullName": f"Sales_KPI__c.{name}", "Metadata": {"label": name[:-3], **meta}})
    grant_fields(sf, *(f"Sales_KPI__c.{name}" for name, _ in FIELDS))
    access = sandbox.salesforce.ctx.access
    access.upsert_permission_set("KPI_Reader", "KPI Reader")
    access.grant_object("KPI_Reader", "Sales_KPI__c", read=True)
    for name, _ in FIELDS[:3]:
        access.grant_field("KPI_Reader", f"Sales_KPI__c.{name}", read=True)
    for role in ("rep", "other", "manager"):
        access.assign("KPI_Reader", who[role]["username"])
    rows = [(who["rep"], 3), (who["other"], 2), (who["manager"], 1)]
    records = [{"attributes": {"type": "Sales_KPI__c"}, "OwnerId": user["user_id"],
                "Name": f"Revenue · {user['name']} · {i}", "Value__c": 1000.5 * (i + 1),
                "Attainment__c": 12.5 * (i + 1), "Period_Start__c": f"2026-0{i + 1}-01",
                "Internal_Note__c": "not for reps"}
               for user, count in rows for i in range(count)]
    res = sf.restful("composite/sobjects", method="POST",
                     json={"allOrNone": True, "records": records})
    assert all(r["success"] for r in res), res


@pytest.fixture(scope="module")
def who(sandbox: Sandbox) -> Iterator[dict[str, Any]]:
    """The people of the test, once their KPI rows exist."""
    found = people(sandbox)
    http = session_for(sandbox)
    info = sandbox.info["salesforce"]
    sf = Salesforce(instance_url=info["instance_url"], session_id=info["access_token"],
                    session=http, version="60.0")
    make_private_kpis(sandbox, sf, found)
    yield found
    http.close()


def kpis(http: requests.Session, sb: Sandbox, user: dict[str, Any],
         scope: str | None = None) -> dict[str, Any]:
    body = gql(http, sb, KPI_QUERY, {"scope": scope}, token=user["access_token"])
    assert body["errors"] == [], body["errors"]
    conn: dict[str, Any] = body["data"]["uiapi"]["query"]["Sales_KPI__c"]
    return conn


def owners(conn: dict[str, Any]) -> list[str]:
    return sorted(e["node"]["Owner"]["Name"]["value"] for e in conn["edges"])


def test_a_rep_reads_only_their_rows(http: requests.Session, sandbox: Sandbox,
                                     who: dict[str, Any]) -> None:
    mine = kpis(http, sandbox, who["rep"])
    assert mine["totalCount"] == 3
    assert owners(mine) == [who["rep"]["name"]] * 3
    top = mine["edges"][0]["node"]
    assert top["Value__c"] == {"value": 3001.5, "displayValue": "USD 3,001.50"}
    assert top["Attainment__c"] == {"value": 37.5, "displayValue": "37.5"}
    assert top["Period_Start__c"] == {"value": "2026-03-01", "displayValue": "3/1/2026"}
    theirs = kpis(http, sandbox, who["other"])
    assert owners(theirs) == [who["other"]["name"]] * 2
    assert not {e["node"]["Id"] for e in mine["edges"]} & {e["node"]["Id"]
                                                          for e in theirs["edges"]}


def test_a_manager_reads_the_team_and_scope_mine_narrows(
        http: requests.Session, sandbox: Sandbox, who: dict[str, Any]) -> None:
    team = kpis(http, sandbox, who["manager"])
    assert owners(team) == sorted([who["rep"]["name"]] * 3 + [who["other"]["name"]] * 2
                                  + [who["manager"]["name"]])
    own = kpis(http, sandbox, who["manager"], scope="MINE")
    assert owners(own) == [who["manager"]["name"]]
    admin = kpis(http, sandbox, who["admin"])
    assert admin["totalCount"] == 6


def test_a_field_without_read_access_does_not_exist(
        http: requests.Session, sandbox: Sandbox, who: dict[str, Any]) -> None:
    query = ("{ uiapi { query { Sales_KPI__c { edges { node { Internal_Note__c { value } } } }"
             " } } }")
    refused = gql(http, sandbox, query, token=who["rep"]["access_token"])
    assert refused["data"] == {}
    assert refused["errors"][0]["message"] == (
        "Validation error of type FieldUndefined: Field 'Internal_Note__c' in type "
        "'Sales_KPI__c' is undefined @ 'uiapi/query/Sales_KPI__c/edges/node/Internal_Note__c'")
    filtered = gql(http, sandbox, "{ uiapi { query { Sales_KPI__c(where: {Internal_Note__c: "
                   "{eq: \"x\"}}) { totalCount } } } }", token=who["rep"]["access_token"])
    assert "'Sales_KPI__c_Filter'" in filtered["errors"][0]["message"]
    allowed = gql(http, sandbox, query, token=who["admin"]["access_token"])
    assert allowed["errors"] == []


def test_an_object_without_read_access_does_not_exist(
        http: requests.Session, sandbox: Sandbox, who: dict[str, Any]) -> None:
    holders = {who[r]["username"] for r in ("rep", "other", "manager")}
    outsider = next(u for u in sandbox.info["salesforce"]["users"]
                    if u["profile"] == "Standard User" and u["username"] not in holders)
    body = gql(http, sandbox, "{ uiapi { query { Sales_KPI__c { totalCount } } } }",
               token=outsider["access_token"])
    assert body["errors"][0]["message"] == (
        "Validation error of type FieldUndefined: Field 'Sales_KPI__c' in type 'RecordQuery' "
        "is undefined @ 'uiapi/query/Sales_KPI__c'")
    info = http.get(api(sandbox, "ui-api/object-info/Sales_KPI__c"),
                    headers={"Authorization": f"Bearer {outsider['access_token']}"})
    assert info.status_code == 400
    assert info.json()[0]["errorCode"] == "INVALID_TYPE"


def test_object_info_shows_what_the_viewer_reads(http: requests.Session, sandbox: Sandbox,
                                                 who: dict[str, Any]) -> None:
    body = gql(http, sandbox, """{ uiapi { objectInfos(apiNames: ["Sales_KPI__c"]) {
        ApiName label labelPlural fields { ApiName label dataType inlineHelpText } } } }""",
               token=who["rep"]["access_token"])
    assert body["errors"] == []
    info = body["data"]["uiapi"]["objectInfos"][0]
    assert (info["label"], info["labelPlural"]) == ("Sales KPI", "Sales KPIs")
    fields = {f["ApiName"]: f for f in info["fields"]}
    assert "Internal_Note__c" not in fields
    assert fields["Value__c"] == {"ApiName": "Value__c", "label": "Value",
                                  "dataType": "Currency",
                                  "inlineHelpText": "Revenue won in the period"}
    rest = http.get(api(sandbox, "ui-api/object-info/Sales_KPI__c"),
                    headers={"Authorization": f"Bearer {who['rep']['access_token']}"}).json()
    assert set(rest["fields"]) == set(fields)
    assert rest["fields"]["Attainment__c"]["dataType"] == "Percent"


def record(http: requests.Session, sb: Sandbox, user: dict[str, Any], record_id: str,
           **params: str) -> requests.Response:
    return http.get(api(sb, f"ui-api/records/{record_id}"), params=params,
                    headers={"Authorization": f"Bearer {user['access_token']}"})


def test_get_record_as_the_viewer(http: requests.Session, sandbox: Sandbox,
                                  who: dict[str, Any]) -> None:
    row = sandbox.org.cursor().execute(
        "SELECT n, amount, currency FROM opportunities WHERE NOT is_deleted AND amount IS NOT "
        "NULL AND owner_n = ? ORDER BY n LIMIT 1",
        [parse_sf_id(who["rep"]["user_id"])[1]]).fetchone()  # type: ignore[index]
    assert row is not None
    deal = sandbox.org.cursor().execute("SELECT sfid('006', ?)", [row[0]]).fetchone()[0]
    resp = record(http, sandbox, who["rep"], deal,
                  fields="Opportunity.OwnerId,Opportunity.Amount",
                  optionalFields="Opportunity.Owner.Name,Opportunity.Nope__c")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["apiName"], body["id"]) == ("Opportunity", deal)
    assert set(body["fields"]) == {"OwnerId", "Amount", "Owner"}
    assert body["fields"]["OwnerId"] == {"displayValue": None, "value": who["rep"]["user_id"]}
    assert body["fields"]["Amount"]["displayValue"] == f"{row[2]} {row[1]:,.2f}"
    assert body["fields"]["Owner"]["displayValue"] == who["rep"]["name"]
    assert body["fields"]["Owner"]["value"]["fields"] == {
        "Name": {"value": who["rep"]["name"], "displayValue": None}}
    layout = record(http, sandbox, who["rep"], deal, layoutTypes="Full")
    assert layout.status_code == 400
    assert layout.json()[0]["errorCode"] == "ILLEGAL_QUERY_PARAMETER_VALUE"
    bad = record(http, sandbox, who["rep"], deal, fields="Opportunity.Nope__c")
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALID_FIELD"


def test_get_record_hides_what_sharing_hides(http: requests.Session, sandbox: Sandbox,
                                             who: dict[str, Any]) -> None:
    mine = kpis(http, sandbox, who["rep"])["edges"][0]["node"]["Id"]
    assert record(http, sandbox, who["rep"], mine,
                  fields="Sales_KPI__c.Value__c").status_code == 200
    hidden = record(http, sandbox, who["other"], mine, fields="Sales_KPI__c.Value__c")
    assert hidden.status_code == 404
    assert hidden.json()[0]["errorCode"] == "NOT_FOUND"
    note = record(http, sandbox, who["rep"], mine, fields="Sales_KPI__c.Internal_Note__c")
    assert note.status_code == 400
