"""How a run ended, and telling people: its summary, exit code, crash report, metrics
and alerts.

`settle` turns whatever stopped a run into its recorded status, reason and exit code:
a CRM's or the user's error as it is; the machine's failure (a full disk, a read-only
store) as one plain sentence, exit 5; anything else as a crash (exit 70) whose traceback
goes to a file beside the store, named in one sentence. `report` then writes the
metrics and sends the alerts; neither can change the outcome.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.config import Config
from connector.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_TERMINATED,
    Crashed,
    CrmKpiError,
    Terminated,
    as_stop,
)
from connector.ops.alerts import send_alerts
from connector.ops.facts import Exclusion, RunFacts, SourceFacts
from connector.ops.metrics import push_metrics, write_metrics_file
from connector.secrets import redact
from connector.store import IngestResult
from connector.store.failures import environment_failure


@dataclass
class RunSummary:
    """What one run did, as shown at its end and kept in the `runs` table."""

    run_id: str
    dry_run: bool = False
    status: str = "running"  # then succeeded, partial, failed or stopped
    pulled: int = 0
    quarantined: int = 0
    deleted: int = 0
    findings: int = 0
    kpi_rows: int = 0
    written: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    exit_code: int = EXIT_OK
    stage: str | None = None
    """The stage going on when the run stopped (None once every stage is done)."""
    left_out: list[str] = field(default_factory=list)
    """What a partial run left out, one sentence each."""
    excluded: list[Exclusion] = field(default_factory=list)
    excluded_over_threshold: bool = False
    sources: dict[str, SourceFacts] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    crash_file: str | None = None
    last_success: float | None = None
    stale_hours: float | None = None
    pulled_results: list[IngestResult] = field(default_factory=list, repr=False)
    """Each entity's ingest of this run (not kept in the run log)."""

    def source(self, name: str) -> SourceFacts:
        """The figures of one source, created on first use."""
        return self.sources.setdefault(name, SourceFacts(name))

    def conclude(self) -> None:
        """Every stage done: succeeded, or partial when something was left out."""
        self.left_out = [f"{len(self.failed):,} record(s) refused by a CRM (listed as "
                         "FAILED)"] if self.failed else []  # fmt: skip
        if self.excluded_over_threshold:
            self.left_out += [e.sentence() for e in self.excluded]
        self.exit_code = EXIT_PARTIAL if self.left_out else EXIT_OK
        self.status = "partial" if self.left_out else "succeeded"
        self.stage = None


def settle(summary: RunSummary, exc: BaseException, store_path: Path) -> BaseException:
    """Record in `summary` how `exc` stopped the run; the exception to raise for it."""
    exc = as_stop(exc) or exc  # a query stopped halfway by Ctrl-C or SIGTERM: a stop
    if isinstance(exc, KeyboardInterrupt):
        by_term = isinstance(exc, Terminated)
        summary.status = "stopped"
        summary.error = ("stopped by SIGTERM (the scheduler or kill)" if by_term else
                         "stopped by the user (Ctrl-C)")  # fmt: skip
        summary.exit_code = EXIT_TERMINATED if by_term else EXIT_INTERRUPTED
        return exc
    summary.status = "failed"
    if isinstance(exc, CrmKpiError):
        summary.error, summary.exit_code = redact(str(exc)), exc.exit_code
        return exc
    machine = environment_failure(exc, store_path)
    if machine is not None:
        summary.error, summary.exit_code = str(machine), machine.exit_code
        return machine
    report = write_crash_report(exc, store_path.parent, summary.run_id)
    summary.crash_file = str(report) if report else None
    crash = Crashed(crash_sentence(exc, summary.stage, report))
    summary.error, summary.exit_code = str(crash), crash.exit_code
    return crash


def crash_sentence(exc: BaseException, stage: str | None, report: Path | None) -> str:
    """What failed, where the details are, and what to do: one sentence."""
    where = f"the details are in {report}" if report else "the details follow in this log"
    return (f"crm-kpi failed unexpectedly ({type(exc).__name__} during "
            f"{stage or 'the command'}): {where}; nothing half-done was kept and the next "
            "run resumes from the last checkpoint; if it happens again, report it with "
            "that file")  # fmt: skip


def write_crash_report(exc: BaseException, folder: Path, name: str) -> Path | None:
    """The traceback of `exc`, secrets redacted, in a file of its owner's only: beside
    the store (kept between runs), else in the temporary folder; None if neither works."""
    text = redact("".join(traceback.format_exception(exc)))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for where in (folder, Path(tempfile.gettempdir())):
        path = where / f"crm-kpi-crash-{name or stamp}.txt"
        try:
            path.write_text(f"crm-kpi crash at {stamp}\n{text}", encoding="utf-8")
            path.chmod(0o600)
        except OSError:
            continue
        return path
    return None


def facts_of(summary: RunSummary, config: Config, command: str = "run") -> RunFacts:
    """The run as alerts and metrics see it."""
    return RunFacts(
        run_id=summary.run_id, command=command,
        outcome=summary.status if summary.status != "running" else "failed",
        exit_code=summary.exit_code, started_at=summary.started_at,
        finished_at=summary.finished_at or time.time(), config_path=str(config.config_path),
        stage=summary.stage, reason=summary.error, left_out=summary.left_out,
        exclusions=summary.excluded, excluded_over_threshold=summary.excluded_over_threshold,
        sources=list(summary.sources.values()), stage_seconds=summary.stage_seconds,
        last_success=summary.last_success, stale_hours=summary.stale_hours,
    )  # fmt: skip


def report(config: Config, facts: RunFacts, log: Callable[[str], None]) -> list[str]:
    """Write the metrics file, push to the Pushgateway and send the alerts the run
    raises; each problem is logged and returned, never raised."""
    problems: list[str] = []
    settings = config.observability
    if settings.metrics_file is not None:
        _attempt(problems, log, f"metrics file {settings.metrics_file}",
                 lambda: write_metrics_file(settings.metrics_file, facts))  # type: ignore[arg-type]  # fmt: skip
    if settings.pushgateway is not None:
        gateway = str(settings.pushgateway)
        _attempt(problems, log, "Pushgateway",
                 lambda: push_metrics(gateway, facts, settings.push_timeout_seconds,
                                      settings.pushgateway_labels))  # fmt: skip
    if config.alerts:
        problems += send_alerts(config.alerts, config.smtp, facts,
                                timeout=settings.alert_timeout_seconds, log=log)  # fmt: skip
    return problems


def _attempt(problems: list[str], log: Callable[[str], None], what: str,
             action: Callable[[], None]) -> None:  # fmt: skip
    try:
        action()
    except Exception as exc:  # reporting never changes the run's outcome
        why = redact(f"{type(exc).__name__}: {exc}")
        problems.append(f"{what}: {why}")
        log(f"{what} could not be written: {why}")


def stale_hours(since: dt.datetime | None, now: float, threshold: float) -> float | None:
    """Hours without a finished run when past `threshold`, else None."""
    if since is None:
        return None
    hours = (now - since.replace(tzinfo=dt.UTC).timestamp()) / 3600
    return round(hours, 1) if hours > threshold else None


def summary_fields(summary: RunSummary) -> dict[str, Any]:
    """The summary as flat JSON-ready fields (for the JSON log and `status --format json`)."""
    per_source = {name: vars(facts) for name, facts in summary.sources.items()}
    return {
        "status": summary.status, "exit_code": summary.exit_code,
        "stopped_in": summary.stage,
        "error": summary.error, "left_out": summary.left_out,
        "records_read": summary.pulled, "records_quarantined": summary.quarantined,
        "records_deleted": summary.deleted, "findings": summary.findings,
        "kpi_rows": summary.kpi_rows, "records_written": summary.written,
        "records_unchanged": summary.unchanged, "records_failed": len(summary.failed),
        "records_excluded": sum(e.count for e in summary.excluded),
        "api_calls": summary.api_calls, "stage_seconds": summary.stage_seconds,
        "sources": per_source,
    }  # fmt: skip
