"""End to end: every fault the transport must absorb, or stop cleanly on."""

from __future__ import annotations

import time

import pytest
from sf_helpers import make_source

from connector.errors import FatalError, LimitExceededError
from connector.schema import ENTITIES
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e


def pull_ok(sb: Sandbox) -> Store:
    store = Store(":memory:")
    make_source(sb).pull(store)
    assert store.count("leads", source="sf") == sb.org.count("leads")
    return store


def statuses(sb: Sandbox) -> dict[str, int]:
    return dict(sb.stats()["statuses"])


def test_429_storm_with_retry_after_is_waited_out(sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "status", "status": 429, "retry_after": 0.3,
                        "path": "/composite", "count": 3})  # fmt: skip
    started = time.monotonic()
    pull_ok(sandbox).close()
    assert time.monotonic() - started >= 0.9  # three refusals in a row, each waited out
    assert sandbox.stats()["faults"]["status"] == 3


def test_throttled_subrequests_are_sent_again_after_their_retry_after(sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "status", "status": 429, "retry_after": 0.3, "path": "/query",
                        "count": 3})  # fmt: skip
    started = time.monotonic()
    pull_ok(sandbox).close()
    # inside one composite request: sent again together, after one Retry-After
    assert time.monotonic() - started >= 0.3
    assert sandbox.stats()["faults"]["status"] == 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(sandbox: Sandbox, status: int) -> None:
    sandbox.faults.add({"kind": "status", "status": status, "count": 2})
    pull_ok(sandbox).close()
    assert statuses(sandbox)[str(status)] == 2


def test_dropped_connections_are_retried(sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "drop", "path": "/query", "count": 2})
    pull_ok(sandbox).close()


def test_expired_session_is_renewed_once_transparently(sandbox: Sandbox) -> None:
    sandbox.faults.add({"kind": "expire_session", "path": "/query", "after": 3, "count": 1})
    pull_ok(sandbox).close()
    assert sandbox.stats()["endpoints"]["salesforce.oauth.token"] == 2


def test_a_failure_that_never_ends_stops_the_run(sandbox: Sandbox, store: Store) -> None:
    sandbox.faults.add({"kind": "status", "status": 503, "path": "/query"})
    with pytest.raises(FatalError, match="kept failing after 6 attempts"):
        make_source(sandbox).pull(store)


def loaded(store: Store) -> int:
    """Records of every entity: where the limit strikes depends on how many polls each
    Bulk job took, so any stream may be the one left unread."""
    tables = [e.table for e in ENTITIES if store.has_table(e.table)]
    return sum(store.count(t, source="sf") for t in tables)


def test_limit_spent_mid_pull_stops_cleanly_and_the_next_run_resumes(
    sandbox: Sandbox, store: Store
) -> None:
    source = make_source(sandbox, pull={"bulk_poll_seconds": 0, "bulk_threshold": 100})
    sandbox.faults.add({"kind": "limit", "path": "/jobs/query", "after": 7})
    with pytest.raises(LimitExceededError, match="REQUEST_LIMIT_EXCEEDED"):
        source.pull(store)
    partial = loaded(store)
    sandbox.faults.clear()
    source.pull(store)
    assert store.count("activities", source="sf") == sandbox.org.count("activities")
    assert loaded(store) > partial > 0


def test_a_pull_whose_bulk_jobs_exceed_the_budget_goes_over_rest() -> None:
    """Bulk jobs would not fit the run's share of the daily calls (and one stopped
    halfway is lost): the streams are read over REST, whose pages checkpoint, and here
    that fits."""
    with Sandbox(seed=7, scale=0.01, daily_api_limit=50) as sb, Store(":memory:") as store:
        source = make_source(sb, limits={"max_share_of_remaining": 0.5},
                             pull={"bulk_poll_seconds": 0, "bulk_threshold": 10})
        source.pull(store)
        assert store.count("activities", source="sf") == sb.org.count("activities")
        assert not [e for e in sb.stats()["endpoints"] if "bulk" in e]
