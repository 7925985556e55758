"""Pure pieces of the GraphQL endpoint: SOQL literals from filter values, display values,
cursors, and the order of input keys."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from graphql import GraphQLError, parse
from graphql.language import ObjectValueNode, OperationDefinitionNode

from crm_sandbox.salesforce.graphql_api import ordered
from crm_sandbox.salesforce.graphql_records import cursor, offset_after, window
from crm_sandbox.salesforce.graphql_values import display_value, weak_etag, wire_value
from crm_sandbox.salesforce.graphql_where import FilterError, literal, quote
from crm_sandbox.salesforce.model import SField

TEXT, DAY, STAMP = SField("Name", "string"), SField("D", "date"), SField("T", "datetime")
MONEY = SField("Amount", "currency", scale=2)
RATE = SField("Rate__c", "percent", scale=2)


def test_quotes_escape_what_soql_unescapes() -> None:
    assert quote("O'Brien \\ co\n") == "'O\\'Brien \\\\ co\\n'"
    assert literal(TEXT, None) == "null"
    assert literal(SField("N", "double"), 3.0) == "3"
    assert literal(MONEY, 2.5) == "2.5"
    assert literal(SField("B", "boolean"), False) == "false"


def test_date_inputs() -> None:
    assert literal(DAY, {"value": dt.date(2024, 5, 1)}) == "2024-05-01"
    assert literal(STAMP, {"value": dt.datetime(2024, 5, 1, 8, 30)}) == \
        "2024-05-01T08:30:00.000Z"
    assert literal(DAY, {"literal": "LAST_MONTH"}) == "LAST_MONTH"
    assert literal(DAY, {"range": {"n_days_ago": 3}}) == "N_DAYS_AGO:3"
    with pytest.raises(FilterError):
        literal(DAY, {"range": {"last_n_days": 1, "next_n_days": 1}})
    with pytest.raises(FilterError):
        literal(DAY, {})


def test_display_values_in_en_us() -> None:
    assert display_value(DAY, "2022-02-11", "USD", 2) == "2/11/2022"
    assert display_value(STAMP, "2015-06-17T15:17:00.000Z", "USD", 2) == "6/17/2015 3:17 PM"
    assert display_value(STAMP, "2015-06-17T00:05:00.000Z", "USD", 2) == "6/17/2015 12:05 AM"
    assert display_value(MONEY, 350000000, "USD", 2) == "USD 350,000,000.00"
    assert display_value(MONEY, 1234.5, "JPY", 0) == "JPY 1,234"
    assert display_value(RATE, 90, "USD", 2) == "90"
    assert display_value(RATE, 75.89, "USD", 2) == "75.89"
    assert display_value(SField("N", "double", scale=0), 1234567, "USD", 2) == "1,234,567"
    assert display_value(TEXT, "x", "USD", 2) is None
    assert display_value(MONEY, None, "USD", 2) is None


def test_wire_values() -> None:
    assert wire_value(STAMP, "2021-12-18T06:14:43.000+0000") == "2021-12-18T06:14:43.000Z"
    assert wire_value(MONEY, 5.0) == 5
    assert isinstance(wire_value(MONEY, 5.0), int)
    assert wire_value(RATE, 75.89) == 75.89
    assert weak_etag("2021-12-18T06:14:43.000Z") == 1639808083000


def test_cursors_and_windows() -> None:
    assert cursor(9) == "djE6OQ=="
    assert offset_after("djE6OQ==") == 10
    assert offset_after(None) == 0
    for bad in ("djI6MQ==", "%%%", "djE6eA=="):
        with pytest.raises(GraphQLError):
            offset_after(bad)
    assert window(None, 0, None) == (10, 4000)
    assert window(500, 0, 10000) == (500, 10000)
    with pytest.raises(GraphQLError):
        window(-1, 0, None)


def test_order_of_written_keys() -> None:
    doc = parse("{ a(o: {B: {order: DESC}, A: {nulls: LAST}}) }")
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    node = op.selection_set.selections[0].arguments[0].value  # type: ignore[attr-defined]
    assert isinstance(node, ObjectValueNode)
    coerced = {"A": {"nulls": "LAST"}, "B": {"order": "DESC"}}
    assert list(ordered(coerced, node, {})) == ["B", "A"]
    var = parse("query($o: X) { a(o: $o) }").definitions[0]
    arg = var.selection_set.selections[0].arguments[0].value  # type: ignore[attr-defined]
    assert list(ordered(coerced, arg, {"o": {"B": {}, "A": {}}})) == ["B", "A"]


def test_the_product_imports_without_graphql_core() -> None:
    """graphql-core is in the `sandbox` extra: importing the product (and the sandbox
    package) must not need it; starting a sandbox names the extra."""
    code = ("import sys; sys.modules['graphql'] = None\n"
            "import connector.cli, crm_sandbox\n"
            "from crm_sandbox import MissingDependency, Sandbox\n"
            "try:\n    Sandbox(seed=7, scale=0.01).start()\n"
            "except MissingDependency as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert "graphql-core" in out.stdout
    assert "pip install 'crm-kpi[sandbox]'" in out.stdout
