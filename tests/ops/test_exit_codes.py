"""Each CRM's real refusals map to the code that says who must act: 4 try again later,
5 a person must act (revoked or wrong credentials, missing permission or scope, TLS)."""

from __future__ import annotations

import json

import pytest

from connector.crms.hubspot.errors import map_status, tls_failed
from connector.crms.salesforce.errors import error_for, login_refused
from connector.errors import EXIT_ACTION, EXIT_TRY_LATER, RetriableError


@pytest.mark.parametrize(("code", "fix"), [
    ("invalid_client_id", "consumer key"),
    ("invalid_client", "client_secret"),
    ("invalid_grant", "revoked, expired or is not allowed"),
    ("inactive_user", "reactivate"),
])  # fmt: skip
def test_salesforce_login_refusals_are_for_a_person(code: str, fix: str) -> None:
    error = login_refused(400, code, "authentication failure")
    assert error.exit_code == EXIT_ACTION  # type: ignore[attr-defined]
    assert code in str(error)
    assert fix in str(error)


def test_a_salesforce_login_outage_is_retried_later() -> None:
    error = login_refused(503, "", "Service Unavailable")
    assert isinstance(error, RetriableError)
    assert error.exit_code == EXIT_TRY_LATER


@pytest.mark.parametrize(("status", "code", "exit_code"), [
    (403, "INSUFFICIENT_ACCESS", EXIT_ACTION),
    (400, "INSUFFICIENT_ACCESS_OR_READONLY", EXIT_ACTION),
    (403, "API_DISABLED_FOR_ORG", EXIT_ACTION),
    (403, "FORBIDDEN", EXIT_ACTION),
    (401, "INVALID_SESSION_ID", EXIT_ACTION),
    (403, "REQUEST_LIMIT_EXCEEDED", EXIT_TRY_LATER),
    (503, "SERVER_UNAVAILABLE", EXIT_TRY_LATER),
    (400, "MALFORMED_QUERY", EXIT_TRY_LATER),
])  # fmt: skip
def test_salesforce_api_refusals(status: int, code: str, exit_code: int) -> None:
    assert error_for(status, code, "refused").exit_code == exit_code  # type: ignore[attr-defined]


def test_hubspot_refusals() -> None:
    token = map_status(401, b'{"category": "INVALID_AUTHENTICATION", "message": "expired"}',
                       {}, "list deals")  # fmt: skip
    assert token.exit_code == EXIT_ACTION  # type: ignore[attr-defined]
    assert "put the app's current one where the config's auth: names it" in str(token)
    body = {"category": "MISSING_SCOPES", "message": "This app hasn't been granted all "
            "required scopes", "errors": [{"context": {"requiredGranularScopes":
            ["crm.objects.deals.read"]}}]}  # fmt: skip
    scope = map_status(403, json.dumps(body).encode(), {}, "list deals")
    assert scope.exit_code == EXIT_ACTION  # type: ignore[attr-defined]
    assert "crm.objects.deals.read" in str(scope)
    daily = map_status(429, b'{"errorType": "RATE_LIMIT", "policyName": "DAILY"}', {}, "x")
    assert daily.exit_code == EXIT_TRY_LATER  # type: ignore[attr-defined]
    assert tls_failed("list deals").exit_code == EXIT_ACTION
