"""The diff-only push every CRM writer shares, and what a push did (`PushResult`).

A writer says where KPI results go (a `PushPlan`, see `connector.store.push`) and how to
send a list of changes to its CRM; `DiffWriter.push` does the rest the same way for
every CRM: only values that differ from what the CRM last accepted, a dry run that
lists them, and the accepted values remembered even when a later batch fails.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from connector.crms.client import Client
from connector.crms.config import CrmConfig
from connector.errors import ConfigError
from connector.store import Store
from connector.store.push import Change, PushPlan, changes, remember

K = TypeVar("K", bound=Client)
C = TypeVar("C", bound=CrmConfig[Any, Any, Any, Any, Any])
M = TypeVar("M")

@dataclass(frozen=True)
class RecordFailure:
    """One record the CRM refused (after the writer's one retry), and why."""

    record: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f" {self.field}" if self.field else ""
        return f"{self.record}{where}: {self.message}"


@dataclass(frozen=True)
class PlannedChange:
    """One value a push would write (dry run) or wrote: old → new."""

    target: str  # CRM object, e.g. Sales_KPI__c or User
    record: str  # external key or record id
    field: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        return f"{self.target} {self.record} {self.field}: {self.old} → {self.new}"


@dataclass
class PushResult:
    """What one push did: records written, left unchanged, refused; API calls spent.

    `planned` lists every value change (old → new); on a dry run nothing was written.
    """

    written: int = 0
    unchanged: int = 0
    failed: list[RecordFailure] = field(default_factory=list)
    api_calls: int = 0
    dry_run: bool = False
    planned: list[PlannedChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no record was refused."""
        return not self.failed


@dataclass
class Outcome:
    """What sending did: the changes the CRM accepted, and the records it refused."""

    accepted: list[Change] = field(default_factory=list)
    failed: list[RecordFailure] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Records written (a record carries several changed fields)."""
        return len({(c.target, c.key) for c in self.accepted})


class DiffWriter(ABC, Generic[K, C, M]):
    """A writer that sends only what changed, typed by its client `K`, config `C` and
    push mapping `M`. Subclasses say where (`plan`), how to connect (`client`) and how
    to send (`send`); `setup` creates what they write into."""

    def __init__(self, name: str, config: C, push_mapping: M) -> None:
        self.name = name
        self.config = config
        self.push_mapping = push_mapping

    @abstractmethod
    def plan(self) -> PushPlan:
        """Where this writer puts which KPI values."""

    @abstractmethod
    def client(self) -> K:
        """A new connection to the CRM (closed after use)."""

    @abstractmethod
    def send(self, client: K, todo: list[Change], outcome: Outcome) -> None:
        """Send the changes, recording in `outcome` what was accepted and refused."""

    @abstractmethod
    def setup(self) -> list[str]:
        """Create (idempotently) what the writer writes into; the actions taken."""

    def push(self, store: Store, *, dry_run: bool = False) -> PushResult:
        """Send the values that changed since the last accepted push (or plan them)."""
        todo, unchanged = changes(store, self.name, self.plan(), self.config.push.change_tolerance)
        planned = [PlannedChange(c.target, c.key, c.field, c.old, c.new) for c in todo]
        result = PushResult(unchanged=unchanged, planned=planned, dry_run=dry_run)
        if dry_run or not todo:
            return result
        if not self.config.push.enabled:
            raise ConfigError([f"source {self.name}: push.enabled is false; nothing was written"])
        outcome = Outcome()
        with self.client() as client:
            try:
                self.send(client, todo, outcome)
            finally:
                remember(store, self.name, outcome.accepted)
                result.api_calls = client.api_calls
        result.written = outcome.records
        result.failed = outcome.failed
        return result
