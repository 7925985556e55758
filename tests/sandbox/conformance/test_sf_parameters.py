"""Query parameters on Salesforce's REST data routes: each taken, or refused.

tap-salesforce (tap_salesforce/salesforce/rest.py) sends `/queryAll?q=…` and follows
`nextRecordsUrl` with the same `q` again; simple-salesforce sends `query?q=`,
`updated/?start=&end=`, `sobjects/X/{id}?fields=` (its `get` with `fields`) — all answered.
A parameter a route does not take (a `batchSize` meant for the `Sforce-Query-Options`
header, an `explain`) is refused rather than silently dropped.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from crm_sandbox import Sandbox

from ..conftest import api, auth

pytestmark = pytest.mark.e2e


def test_tap_salesforce_pages_queryall_with_q_on_every_page(sandbox: Sandbox,
                                                           http: requests.Session) -> None:
    params = {"q": "SELECT Id FROM Task"}
    url, seen = api(sandbox, "queryAll"), []
    headers = {**auth(sandbox), "Sforce-Query-Options": "batchSize=200"}
    while True:
        r = http.get(url, params=params, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [rec["Id"] for rec in body["records"]]
        if body.get("nextRecordsUrl") is None:
            break
        url = sandbox.info["salesforce"]["instance_url"] + body["nextRecordsUrl"]
    assert len(seen) == len(set(seen)) == body["totalSize"] > 200


def test_simple_salesforce_shapes_are_taken(sandbox: Sandbox, http: requests.Session) -> None:
    now = sandbox.org.clock.now().replace(microsecond=0)
    start = (now - dt.timedelta(days=20)).isoformat() + "+00:00"
    r = http.get(api(sandbox, "sobjects/Account/updated/"), headers=auth(sandbox),
                 params={"start": start, "end": now.isoformat() + "+00:00"}, timeout=30)
    assert r.status_code == 200, r.text
    one = http.get(api(sandbox, "query/"), headers=auth(sandbox), timeout=30,
                   params={"q": "SELECT Id FROM Account LIMIT 1"}).json()["records"][0]["Id"]
    r = http.get(api(sandbox, f"sobjects/Account/{one}"), params={"fields": "Id,Name"},
                 headers=auth(sandbox), timeout=30)
    assert r.status_code == 200, r.text
    assert set(r.json()) >= {"Id", "Name"}


@pytest.mark.parametrize(("path", "params"), [
    ("query/", {"q": "SELECT Id FROM Account", "batchSize": "2000"}),
    ("queryAll/", {"q": "SELECT Id FROM Account", "explain": "true"}),
    ("sobjects/Account/describe/", {"fields": "Name"}),
    ("sobjects/Account/updated/", {"since": "2025-01-01T00:00:00+00:00"}),
    ("limits/", {"verbose": "1"}),
])
def test_parameters_a_route_does_not_take_are_refused(
        sandbox: Sandbox, http: requests.Session, path: str, params: dict[str, str]) -> None:
    r = http.get(api(sandbox, path), params=params, headers=auth(sandbox), timeout=30)
    assert r.status_code == 400, r.text
    (error,) = r.json()
    assert error["errorCode"] == "ILLEGAL_QUERY_PARAMETER_VALUE"
    refused = set(params) - {"q"}
    assert all(name in error["message"] for name in refused)
