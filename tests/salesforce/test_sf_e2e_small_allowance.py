"""A small daily allowance still makes progress (issue 22): a run pulls what fits in its
share of the calls and the next resumes; where no run's share can hold the work, the
run says which setting to change. Over simulated days, the org's allowance reset before
each nightly run, the store ends as a clean run's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sf_helpers import make_source

from connector.errors import EXIT_TRY_LATER, LimitExceededError
from connector.schema import ENTITIES
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LEFT = 10  # calls the org has left each night: a budget of 4 at the default share of 0.5
PULL = {"bulk_poll_seconds": 0, "bulk_threshold": 500, "checkpoint_every": 1000}


def content(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {e.table: store.fetch(f"SELECT * FROM {e.table} ORDER BY ALL")
            for e in ENTITIES if store.has_table(e.table)}  # fmt: skip


def night(sb: Sandbox, store: Store, share: float, left: int = LEFT) -> str | None:
    """One nightly pull with `left` calls left in the org; why it stopped, if it did."""
    usage = sb.salesforce.ctx.usage
    usage.used = usage.cap - left
    source = make_source(sb, limits={"max_share_of_remaining": share}, pull=PULL)
    stopped: LimitExceededError | None = None
    try:
        source.pull(store)
    except LimitExceededError as exc:
        stopped = exc
    finally:
        assert usage.used - (usage.cap - left) <= int((left - 1) * share)  # never overspent
        sb.org.advance_clock(dt.timedelta(days=1))
    if stopped is None:
        return None
    assert stopped.exit_code == EXIT_TRY_LATER  # it made progress: the next run goes on
    return str(stopped)


def loaded(store: Store) -> int:
    return sum(len(rows) for rows in content(store).values())


def test_a_small_allowance_converges_to_a_clean_run() -> None:
    with Sandbox(seed=7, scale=0.05) as sb, Store(":memory:") as clean, \
            Store(":memory:") as store:  # fmt: skip
        make_source(sb, pull=PULL).pull(clean)
        # Night 1: the pull needs more than its budget: it reads what fits and stops.
        stopped = night(sb, store, 0.5)
        assert stopped is not None
        assert "the next run resumes where this one stopped" in stopped
        first = loaded(store)
        assert 0 < first < loaded(clean)
        # Night 2: it goes on from there and reads every record; then the budget runs out
        # in the quotas, which every run whose cadence is due reads again: the run says
        # which setting lets a run hold them.
        stopped = night(sb, store, 0.5)
        assert stopped is not None
        assert stopped.startswith("this run read every change")
        assert "raise limits.max_share_of_remaining (now 0.50; 1.0 gives a run all 9 calls)" in (
            stopped
        )
        assert loaded(store) > first
        mine, theirs = content(store), content(clean)
        assert {t: r for t, r in mine.items() if t != "targets"} == {
            t: r for t, r in theirs.items() if t != "targets"
        }
        # Night 3, the setting raised as said: done, and the store is a clean run's.
        assert night(sb, store, 1.0) is None
        assert content(store) == content(clean)

        # Issue 22's case: 40 calls left, the default share 0.5 (a budget of 19, less
        # than the first pull's estimate): every night used to refuse before it began, the
        # store empty after six days. Each night reads what fits; no setting is changed.
        make_source(sb, pull=PULL).pull(clean)
        with Store(":memory:") as fresh:
            nights, stopped = 0, "not run yet"
            while stopped is not None:
                nights += 1
                assert nights <= 3, stopped
                before = loaded(fresh)
                stopped = night(sb, fresh, 0.5, left=40)
                assert loaded(fresh) > before or stopped is None  # progress every night
            assert content(fresh) == content(clean)
