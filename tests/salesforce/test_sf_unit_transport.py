"""Unit tests of the transport with `responses`: auth, retries, error mapping, limits."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sf_mock import INSTANCE, LIMITS_URL, QUERY_URL, SECRET, TOKEN_URL, page

from connector.crms.config import HttpSettings as Http
from connector.crms.salesforce.client import SalesforceClient, SalesforceSession
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.limits import LimitGuard, parse_limit_info
from connector.crms.salesforce.paging import query_pages
from connector.errors import (
    EXIT_ACTION,
    EXIT_TRY_LATER,
    AuthError,
    FatalError,
    LimitExceededError,
)


def sf_error(code: str, message: str = "nope") -> list[dict[str, str]]:
    return [{"errorCode": code, "message": message}]


def test_pages_follow_next_records_url(config: SalesforceConfig, rsps: Any) -> None:
    more = "/services/data/v62.0/query/01gXX-2000"
    rsps.add(responses.GET, QUERY_URL, json=page([{"Id": "1"}], more, total=2))
    rsps.add(responses.GET, INSTANCE + more, json=page([{"Id": "2"}], total=2))
    with SalesforceClient(config) as transport:
        got = [r["Id"] for p in query_pages(transport, "SELECT Id FROM Lead") for r in p]
    assert got == ["1", "2"]
    assert rsps.calls[1].request.headers["Authorization"] == "Bearer access-token-0001"
    assert "timeout" in str(rsps.calls[1].request.req_kwargs)


def test_a_2xx_page_without_done_is_fetched_again_never_an_end_of_list(
    config: SalesforceConfig, rsps: Any
) -> None:
    more = "/services/data/v62.0/query/01gXX-2000"
    rsps.add(responses.GET, QUERY_URL, json=page([{"Id": "1"}], more, total=3))
    rsps.add(responses.GET, INSTANCE + more, json={"totalSize": 3, "records": [{"Id": "2"}]})
    rsps.add(responses.GET, INSTANCE + more, json=page([{"Id": "2"}], more + "0", total=3))
    rsps.add(responses.GET, INSTANCE + more + "0", json=page([{"Id": "3"}], total=3))
    with SalesforceClient(config) as transport:
        got = [r["Id"] for p in query_pages(transport, "SELECT Id FROM Lead") for r in p]
        assert transport.stats.retries == 1
    assert got == ["1", "2", "3"]


def test_a_paginator_loop_is_detected(config: SalesforceConfig, rsps: Any) -> None:
    more = "/services/data/v62.0/query/01gXX-2000"
    rsps.add(responses.GET, QUERY_URL, json=page([{"Id": "1"}], more))
    rsps.add(responses.GET, INSTANCE + more, json=page([{"Id": "2"}], more))
    with SalesforceClient(config) as transport, pytest.raises(FatalError, match="loops"):
        list(query_pages(transport, "SELECT Id FROM Lead"))


def test_429_is_retried_after_the_retry_after_delay(config: SalesforceConfig, rsps: Any) -> None:
    limited = sf_error("REQUEST_LIMIT_EXCEEDED")
    rsps.add(responses.GET, QUERY_URL, status=429, json=limited, headers={"Retry-After": "0.2"})
    rsps.add(responses.GET, QUERY_URL, json=page([{"Id": "1"}]))
    started = time.monotonic()
    with SalesforceClient(config) as transport:
        assert transport.count("SELECT COUNT() FROM Lead") == 5
        assert transport.api_calls == 2
    assert time.monotonic() - started >= 0.2


def test_server_errors_stop_after_the_attempts(config: SalesforceConfig, rsps: Any) -> None:
    for _ in range(3):
        rsps.add(responses.GET, QUERY_URL, status=503, json=sf_error("SERVER_UNAVAILABLE"))
    with SalesforceClient(config) as transport:
        with pytest.raises(FatalError, match="kept failing after 3 attempts"):
            transport.count("SELECT COUNT() FROM Lead")
        assert transport.api_calls == 3


def test_dropped_connections_and_timeouts_are_retried(config: SalesforceConfig, rsps: Any) -> None:
    rsps.add(responses.GET, QUERY_URL, body=requests.ConnectionError("reset by peer"))
    rsps.add(responses.GET, QUERY_URL, body=requests.ReadTimeout("slow"))
    rsps.add(responses.GET, QUERY_URL, json=page([]))
    with SalesforceClient(config) as transport:
        assert transport.count("SELECT COUNT() FROM Lead") == 5


def test_an_expired_session_is_renewed_once(config: SalesforceConfig, rsps: Any) -> None:
    rsps.add(responses.GET, QUERY_URL, status=401, json=sf_error("INVALID_SESSION_ID"))
    rsps.add(
        responses.POST,
        TOKEN_URL,
        json={"access_token": "access-token-0002", "instance_url": INSTANCE},
    )
    rsps.add(responses.GET, QUERY_URL, json=page([]))
    with SalesforceClient(config) as transport:
        transport.count("SELECT COUNT() FROM Lead")
    assert rsps.calls[-1].request.headers["Authorization"] == "Bearer access-token-0002"


def test_a_session_refused_after_renewal_is_an_auth_error(
    config: SalesforceConfig, rsps: Any
) -> None:
    rsps.add(responses.GET, QUERY_URL, status=401, json=sf_error("INVALID_SESSION_ID"))
    rsps.add(responses.GET, QUERY_URL, status=401, json=sf_error("INVALID_SESSION_ID"))
    with SalesforceClient(config) as transport, pytest.raises(AuthError):
        transport.count("SELECT COUNT() FROM Lead")


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "MALFORMED_QUERY", SalesforceApiError),
        (404, "NOT_FOUND", SalesforceApiError),
        (403, "REQUEST_LIMIT_EXCEEDED", LimitExceededError),
        (403, "API_DISABLED_FOR_ORG", AuthError),
    ],
)
def test_errors_map_onto_the_hierarchy(
    config: SalesforceConfig, rsps: Any, status: int, code: str, error: type[Exception]
) -> None:
    rsps.add(responses.GET, QUERY_URL, status=status, json=sf_error(code, "said Salesforce"))
    with SalesforceClient(config) as transport, pytest.raises(error, match="said Salesforce"):
        transport.count("SELECT COUNT() FROM Lead")
    assert len(rsps.calls) == 2  # login + the one refused call: refusals are not retried


def test_refused_login_is_an_auth_error_without_the_secret(config: SalesforceConfig) -> None:
    body = {"error": "invalid_grant", "error_description": f"bad token {SECRET}"}
    with responses.RequestsMock() as rsps, SalesforceClient(config) as transport:
        rsps.add(responses.POST, TOKEN_URL, status=400, json=body)
        with pytest.raises(AuthError) as err:
            transport.limits()
        form = parse_qs(rsps.calls[0].request.body)
    assert form["grant_type"] == ["refresh_token"]
    assert SECRET not in str(err.value)
    assert "invalid_grant" in str(err.value)


def test_budget_stops_the_run_before_the_call_that_would_overspend(
    config: SalesforceConfig, rsps: Any
) -> None:
    """Work larger than the budget does what fits (the next run resumes from its
    checkpoints, as refusing up front would refuse every day), and says which share would
    let one run do it all; the call past the budget is never sent."""
    usage = {"Sforce-Limit-Info": "api-usage=990/1000"}
    rsps.add(responses.GET, LIMITS_URL, json={}, headers=usage)
    rsps.add(responses.GET, QUERY_URL, json=page([]), headers=usage)
    with SalesforceClient(config) as transport:
        transport.limits()  # budget: half of the 10 calls left
        assert transport.guard.ensure(4, "the pull") is None
        note = transport.guard.ensure(9, "the pull")
        assert note == (
            "the pull needs about 9 API calls and 4 are left of this run's budget (5 = 50% of "
            "the 10 calls that remained): it reads what fits, and the next run resumes from "
            "there; limits.max_share_of_remaining: 1.00 would let one run do it all"
        )
        for _ in range(4):
            transport.count("SELECT COUNT() FROM Lead")
        with pytest.raises(LimitExceededError, match="has spent its share") as spent:
            transport.count("SELECT COUNT() FROM Lead")
        assert "the next run resumes where this one stopped" in str(spent.value)
        assert spent.value.exit_code == EXIT_TRY_LATER  # it did what fitted: retry later
    assert len(rsps.calls) == 6


def test_a_budget_spent_before_the_work_is_sized_names_the_setting(
    config: SalesforceConfig, rsps: Any
) -> None:
    """A run that could not even begin would not begin the next day either: no
    "resumes", but the setting that helps."""
    usage = {"Sforce-Limit-Info": "api-usage=996/1000"}
    rsps.add(responses.GET, LIMITS_URL, json={}, headers=usage)
    with SalesforceClient(config) as transport:
        transport.limits()  # budget: half of the 4 calls left
        transport.limits()
        with pytest.raises(LimitExceededError) as spent:
            transport.limits()
    assert str(spent.value) == (
        "this run's budget of the daily Salesforce API calls (2 = 50% of the 4 calls that "
        "remained; org usage 996/1000) was spent before its work could begin, so it did "
        "nothing: raise limits.max_share_of_remaining (now 0.50; 1.0 gives a run all 4 "
        "calls), or run when more of the daily allowance remains"
    )
    assert "resumes" not in str(spent.value)
    assert spent.value.exit_code == EXIT_ACTION  # no later run does better: a person acts


def test_limit_info_parsing() -> None:
    assert parse_limit_info("api-usage=25/15000") == (25, 15000)
    assert parse_limit_info("api-usage=7/100, per-app-api-usage=2/50(appName=x)") == (7, 100)
    assert parse_limit_info(None) is None


def test_tls_verifies_against_the_configured_ca_only(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    with SalesforceSession(Http(), LimitGuard(0.5), str(ca)) as session:
        assert (session.verify, session.trust_env) == (str(ca), False)
    with SalesforceSession(Http(), LimitGuard(0.5)) as session:
        assert (session.verify, session.trust_env) == (True, True)


def test_jwt_bearer_assertion(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "key.pem").write_bytes(pem)
    config = SalesforceConfig.model_validate({
        "name": "sf", "type": "salesforce", "login_url": "sandbox",
        "auth": {"method": "jwt", "consumer_key": "ck", "username": "u@x",
                 "private_key_file": str(tmp_path / "key.pem")},
    })  # fmt: skip
    token_url = "https://test.salesforce.com/services/oauth2/token"
    with responses.RequestsMock() as rsps, SalesforceClient(config) as transport:
        rsps.add(
            responses.POST,
            token_url,
            json={"access_token": "jwt-access-token-0001", "instance_url": INSTANCE},
        )
        rsps.add(responses.GET, LIMITS_URL, json={"DailyApiRequests": {}})
        transport.limits()
        form = parse_qs(rsps.calls[0].request.body)
    claims = jwt.decode(
        form["assertion"][0], key.public_key(), algorithms=["RS256"],
        audience="https://test.salesforce.com",
    )  # fmt: skip
    assert (claims["iss"], claims["sub"]) == ("ck", "u@x")
    assert json.dumps(form["grant_type"]) == '["urn:ietf:params:oauth:grant-type:jwt-bearer"]'
