"""OAuth grants, sessions, API limits, fault injection and call statistics."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from crm_sandbox import Sandbox

from .conftest import api, auth, session_for

pytestmark = pytest.mark.e2e


def token_url(sb: Sandbox) -> str:
    return sb.info["salesforce"]["login_url"] + "/services/oauth2/token"


def jwt_assertion(sb: Sandbox, **overrides: object) -> str:
    info = sb.info["salesforce"]
    with open(info["jwt_private_key_file"], "rb") as fh:
        key = fh.read()
    claims = {"iss": info["consumer_key"], "sub": info["username"], "aud": info["login_url"],
              "exp": int(time.time()) + 180, **overrides}
    return jwt.encode(claims, key, algorithm="RS256")


def test_jwt_bearer_grant(sandbox: Sandbox, http: requests.Session) -> None:
    r = http.post(token_url(sandbox), data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": jwt_assertion(sandbox)}, timeout=10)
    body = r.json()
    assert r.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == sandbox.info["salesforce"]["instance_url"]
    assert {"access_token", "id", "issued_at", "signature"} <= body.keys()
    sf = Salesforce(instance_url=body["instance_url"], session_id=body["access_token"],
                    session=http, version="60.0")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] > 0


@pytest.mark.parametrize("bad", [{"exp": int(time.time()) - 10}, {"aud": "https://x"},
                                 {"sub": "someone@else"}])
def test_jwt_bearer_grant_refusals(sandbox: Sandbox, http: requests.Session,
                                   bad: dict[str, object]) -> None:
    r = http.post(token_url(sandbox), data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": jwt_assertion(sandbox, **bad)}, timeout=10)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


def test_refresh_and_password_grants(sandbox: Sandbox, http: requests.Session) -> None:
    info = sandbox.info["salesforce"]
    r = http.post(token_url(sandbox), data={
        "grant_type": "refresh_token", "refresh_token": info["refresh_token"],
        "client_id": info["client_id"], "client_secret": info["client_secret"]}, timeout=10)
    assert r.status_code == 200
    assert r.json()["access_token"]
    r = http.post(token_url(sandbox), data={
        "grant_type": "password", "client_id": info["client_id"],
        "client_secret": info["client_secret"], "username": info["username"],
        "password": info["password"] + info["security_token"]}, timeout=10)
    assert r.status_code == 200
    r = http.post(token_url(sandbox), data={
        "grant_type": "password", "client_id": info["client_id"],
        "client_secret": info["client_secret"], "username": info["username"],
        "password": info["password"]}, timeout=10)
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "authentication failure"}


def test_invalid_session_is_a_json_list(sandbox: Sandbox, http: requests.Session) -> None:
    r = http.get(api(sandbox, "limits"), headers={"Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401
    assert r.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_limits_header_and_endpoint(sf: Salesforce) -> None:
    lim = sf.limits()["DailyApiRequests"]
    assert lim["Max"] > lim["Remaining"] > 0
    assert sf.api_usage["api-usage"].used > 0


def test_daily_limit_spent() -> None:
    with Sandbox(seed=3, scale=0.02, daily_api_limit=3) as sb:
        s = session_for(sb)
        try:
            codes = [s.get(api(sb, "limits"), headers=auth(sb), timeout=10) for _ in range(4)]
            assert [c.status_code for c in codes] == [200, 200, 200, 403]
            assert codes[-1].json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
            assert codes[2].headers["Sforce-Limit-Info"] == "api-usage=3/3"
        finally:
            s.close()


def test_status_faults(sf: Salesforce, sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.faults.add({"kind": "status", "status": 429, "path": "/query", "count": 1,
                        "retry_after": 2})
    r = http.get(api(sandbox, "query/"), params={"q": "SELECT Id FROM Account"},
                 headers=auth(sandbox), timeout=10)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "2"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] > 0  # count spent
    sandbox.faults.add("kind=status,status=503,path=/limits,count=1")
    with pytest.raises(SalesforceGeneralError) as err:
        sf.limits()
    assert err.value.status == 503


def test_fault_after_first_page(sf: Salesforce, sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "status", "status": 500, "path": r"/query/01g", "count": 1})
    with pytest.raises(SalesforceGeneralError):
        list(sf.query_all_iter("SELECT Id FROM Task"))
    # the failed page is served on retry: a fresh iteration succeeds end to end
    assert sum(1 for _ in sf.query_all_iter("SELECT Id FROM Task")) > 2000


def test_slow_and_dropped(sf: Salesforce, sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.faults.add({"kind": "slow", "delay": 0.3, "path": "/limits", "count": 1})
    t0 = time.perf_counter()
    sf.limits()
    assert time.perf_counter() - t0 >= 0.3
    sandbox.faults.add({"kind": "drop", "path": "/limits", "count": 1})
    with pytest.raises(requests.ConnectionError):
        http.get(api(sandbox, "limits"), headers=auth(sandbox), timeout=10)


def test_expire_session_fault(sandbox: Sandbox, http: requests.Session) -> None:
    r = http.post(token_url(sandbox), data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": jwt_assertion(sandbox)}, timeout=10).json()
    sf = Salesforce(instance_url=r["instance_url"], session_id=r["access_token"], session=http,
                    version="60.0")
    sandbox.faults.add({"kind": "expire_session", "path": "/limits", "count": 1})
    with pytest.raises(SalesforceExpiredSession):
        sf.limits()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account LIMIT 1")  # the session stays revoked


def test_limit_fault(sf: Salesforce, sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "limit", "path": "/query", "count": 1})
    with pytest.raises(SalesforceRefusedRequest) as err:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert err.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_record_error_faults(sf: Salesforce, sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "record_error", "path": "/composite/sobjects", "count": 2,
                        "after": 1})
    res = sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": "Account"}, "Name": f"F{i}"} for i in range(4)]})
    assert [r["success"] for r in res] == [True, False, False, True]
    assert res[1]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    sandbox.faults.add({"kind": "record_error", "path": "/jobs/ingest", "count": 1,
                        "error_code": "UNABLE_TO_LOCK_ROW"})
    out = sf.bulk2.Account.insert(records=[{"Name": "B1"}, {"Name": "B2"}], wait=0.05)
    assert out[0]["numberRecordsFailed"] == 1


def test_probability_faults_are_deterministic() -> None:
    patterns = []
    for _ in range(2):
        with Sandbox(seed=11, scale=0.02) as sb:
            sb.faults.add({"kind": "status", "status": 503, "path": "/limits",
                           "probability": 0.5})
            s = session_for(sb)
            try:
                patterns.append([s.get(api(sb, "limits"), headers=auth(sb), timeout=10)
                                 .status_code for _ in range(12)])
            finally:
                s.close()
    assert patterns[0] == patterns[1]
    assert {200, 503} == set(patterns[0])


def test_control_plane_faults_and_stats(sandbox: Sandbox, http: requests.Session,
                                        sf: Salesforce) -> None:
    base = sandbox.info["salesforce"]["instance_url"]
    assert http.post(f"{base}/__sandbox__/reset-stats", timeout=10).json() == {"reset": True}
    r = http.post(f"{base}/__sandbox__/faults", json={"kind": "status", "status": 500,
                                                       "path": "/describe", "count": 1},
                  timeout=10)
    assert r.status_code == 201
    with pytest.raises(SalesforceGeneralError):
        sf.Account.describe()
    sf.Account.describe()
    stats = http.get(f"{base}/__sandbox__/stats", timeout=10).json()
    assert stats["endpoints"] == {"salesforce.describe": 2}
    assert stats["statuses"] == {"200": 1, "500": 1}
    assert stats["faults"] == {"status": 1}
    assert sandbox.stats() == stats
    bad = http.post(f"{base}/__sandbox__/faults", json={"kind": "nope"}, timeout=10)
    assert bad.status_code == 400


def test_soql_error_is_not_a_fault(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT FROM")


def test_page_retried_after_fault_is_served_again(sandbox: Sandbox,
                                                  http: requests.Session) -> None:
    base = sandbox.info["salesforce"]["instance_url"]
    first = http.get(api(sandbox, "query/"), params={"q": "SELECT Id FROM Task"},
                     headers=auth(sandbox), timeout=10).json()
    sandbox.faults.add({"kind": "status", "status": 500, "path": "/query/01g", "count": 1})
    nxt = base + first["nextRecordsUrl"]
    assert http.get(nxt, headers=auth(sandbox), timeout=10).status_code == 500
    second = http.get(nxt, headers=auth(sandbox), timeout=10).json()
    again = http.get(nxt, headers=auth(sandbox), timeout=10).json()
    ids = [r["Id"] for r in first["records"] + second["records"]]
    assert second["done"] == (first["totalSize"] <= 4000)
    assert len(ids) == len(set(ids)) == min(4000, first["totalSize"])
    assert again["records"] == second["records"]


def test_bulk_results_page_retried(sf: Salesforce, sandbox: Sandbox,
                                   http: requests.Session) -> None:
    job = sf.bulk2.Lead._client.create_job("query", "SELECT Id FROM Lead")
    sf.bulk2.Lead._client.wait_for_job(job["id"], True, 0.05)
    url = api(sandbox, f"jobs/query/{job['id']}/results")
    page1 = http.get(url, params={"maxRecords": 300}, headers=auth(sandbox), timeout=10)
    loc = page1.headers["Sforce-Locator"]
    sandbox.faults.add({"kind": "drop", "path": "/results", "count": 1})
    with pytest.raises(requests.ConnectionError):
        http.get(url, params={"maxRecords": 300, "locator": loc}, headers=auth(sandbox),
                 timeout=10)
    page2 = http.get(url, params={"maxRecords": 300, "locator": loc}, headers=auth(sandbox),
                     timeout=10)
    assert page2.headers["Sforce-NumberOfRecords"] == "300"
    rows = page1.text.splitlines()[1:] + page2.text.splitlines()[1:]
    assert len(rows) == len(set(rows)) == 600


def test_issued_sessions_expire_on_the_org_clock(sandbox: Sandbox,
                                                 http: requests.Session) -> None:
    import datetime as dt

    info = sandbox.info["salesforce"]
    token = http.post(token_url(sandbox), data={
        "grant_type": "refresh_token", "refresh_token": info["refresh_token"],
        "client_id": info["client_id"]}, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(api(sandbox, "limits"), headers=headers, timeout=10).status_code == 200
    sandbox.org.advance_clock(dt.timedelta(hours=3))
    assert http.get(api(sandbox, "limits"), headers=headers, timeout=10).status_code == 401
    assert http.get(api(sandbox, "limits"), headers=auth(sandbox), timeout=10).status_code == 200
