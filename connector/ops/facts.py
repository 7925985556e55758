"""What alerts and metrics say about one run: its outcome and each source's figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.errors import EXIT_PARTIAL


@dataclass
class SourceFacts:
    """One source's part of a run."""

    name: str
    type: str = ""
    read: int = 0
    quarantined: int = 0
    excluded: int = 0
    written: int = 0
    failed: int = 0
    api_calls: int = 0
    api_remaining: int | None = None


@dataclass
class Exclusion:
    """Records of one source's entity left out of the KPIs, and why."""

    source: str
    entity: str
    count: int
    total: int
    why: str
    fix: str

    @property
    def share(self) -> float:
        """The part of the entity left out (0 when it has no records)."""
        return self.count / self.total if self.total else 0.0

    def sentence(self) -> str:
        """`50 of 176 won deals of hubspot (28 %) left out of revenue: ...`."""
        return (f"{self.count:,} of {self.total:,} {self.entity} of {self.source} "
                f"({self.share:.0%}) {self.why}")  # fmt: skip


@dataclass
class RunFacts:
    """A run as alerts and metrics see it."""

    run_id: str
    command: str
    outcome: str  # succeeded, partial, failed, stopped
    exit_code: int
    started_at: float  # epoch seconds
    finished_at: float
    config_path: str = ""
    stage: str | None = None
    """The stage a failure stopped in (pull NAME, compute, push NAME)."""
    reason: str | None = None
    fix: str | None = None
    left_out: list[str] = field(default_factory=list)
    """What a partial run left out, one sentence each (records refused, data excluded)."""
    exclusions: list[Exclusion] = field(default_factory=list)
    excluded_over_threshold: bool = False
    sources: list[SourceFacts] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    last_success: float | None = None
    """When the last successful run (exit 0 or 1) finished, this one included."""
    stale_hours: float | None = None
    """Set when no run succeeded for longer than the threshold: the hours since."""

    @property
    def succeeded(self) -> bool:
        """Whether a scheduler counts the run as done (exit 0 or 1)."""
        return self.exit_code <= EXIT_PARTIAL
