"""SOQL dateTime literals as public connectors send them to real orgs.

Airbyte's source-salesforce (source_salesforce/streams.py, IncrementalRestSalesforceStream)
builds `SELECT … FROM X WHERE <cursor> >= <start> AND <cursor> < <end>` with the start
taken from its saved state — a Python `isoformat()` whose fraction has six digits — and
sends it to `/queryAll`; a query recorded against a real org (IlluminatedCloud issue 2283)
used `2022-12-01T10:47:53.299852-06:00`. Salesforce answers those; the sandbox must too,
and must refuse what the SOQL reference's grammar does not allow.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests

from crm_sandbox import Sandbox

from ..conftest import api, auth

pytestmark = pytest.mark.e2e

# The same instant, written as the connectors and the reference write it.
SAME_INSTANT = [
    "2025-06-01T12:00:00Z",
    "2025-06-01T12:00:00.000Z",
    "2025-06-01T12:00:00.000000Z",          # Airbyte's saved cursor, second run on
    "2025-06-01T12:00:00.000000+00:00",
    "2025-06-01T06:00:00.000000-06:00",     # six digits and an offset (IlluminatedCloud 2283)
    "2025-06-01T14:00:00.0+02:00",
]


def count(sb: Sandbox, http: requests.Session, where: str, resource: str = "queryAll") -> Any:
    q = f"SELECT COUNT() FROM Account WHERE {where}"
    return http.get(api(sb, f"{resource}/"), params={"q": q}, headers=auth(sb), timeout=30)


@pytest.mark.parametrize("literal", SAME_INSTANT)
def test_datetime_literals_of_one_instant_select_the_same_records(
        sandbox: Sandbox, http: requests.Session, literal: str) -> None:
    reference = count(sandbox, http, "SystemModstamp >= 2025-06-01T12:00:00Z").json()
    answer = count(sandbox, http, f"SystemModstamp >= {literal}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["totalSize"] == reference["totalSize"] > 0


def test_the_airbyte_incremental_query_runs_twice(sandbox: Sandbox,
                                                  http: requests.Session) -> None:
    """First run from the configured start (`…Z`), second from the saved state (6 digits)."""
    fields = "Id,Name,SystemModstamp"
    for start in ("2021-07-25T00:00:00Z", "2021-07-25T00:00:00.000000+00:00"):
        q = (f"SELECT {fields} FROM Account WHERE SystemModstamp >= {start} "
             f"AND SystemModstamp < 2099-01-01T00:00:00.000+00:00")
        r = http.get(api(sandbox, "queryAll/"), params={"q": q}, headers=auth(sandbox),
                     timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["totalSize"] > 0


def test_fractions_below_the_millisecond_are_compared_as_written(
        sandbox: Sandbox, http: requests.Session) -> None:
    """A record stamped at `….123Z` matches `>= ….123000Z` and not `> ….123001Z`."""
    at = (sandbox.org.clock.now() + dt.timedelta(days=1)).replace(microsecond=123_000)
    sandbox.org.touch("accounts", [sandbox.org.keys("accounts", "NOT is_deleted", 1)[0]], at)
    day = at.strftime("%Y-%m-%dT%H:%M:%S")
    hit = count(sandbox, http, f"SystemModstamp >= {day}.123000Z").json()["totalSize"]
    miss = count(sandbox, http, f"SystemModstamp > {day}.123001Z").json()["totalSize"]
    assert (hit, miss) == (1, 0)


@pytest.mark.parametrize("literal", [
    "2025-06-01T12:00:00+0000",   # the reference's offsets are ±hh:mm
    "2025-06-01T12:00:00",        # no zone: "no viable alternative" on a real org
    "2025-06-01T12:00Z",          # no seconds
    "2025-13-01T12:00:00Z",       # no thirteenth month
    "2025-02-30T12:00:00Z",
])
def test_literals_outside_the_grammar_are_malformed(sandbox: Sandbox, http: requests.Session,
                                                    literal: str) -> None:
    answer = count(sandbox, http, f"SystemModstamp >= {literal}", "query")
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_date_literals_name_real_days(sandbox: Sandbox, http: requests.Session) -> None:
    ok = http.get(api(sandbox, "query/"), headers=auth(sandbox), timeout=30, params={
        "q": "SELECT COUNT() FROM Opportunity WHERE CloseDate >= 2024-02-29"})
    bad = http.get(api(sandbox, "query/"), headers=auth(sandbox), timeout=30, params={
        "q": "SELECT COUNT() FROM Opportunity WHERE CloseDate >= 2025-02-29"})
    assert ok.status_code == 200
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert "2025-02-29" in bad.json()[0]["message"]
