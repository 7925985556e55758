"""GraphQL refusals in Salesforce's shape (HTTP 200, `errors[].extensions.ErrorType`),
the limits of a request, and what a request spends of the API allowance."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from crm_sandbox import Sandbox

from .conftest import api, auth, used
from .test_graphql import gql

pytestmark = pytest.mark.e2e


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] == {} or all(v is None for v in body["data"].values()), body
    assert len(body["errors"]) == 1, body["errors"]
    err: dict[str, Any] = body["errors"][0]
    assert set(err) == {"message", "locations", "paths", "extensions"}
    return err


@pytest.mark.parametrize(("query", "message"), [
    ("{ uiapi { query { Accounts { totalCount } } } }",
     "Validation error of type FieldUndefined: Field 'Accounts' in type 'RecordQuery' is "
     "undefined @ 'uiapi/query/Accounts'"),
    ("{ uiapi { query { Account { edges { node { Revenue__c { value } } } } } } }",
     "Validation error of type FieldUndefined: Field 'Revenue__c' in type 'Account' is "
     "undefined @ 'uiapi/query/Account/edges/node/Revenue__c'"),
    ("{ uiapi { query { Account(where: {Revenue__c: {gt: 1}}) { totalCount } } } }",
     "Validation error of type FieldUndefined: Field 'Revenue__c' in type 'Account_Filter' "
     "is undefined @ 'uiapi/query/Account'"),
    ("{ uiapi { query { Account(limit: 5) { totalCount } } } }",
     "Validation error of type UnknownArgument: Unknown field argument limit @ "
     "'uiapi/query/Account'"),
    ("{ uiapi { query { Account { edges { node { Name } } } } } }",
     "Validation error of type SubSelectionRequired: Sub selection required for type "
     "StringValue of field Name @ 'uiapi/query/Account/edges/node/Name'"),
    ("{ uiapi { query { Account { edges { node { Id { value } } } } } } }",
     "Validation error of type SubSelectionNotAllowed: Sub selection not allowed on leaf "
     "type ID! of field Id @ 'uiapi/query/Account/edges/node/Id'"),
    ("{ uiapi { aggregate { Account { edges { node { aggregate { Id { count { value } } } } } }"
     " } } }",
     "Validation error of type FieldUndefined: Field 'aggregate' in type 'UIAPI' is "
     "undefined @ 'uiapi/aggregate'"),
    ("{ uiapi { query { Account(scope: TEAM) { totalCount } } } }",
     "Validation error of type WrongType: Value 'TEAM' does not exist in 'AccountScope' enum"
     " @ 'uiapi/query/Account'"),
])
def test_validation_errors(http: requests.Session, sandbox: Sandbox, query: str,
                           message: str) -> None:
    err = only_error(gql(http, sandbox, query))
    assert err["message"] == message
    assert err["extensions"] == {"ErrorType": "ValidationError"}
    assert err["paths"] == []
    assert err["locations"][0]["line"] == 1


def test_syntax_error(http: requests.Session, sandbox: Sandbox) -> None:
    err = only_error(gql(http, sandbox, "query {\n  uiapi { query { Account { totalCount } }\n"))
    assert err["extensions"] == {"ErrorType": "InvalidSyntax"}
    assert err["message"] == "Invalid Syntax : offending token '<EOF>' at line 3 column 1"


def test_mutations_are_not_served(http: requests.Session, sandbox: Sandbox) -> None:
    err = only_error(gql(http, sandbox, """mutation { uiapi(input: {allOrNone: true}) {
        AccountCreate(input: {Account: {Name: "X"}}) { Record { Id } } } }"""))
    assert err == {"message": "Schema is not configured for mutations.",
                   "locations": [{"line": 1, "column": 1}], "paths": [],
                   "extensions": {"ErrorType": "OperationNotSupported"}}


def test_operation_name_must_pick_one(http: requests.Session, sandbox: Sandbox) -> None:
    two = ("query a { uiapi { query { Account { totalCount } } } } "
           "query b { uiapi { query { Lead { totalCount } } } }")
    err = only_error(gql(http, sandbox, two))
    assert err["extensions"] == {"ErrorType": "OperationNotSupported"}
    picked = gql(http, sandbox, two, name="b")
    assert picked["errors"] == []
    assert picked["data"]["uiapi"]["query"]["Lead"]["totalCount"] > 0


@pytest.mark.parametrize(("args", "message"), [
    ("first: 2001", "The first argument must be between 0 and 2000: 2001"),
    ("first: 100, upperBound: 5000",
     "With upperBound, the first argument must be between 200 and 2000: 100"),
    ('after: "bm9wZQ=="', "Invalid cursor: bm9wZQ=="),
    ("where: {CloseDate: {in: [{literal: TODAY}]}}",
     "CloseDate: in takes date values, not literals or ranges"),
    ("where: {CloseDate: {eq: {value: \"2024-01-01\", literal: TODAY}}}",
     "CloseDate: give exactly one of value, literal or range"),
    ("where: {Amount: {gt: null}}", "Amount: null can only be compared with eq or ne"),
])
def test_data_fetching_errors(http: requests.Session, sandbox: Sandbox, args: str,
                              message: str) -> None:
    body = gql(http, sandbox, f"{{ uiapi {{ query {{ Opportunity({args}) {{ totalCount }} }} }} }}")
    assert body["data"] == {"uiapi": {"query": {"Opportunity": None}}}
    assert body["errors"] == [{"message": message, "locations": [{"line": 1, "column": 19}],
                               "paths": ["uiapi", "query", "Opportunity"],
                               "extensions": {"ErrorType": "DataFetchingException"}}]


def test_variables_of_the_wrong_type(http: requests.Session, sandbox: Sandbox) -> None:
    body = gql(http, sandbox, "query q($n: Int) { uiapi { query { Lead(first: $n) { totalCount }"
               " } } }", {"n": "ten"})
    err = only_error(body)
    assert err["extensions"] == {"ErrorType": "ValidationError"}
    assert "$n" in err["message"]


def test_at_most_ten_subqueries(http: requests.Session, sandbox: Sandbox) -> None:
    many = " ".join(f"q{i}: Lead(first: 1) {{ totalCount }}" for i in range(11))
    err = only_error(gql(http, sandbox, f"{{ uiapi {{ query {{ {many} }} }} }}"))
    assert err["message"] == "A query can contain at most 10 subqueries; this one has 11"


def test_each_subquery_spends_one_api_call(http: requests.Session, stats: Sandbox) -> None:
    before = used(stats)
    gql(http, stats, "{ uiapi { query { a: Lead(first: 1) { totalCount } "
                     "b: Account(first: 1) { totalCount } c: User { totalCount } } } }")
    assert used(stats) == before + 3
    gql(http, stats, "{ uiapi { objectInfos(apiNames: [\"Lead\"]) { ApiName } } }")
    gql(http, stats, "{ uiapi { query { Nope { totalCount } } } }")
    assert used(stats) == before + 5
    assert stats.stats()["endpoints"]["salesforce.graphql"] == 3


def test_a_spent_allowance_is_refused(http: requests.Session, sandbox: Sandbox) -> None:
    usage = sandbox.salesforce.ctx.usage
    cap = usage.cap
    usage.cap = usage.snapshot()[0]
    try:
        resp = http.post(api(sandbox, "graphql"), headers=auth(sandbox),
                         json={"query": "{ uiapi { query { Lead { totalCount } } } }"})
    finally:
        usage.cap = cap
    assert resp.status_code == 403
    assert resp.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_requests_that_are_not_graphql(http: requests.Session, sandbox: Sandbox) -> None:
    for body in ({"variables": {}}, {"query": 5}, {"query": "{ a }", "variables": [1]}):
        resp = http.post(api(sandbox, "graphql"), headers=auth(sandbox), json=body)
        assert resp.status_code == 400
        assert resp.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    resp = http.post(api(sandbox, "graphql"), json={"query": "{ uiapi { query { Lead { "
                                                             "totalCount } } } }"})
    assert resp.status_code == 401
