"""Limiter and error mapping without HTTP."""

from __future__ import annotations

import json

import pytest
import urllib3

from connector.crms.hubspot.api import has_results
from connector.crms.hubspot.errors import (
    HubSpotApiError,
    MissingScope,
    TokenRefused,
    map_exception,
    map_status,
    missing_scopes,
)
from connector.crms.hubspot.limits import DailyBudget, WindowLimiter
from connector.crms.hubspot.paging import Patience
from connector.crms.hubspot.targets import goals_unavailable
from connector.errors import AuthError, FatalError, LimitExceededError, RetriableError


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_limiter_never_lets_more_than_limit_calls_into_any_window() -> None:
    clock = FakeClock()
    limiter = WindowLimiter(10, 10.0, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(55):
        limiter.acquire()
        stamps.append(clock.now)
        clock.now += 0.1
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < start + 10.0]
        assert len(in_window) <= 10
    assert limiter.waited == pytest.approx(sum(clock.slept))
    assert stamps[-1] < 55  # steady state: ~1 call a second, no more waiting than that


def test_limiter_does_not_wait_under_the_limit() -> None:
    clock = FakeClock()
    limiter = WindowLimiter(5, 1.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        assert limiter.acquire() == 0.0
    assert limiter.acquire() == pytest.approx(1.0)


def test_limiter_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="limit"):
        WindowLimiter(0, 10.0)


SCOPES_BODY = {
    "status": "error",
    "message": "This app hasn't been granted all required scopes to make this call.",
    "category": "MISSING_SCOPES",
    "errors": [
        {
            "message": "One or more of the following scopes are required.",
            "context": {"requiredGranularScopes": ["crm.objects.deals.read"]},
        }
    ],
}


def test_missing_scope_names_the_scope() -> None:
    error = map_status(403, json.dumps(SCOPES_BODY).encode(), {}, "list deals")
    assert isinstance(error, AuthError)
    assert "crm.objects.deals.read" in str(error)
    assert "list deals" in str(error)
    assert missing_scopes(SCOPES_BODY) == ["crm.objects.deals.read"]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retriable_with_retry_after(status: int) -> None:
    error = map_status(status, b"{}", {"Retry-After": "3"}, "search deals")
    assert isinstance(error, RetriableError)
    assert error.status == status
    assert error.retry_after == 3.0


def test_other_statuses_map_to_fatal_kinds() -> None:
    assert isinstance(
        map_status(401, b'{"category": "EXPIRED_AUTHENTICATION"}', {}, "x"), TokenRefused
    )
    error = map_status(400, b'{"category": "VALIDATION_ERROR", "message": "bad"}', {}, "x")
    assert isinstance(error, HubSpotApiError)
    assert error.status == 400
    assert error.category == "VALIDATION_ERROR"
    assert isinstance(map_status(429, b"", {}, "x"), RetriableError)
    limit = map_status(403, b'{"category": "RATE_LIMITS", "message": "daily"}', {}, "x")
    assert isinstance(limit, LimitExceededError)


def test_connection_errors_retry_and_tls_errors_do_not() -> None:
    dropped = map_exception(urllib3.exceptions.ProtocolError("reset"), "list deals")
    assert isinstance(dropped, RetriableError)
    assert dropped.status is None
    tls = map_exception(urllib3.exceptions.SSLError("bad cert"), "list deals")
    assert isinstance(tls, FatalError)
    assert "TLS" in str(tls)


def test_client_exceptions_are_recognized_by_shape_not_class() -> None:
    from hubspot.crm.contacts.exceptions import ApiException as ContactsError
    from hubspot.crm.deals.exceptions import ApiException as DealsError

    for cls in (ContactsError, DealsError):
        exc = cls(status=503, reason="Service Unavailable")
        exc.body = b'{"category": "UNAVAILABLE"}'
        exc.headers = {"Retry-After": "1"}
        assert isinstance(map_exception(exc, "x"), RetriableError)


def test_error_messages_redact_secrets() -> None:
    from connector.secrets import register_secret

    register_secret("pat-na1-secret-token-value")
    body = b'{"category": "INVALID_AUTHENTICATION", "message": "token pat-na1-secret-token-value"}'
    assert "pat-na1-secret-token-value" not in str(map_status(401, body, {}, "x"))


def test_limit_answers_without_retry_after_wait_for_their_window() -> None:
    secondly = b'{"errorType": "RATE_LIMIT", "policyName": "SECONDLY"}'
    error = map_status(429, secondly, {}, "search deals")
    assert isinstance(error, RetriableError)
    assert error.retry_after == 1.0
    rolling = b'{"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}'
    interval = {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    assert map_status(429, rolling, interval, "x").retry_after == 10.0  # type: ignore[attr-defined]
    daily = b'{"errorType": "RATE_LIMIT", "policyName": "DAILY", "message": "daily"}'
    assert isinstance(map_status(429, daily, {}, "x"), LimitExceededError)


@pytest.mark.parametrize(("body", "wait"), [
    ({"status": "error", "message": "You have reached your secondly limit.",
      "category": "RATE_LIMITS", "correlationId": "c"}, 1.0),
    ({"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
      "category": "RATE_LIMITS"}, 10.0),
    ({"status": "error", "message": "Too many requests", "category": "RATE_LIMITS"}, 10.0),
    ({"errorType": "RATE_LIMIT", "policyName": "SECONDLY", "message": "x"}, 1.0),
])  # fmt: skip
def test_every_429_body_form_waits_for_its_window(body: dict[str, str], wait: float) -> None:
    error = map_status(429, json.dumps(body).encode(), {}, "search deals")
    assert isinstance(error, RetriableError)
    assert error.retry_after == wait
    assert error.status == 429


@pytest.mark.parametrize("body", [
    {"status": "error", "message": "You have reached your daily limit.", "category": "RATE_LIMITS"},
    {"errorType": "RATE_LIMIT", "policyName": "DAILY", "message": "daily"},
])  # fmt: skip
def test_the_daily_limit_stops_the_run_saying_when_it_resets(body: dict[str, str]) -> None:
    error = map_status(429, json.dumps(body).encode(), {}, "list deals")
    assert isinstance(error, LimitExceededError)
    assert "resets at midnight" in str(error)
    assert error.exit_code == 4


def test_the_daily_remaining_header_stops_the_run_before_hubspot_does() -> None:
    budget = DailyBudget(share=0.5)
    budget.spend()
    budget.observe({"X-HubSpot-RateLimit-Daily-Remaining": "6"})
    assert budget.budget == 4  # the call already made + half of what remained
    for _ in range(3):
        budget.spend()
    with pytest.raises(LimitExceededError, match="share of HubSpot's daily API calls"):
        budget.spend()
    spent = DailyBudget(share=1.0)
    spent.observe({"x-hubspot-ratelimit-daily-remaining": "0"})
    with pytest.raises(LimitExceededError, match="0 calls remain"):
        spent.spend()
    oauth = DailyBudget(share=0.5)
    oauth.observe({"X-HubSpot-RateLimit-Max": "100"})  # no daily headers: no budget
    for _ in range(1000):
        oauth.spend()


def test_tls_failures_hidden_behind_the_clients_attribute_error_are_found() -> None:
    from hubspot.crm.properties.exceptions import ApiException

    def client_call() -> None:
        try:
            raise ApiException(status=0, reason="SSLError\ncertificate verify failed")
        except ApiException as api_error:
            api_error.body.decode("utf-8")  # what the client does: AttributeError on None

    with pytest.raises(AttributeError) as raised:
        client_call()
    error = map_exception(raised.value, "read deals properties", host="api.example.com")
    assert isinstance(error, FatalError)
    assert "TLS to the CRM failed" in str(error)
    assert "ca_file" in str(error)
    assert "api.example.com" in str(error)


def test_a_page_without_results_is_not_a_page() -> None:
    assert has_results({"results": [], "total": 3}) is None
    assert has_results({"results": [{"id": "1"}], "paging": {}}) is None
    assert has_results({}) is not None
    assert has_results({"status": "COMPLETE"}) is not None


def test_a_lagging_search_is_asked_again_then_given_up_for_this_run() -> None:
    waits: list[float] = []
    said: list[str] = []
    patience = Patience(retries=3, first_wait=0.5, say=said.append, sleep=waits.append)
    lagging = {"total": 3, "results": []}
    answers = iter([lagging, lagging, {"total": 3, "results": [{"id": "1"}]}])
    assert patience.ask(lambda _: next(answers), {}, 0) == {"total": 3, "results": [{"id": "1"}]}
    assert waits == [0.5, 1.0]
    assert patience.ask(lambda _: lagging, {}, 0) is None
    assert patience.ask(lambda _: {"total": 0, "results": []}, {}, 0) == {"total": 0,
                                                                          "results": []}


@pytest.mark.parametrize(
    ("refusal", "unavailable"),
    [
        (MissingScope("lacks crm.objects.goals.read", ["crm.objects.goals.read"]), True),
        (HubSpotApiError(403, "FORBIDDEN", "no goals on this portal"), True),
        (HubSpotApiError(404, "OBJECT_NOT_FOUND", "unknown object goal_targets"), True),
        (HubSpotApiError(400, "VALIDATION_ERROR", "goal_targets"), True),
        (TokenRefused("the token is invalid"), False),
        (HubSpotApiError(500, "INTERNAL_ERROR", "boom"), False),
    ],
)
def test_goals_are_unavailable_for_a_scope_or_portal_not_for_a_refused_token(
    refusal: AuthError | HubSpotApiError, unavailable: bool
) -> None:
    """validate and the pull go on without goals only when the portal or token has none."""
    assert goals_unavailable(refusal) is unavailable
