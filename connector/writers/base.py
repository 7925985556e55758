"""What every CRM writer is: something that puts KPI results back into one CRM.

CRM-neutral on purpose: the Salesforce and HubSpot writers both return a `PushResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from connector.store import Store

# The kpi_results rows a writer pushes: its own source's when the config has several
# sources (they are stored under its name), else the all-sources rows (source NULL).
# Two parameters: the writer's source name, twice.
OWN_RESULTS_SQL = (
    "source IS NOT DISTINCT FROM "
    "(CASE WHEN EXISTS (SELECT 1 FROM kpi_results WHERE source = ?) THEN ? END)"
)


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


class Writer(Protocol):
    """A configured CRM writer."""

    name: str

    def setup(self) -> list[str]:
        """Create (idempotently) what the writer writes into; the actions taken."""
        ...

    def push(self, store: Store, *, dry_run: bool = False) -> PushResult:
        """Write the KPI values that changed since the last successful push."""
        ...
