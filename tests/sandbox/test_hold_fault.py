"""The `hold` fault: a request waits until the test releases it, or fails after a timeout."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError

from crm_sandbox import Sandbox
from crm_sandbox.faults import FaultSet, HoldExpired, parse_spec

from .conftest import api, auth, session_for

LIMITS = r"/limits/?$"


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def held_call(faults: FaultSet, pool: ThreadPoolExecutor, path: str = "/limits") -> Future[None]:
    return pool.submit(faults.stall, "GET", path)


def test_a_held_request_waits_until_released_then_later_ones_pass(
    pool: ThreadPoolExecutor,
) -> None:
    fired: list[str] = []
    faults = FaultSet(7, [{"kind": "hold", "path": LIMITS, "name": "push"}])
    faults.listen(fired.append)
    waiting = held_call(faults, pool)
    assert faults.wait_held("push", timeout=10)
    assert not waiting.done()
    assert faults.list()[0]["held"] == 1
    faults.release("push")
    assert waiting.result(timeout=10) is None
    state = faults.list()[0]
    assert (state["held"], state["released"], state["expired"]) == (0, True, False)
    t0 = time.monotonic()
    faults.stall("GET", "/limits")  # released: passes at once, and is not a firing
    assert time.monotonic() - t0 < 1
    assert fired == ["hold"]


def test_a_hold_lets_after_requests_through_and_holds_only_its_paths() -> None:
    faults = FaultSet(7, ["kind=hold,path=/limits/?$,name=late,after=1,timeout=0.1"])
    faults.stall("GET", "/limits")  # the first one passes
    faults.stall("GET", "/query")  # another path is never held
    with pytest.raises(HoldExpired):
        faults.stall("GET", "/limits")


def test_wait_held_says_false_when_nothing_waits_and_counts_requests(
    pool: ThreadPoolExecutor,
) -> None:
    faults = FaultSet(7, [{"kind": "hold", "path": LIMITS, "name": "push"}])
    assert not faults.wait_held("push", timeout=0.05)
    calls = [held_call(faults, pool), held_call(faults, pool)]
    assert faults.wait_held("push", count=2, timeout=10)
    faults.clear()  # clearing the faults lets held requests go on
    assert [c.result(timeout=10) for c in calls] == [None, None]


def test_an_unreleased_hold_fails_its_request_then_every_later_one_and_the_release() -> None:
    faults = FaultSet(7, [{"kind": "hold", "path": LIMITS, "name": "push", "timeout": 0.1}])
    with pytest.raises(HoldExpired, match=r"'push' held a request 0\.1 s and no test released"):
        faults.stall("GET", "/limits")
    t0 = time.monotonic()
    with pytest.raises(HoldExpired):
        faults.stall("GET", "/limits")
    assert time.monotonic() - t0 < 0.1, "an expired hold fails at once"
    assert faults.list()[0]["expired"] is True
    with pytest.raises(HoldExpired, match="expired before its release"):
        faults.release("push")


@pytest.mark.parametrize(("fault", "message"), [
    ({"kind": "hold", "timeout": 0}, "timeout must be positive"),
    ({"kind": "hold", "held": 1}, "unknown fault option"),
    ({"kind": "hold", "released": True}, "unknown fault option"),
])  # fmt: skip
def test_hold_options_are_checked(fault: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultSet(7, [fault])


def test_names_are_unique_and_release_needs_an_active_hold() -> None:
    faults = FaultSet(7, [{"kind": "hold", "name": "push"}, {"kind": "slow", "name": "s"}])
    with pytest.raises(ValueError, match="'push' is already active"):
        faults.add({"kind": "hold", "name": "push"})
    with pytest.raises(ValueError, match="no active hold fault is named 'nope'"):
        faults.release("nope")
    with pytest.raises(ValueError, match="no active hold fault is named 's'"):
        faults.wait_held("s", timeout=0)
    assert parse_spec("kind=hold,name=push,timeout=5").timeout == 5.0


@pytest.mark.e2e
def test_held_answer_through_simple_salesforce_released_over_the_control_plane(
    sandbox: Sandbox, sf: Salesforce, pool: ThreadPoolExecutor, http: requests.Session
) -> None:
    sandbox.faults.add({"kind": "hold", "path": LIMITS, "name": "limits"})
    answer = pool.submit(sf.limits)
    assert sandbox.faults.wait_held("limits", timeout=30)
    base = sandbox.info["salesforce"]["instance_url"]
    assert not answer.done()
    released = http.post(f"{base}/__sandbox__/release/limits", timeout=10)
    assert released.json() == {"released": "limits"}
    assert "DailyApiRequests" in answer.result(timeout=30)
    assert http.post(f"{base}/__sandbox__/release/nope", timeout=10).status_code == 404
    assert sandbox.stats()["faults"].get("hold") == 1


@pytest.mark.e2e
def test_an_expired_hold_answers_an_error_naming_it(sandbox: Sandbox, sf: Salesforce,
                                                    http: requests.Session) -> None:
    sandbox.faults.add({"kind": "hold", "path": LIMITS, "name": "limits", "timeout": 0.2})
    with pytest.raises(SalesforceGeneralError) as err:
        sf.limits()
    assert err.value.status == 500
    assert "'limits' held a request 0.2 s" in err.value.content[0]["message"]
    base = sandbox.info["salesforce"]["instance_url"]
    assert http.post(f"{base}/__sandbox__/release/limits", timeout=10).status_code == 409


@pytest.mark.e2e
def test_a_hold_holds_a_composite_subrequest(sandbox: Sandbox, sf: Salesforce,
                                             pool: ThreadPoolExecutor) -> None:
    sandbox.faults.add({"kind": "hold", "path": LIMITS, "name": "sub"})
    batch = {"batchRequests": [{"method": "GET", "url": "v60.0/limits"}]}
    answer = pool.submit(sf.restful, "composite/batch", method="POST", json=batch)
    assert sandbox.faults.wait_held("sub", timeout=30)
    sandbox.faults.release("sub")
    assert answer.result(timeout=30)["results"][0]["statusCode"] == 200


@pytest.mark.e2e
def test_stopping_the_sandbox_lets_a_held_request_go(pool: ThreadPoolExecutor) -> None:
    sb = Sandbox(seed=7, scale=0.01).start()
    session = session_for(sb)
    try:
        sb.faults.add({"kind": "hold", "path": LIMITS, "name": "forever"})
        answer = pool.submit(session.get, api(sb, "limits"), headers=auth(sb), timeout=30)
        assert sb.faults.wait_held("forever", timeout=30)
    finally:
        t0 = time.monotonic()
        sb.stop()
        session.close()
    assert time.monotonic() - t0 < 10, "stop waited on the held request"
    # The request's thread has ended: an answer, or the connection cut under it.
    with contextlib.suppress(requests.ConnectionError):
        assert answer.result(timeout=1).status_code == 200
