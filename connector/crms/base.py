"""What a CRM is to the connector: a source that pulls into the store, maybe a writer
that puts KPIs back, and the `Crm` entry that registers both with their config model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from connector.crms.config import SourceConfig
from connector.crms.proposal import Proposal
from connector.crms.push import PushResult
from connector.presentation import Wording
from connector.settings import Reporting
from connector.store import IngestResult, Store

Progress = Callable[[str], None]
C = TypeVar("C", bound=SourceConfig)


@dataclass
class Survey:
    """What `validate` learns from a source besides its mapping's problems: the reps (CRM
    id → e-mail), teams and territories that targets may name, and notes worth saying
    that do not stop a run (an org without quotas)."""

    owners: dict[str, str | None] = field(default_factory=dict)
    teams: set[str] = field(default_factory=set)
    territories: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


class Source(Protocol):
    """A configured source. `pull` loads its records; `validate` lists mapping problems;
    `survey` (once `validate` found none) says who targets may name."""

    name: str

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Pull into the store (full or incremental, as the source decides)."""
        ...

    def validate(self) -> list[str]:
        """Every problem of the mapping against the live CRM (empty when none)."""
        ...

    def survey(self) -> Survey:
        """The source's reps, teams and territories, and its notes."""
        ...

    def deprecations(self) -> list[str]:
        """Notes on its mapping file, read in last release's spelling (empty when none)."""
        ...


class Writer(Protocol):
    """A configured CRM writer; `progress`, when set, hears how long `setup` goes."""

    name: str
    notes: list[str]
    """What `validate` found worth saying that is no problem (a CRM edition's limits)."""
    progress: Progress | None

    def setup(self) -> list[str]:
        """Create what the writer writes into, or bring it up to date; the actions taken."""
        ...

    def validate(self) -> list[str]:
        """Every problem of the writer's mapping against the CRM (empty when none)."""
        ...

    def push(self, store: Store, *, dry_run: bool = False) -> PushResult:
        """Write the KPI values that changed since the last successful push."""
        ...


@dataclass(frozen=True)
class Crm(Generic[C]):
    """One kind of source, as registered in `connector.crms.registry`.

    `config` validates its entry of config.yaml, `read` builds its source, `write` its
    writer (None when KPIs cannot be written back) with the `Wording` of its fields,
    `example` is the commented `sources:` entry that `crm-kpi init --crm <type>` writes
    and `folders` the folders that entry names, which init creates beside it;
    `discover` reads the CRM and proposes a mapping for it (`crm-kpi discover`), with
    the store whose cached metadata it may reuse.
    """

    config: type[C]
    read: Callable[[C, Reporting], Source]
    write: Callable[[C, Wording], Writer] | None
    example: str
    folders: tuple[str, ...] = ()
    discover: Callable[[C, Store | None], Proposal] | None = None
