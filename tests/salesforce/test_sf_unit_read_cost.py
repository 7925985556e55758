"""What a stream's read costs: REST or Bulk chosen by calls, and Bulk polls that grow."""

from __future__ import annotations

from typing import Any

import pytest

from connector.crms.salesforce import client as client_module
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.composite import SubAnswer
from connector.crms.salesforce.config import Pull
from connector.crms.salesforce.mapping import Stream
from connector.crms.salesforce.state import StreamState
from connector.crms.salesforce.streams import Plan, bulk_calls, rest_calls
from connector.errors import FatalError
from connector.store.raw import RawStream


def planned(count: int, **pull: Any) -> Plan:
    stream = Stream(entity="leads", object="Lead", fields={"created_at": "CreatedDate"})
    raw = RawStream("sf", "leads:Lead", "leads", "raw_leads", {"Id": "id"})
    plan = Plan(stream, "leads:Lead", StreamState(), None, True, ["Id"], "SELECT Id FROM Lead",
                raw)  # fmt: skip
    records = [{"Id": f"00Q{n:015d}"} for n in range(min(count, 2000))]
    body = {"totalSize": count, "done": count <= 2000, "records": records,
            "nextRecordsUrl": "/services/data/v62.0/query/01g-2000"}  # fmt: skip
    plan.accept(SubAnswer(200, body, {}), Pull(**pull), "62.0")
    return plan


@pytest.mark.parametrize(("count", "bulk"), [(2000, False), (6000, False), (32_000, False),
                                             (32_001, True), (100_000, True)])  # fmt: skip
def test_rest_or_bulk_whichever_costs_fewer_calls(count: int, bulk: bool) -> None:
    plan = planned(count, bulk_threshold=1_000_000)
    assert plan.bulk is bulk
    assert plan.estimated_calls == min(rest_calls(count), bulk_calls(count))


def test_above_the_threshold_always_bulk() -> None:
    assert planned(3000, bulk_threshold=2500).bulk
    assert rest_calls(3000) < bulk_calls(3000)


def test_call_costs() -> None:
    assert [rest_calls(n) for n in (2000, 2001, 12_000, 12_001, 32_001)] == [0, 1, 1, 2, 4]
    assert [bulk_calls(n) for n in (8001, 52_000, 52_001)] == [3, 3, 4]


class FakeJob:
    """A job that completes `after` seconds of (fake) sleep; counts polls."""

    def __init__(self, after: float, final: str = "JobComplete") -> None:
        self.after, self.final, self.slept, self.polls = after, final, 0.0, 0
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.slept += seconds

    def status(self) -> dict[str, Any]:
        self.polls += 1
        return {"state": self.final if self.slept >= self.after else "InProgress",
                "errorMessage": "boom"}  # fmt: skip


def awaited(job: FakeJob, poll_seconds: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module.time, "sleep", job.sleep)
    transport = SalesforceClient.__new__(SalesforceClient)
    transport.config = type("C", (), {"pull": Pull(bulk_poll_seconds=poll_seconds)})()  # type: ignore[assignment]
    transport._await_query_job("750x", job.status)


def test_a_short_job_takes_one_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    job = FakeJob(after=1.5)
    awaited(job, 2, monkeypatch)
    assert job.polls == 1


def test_polls_of_a_long_job_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    job = FakeJob(after=600)
    awaited(job, 2, monkeypatch)
    assert job.delays[:5] == [2, 4, 8, 16, 32]
    assert max(job.delays) == 60
    assert job.polls <= 14  # a fixed 2 s interval would poll 300 times


def test_with_no_first_wait_polls_still_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    job = FakeJob(after=1)
    awaited(job, 0, monkeypatch)
    assert job.delays[:3] == [0, 0.1, 0.2]
    assert job.polls <= 6


def test_a_failed_job_names_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FatalError, match="750x failed: boom"):
        awaited(FakeJob(after=0, final="Failed"), 1, monkeypatch)

