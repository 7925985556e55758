"""The diff-only push every CRM writer shares, and what a push did (`PushResult`).

A writer says where KPI results go (a `PushPlan`, see `connector.store.push`) and how to
send a list of changes to its CRM; `DiffWriter.push` does the rest the same way for
every CRM: only values that differ from what the CRM last accepted, a dry run that
lists them, a value its field cannot hold reported for its record (never sent, never a
failed batch), and the accepted values remembered even when a later batch fails.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from connector.crms.client import Client
from connector.crms.config import CrmConfig
from connector.errors import ConfigError
from connector.presentation import Wording
from connector.store import Store
from connector.store.push import Change, Column, PushPlan, changes, remember
from connector.yamlfile import KeyPath, LineIndex, load_yaml, render_path

Where = Callable[[KeyPath | None], str]
"""Where a mapping key is, for messages: ``salesforce.yaml:171 push.user_fields.nps``."""
Progress = Callable[[str], None]
"""Where a writer tells how long work goes (setup's deploy), one line at a time."""
S = TypeVar("S")


def done(step: object) -> str:
    """A setup step as an action taken: "create field X" → "created field X"."""
    verb, _, rest = str(step).partition(" ")
    return f"{verb.removesuffix('e')}ed {rest}"


def pending(where: str, steps: list[Any], setup_command: str, most: int = 10) -> list[str]:
    """What setup still has to do, as `validate` reports it: one line per step, or one
    line for them all when there are more than `most` (a fresh org: every field)."""
    hint = f"run `{setup_command}`"
    if len(steps) <= most:
        return [f"{where}: {step}: {hint}" for step in steps]
    first = "; ".join(str(s) for s in steps[:3])
    return [f"{where}: {hint}: {len(steps)} changes to make ({first}; …)"]


@dataclass
class Review(Generic[S]):
    """What stands between a writer's mapping and its CRM: problems (setup refuses to
    change anything while there are any) and the steps setup takes."""

    problems: list[str] = field(default_factory=list)
    steps: list[S] = field(default_factory=list)


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
    notes: list[str] = field(default_factory=list)
    """What the CRM cannot hold and the push therefore left out (said, not failing)."""

    @property
    def ok(self) -> bool:
        """True when no record was refused."""
        return not self.failed


@dataclass
class Outcome:
    """What sending did: the changes the CRM accepted, and the records it refused."""

    accepted: list[Change] = field(default_factory=list)
    failed: list[RecordFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Records written (a record carries several changed fields)."""
        return len({(c.target, c.key) for c in self.accepted})


class DiffWriter(ABC, Generic[K, C, M]):
    """A writer that sends only what changed, typed by its client `K`, config `C` and
    push mapping `M`. Subclasses say where (`plan`), how to connect (`client`) and how
    to send (`send`); `setup` creates what they write into."""

    def __init__(self, name: str, config: C, push_mapping: M, wording: Wording) -> None:
        self.name = name
        self.config = config
        self.push_mapping = push_mapping
        self.wording = wording
        self.notes: list[str] = []
        """What `validate` found worth saying that is no problem (e.g. a CRM edition's
        limits), for the validation report's notes."""
        self.progress: Progress | None = None
        """Set by whoever runs `setup` to hear how long work goes."""

    @cached_property
    def _lines(self) -> LineIndex:
        return load_yaml(self.config.mapping_path)[1]

    def where(self, path: KeyPath | None) -> str:
        """``salesforce.yaml:171 push.user_fields.nps`` (the file alone without a key)."""
        name = self.config.mapping_path.name
        if path is None:
            return name
        return f"{name}:{self._lines.line_of(path)} {render_path(path)}"

    def default_owner(
        self, todo: list[Change], plan: PushPlan, resolve: Callable[[], str | None]
    ) -> dict[str, str]:
        """{the plan's default-owner token: the CRM id it stands for}, resolved only when a
        change sends it (an unchanged owner costs no call); `ConfigError` when it names
        nobody active."""
        records = plan.records
        token = records.default_owner
        wanted = [c for c in todo if c.field == records.owner_field and c.new == token]
        if token is None or not wanted:
            return {}
        owner = resolve()
        if owner is None:
            where, named = self.where(("push", "default_owner")), token.partition(":")[2]
            message = f"{where}: {named} is no active user of {self.name}: name an active one"
            raise ConfigError([message])
        return {token: owner}

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
        """Create what the writer writes into, or bring it up to date; the actions taken."""

    @abstractmethod
    def validate(self) -> list[str]:
        """Every problem of the writer's mapping against the CRM (fields it may not write,
        fields setup has not created yet), each naming file:line key; empty when none."""

    def push(self, store: Store, *, dry_run: bool = False) -> PushResult:
        """Send the values that changed since the last accepted push (or plan them)."""
        plan = self.plan()
        todo, unchanged = changes(store, self.name, plan, self.config.push.change_tolerance)
        planned = [PlannedChange(c.target, c.key, c.field, c.old, c.new) for c in todo]
        result = PushResult(unchanged=unchanged, planned=planned, dry_run=dry_run)
        columns = plan.columns()
        unfit = [c for c in todo if out_of_range(c, columns.get((c.target, c.field)))]
        result.failed = [_unfit_failure(c, columns[(c.target, c.field)]) for c in unfit]
        skipped = set(unfit)
        todo = [c for c in todo if c not in skipped]
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
        result.failed += outcome.failed
        result.notes += outcome.notes
        return result


def out_of_range(change: Change, column: Column | None) -> bool:
    """Whether a number has more digits before the decimal point than its field holds."""
    if column is None or column.limit is None or change.kind != "number" or change.new is None:
        return False
    return abs(float(change.new)) >= column.limit


def _unfit_failure(change: Change, column: Column) -> RecordFailure:
    digits = round(math.log10(column.limit or 1))
    return RecordFailure(
        f"{change.target} {change.key}",
        change.field,
        f"{change.new} is outside the field's range (at most {digits} digits before the "
        "decimal point): not sent (the record's other values were)",
    )
