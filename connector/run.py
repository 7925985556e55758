"""`crm-kpi run`: pull every source, compute, push to every writer — one run, one lock.

Every stage is idempotent and keeps its own checkpoints (source cursors, last values
pushed), so a run killed at any point simply runs again: nothing is duplicated and
nothing is lost. The run log in the store says what each run did.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from connector.config import Config
from connector.crms.config import SourceConfig
from connector.errors import EXIT_OK, EXIT_RECORD_FAILURES, CrmKpiError
from connector.invocation import suggest
from connector.lock import RunLock
from connector.pipeline import build_source, build_writer, compute_kpis, load_targets_file
from connector.runlog import RunLog
from connector.secrets import redact
from connector.store import Store
from connector.store.runs import finish_run, start_run


@dataclass
class RunSummary:
    """What one run did, as shown at its end and kept in the `runs` table."""

    run_id: str
    dry_run: bool = False
    status: str = "running"
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

    @property
    def exit_code(self) -> int:
        """0 all written, 1 finished with per-record failures."""
        return EXIT_RECORD_FAILURES if self.failed else EXIT_OK


def new_run_id() -> str:
    """Sortable and unique: UTC start time plus a random suffix."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def lock_path(config: Config) -> Path:
    """The lock file of the config's store."""
    return config.store.path.with_name(config.store.path.name + ".lock")


def run_nightly(
    config: Config,
    log: RunLog,
    *,
    dry_run: bool = False,
    as_of: dt.date | None = None,
    allow_mass_delete: bool = False,
) -> RunSummary:
    """Run the whole job under the store's lock; raises LockedError if a run is going.
    `allow_mass_delete` lets full exports delete past their `max_delete_share`."""
    summary = RunSummary(run_id=new_run_id(), dry_run=dry_run)
    writers = [s for s in config.sources if s.pushes]
    with RunLock(lock_path(config), summary.run_id) as lock, Store(config.store.path) as store:
        if lock.took_over:
            because = f" ({lock.took_over_because})" if lock.took_over_because else ""
            log.event("lock", f"took over the stale lock of run {lock.took_over.get('run_id')}"
                      f"{because}")  # fmt: skip
        _record_start(store, summary, "run --dry-run" if dry_run else "run")
        stages = len(config.sources) + (config.targets_file is not None) + 1 + len(writers)
        log.start(summary.run_id, stages=stages)
        try:
            _pull_stage(config, store, log, summary, allow_mass_delete)
            with _stage(summary, log, "compute"):
                progress = _progress_to(log, "compute")
                summary.kpi_rows = compute_kpis(config, store, as_of=as_of, progress=progress).rows
            for source in writers:
                _push_stage(config, store, log, summary, source, dry_run)
            summary.status = "finished with failures" if summary.failed else "succeeded"
        except CrmKpiError as exc:
            summary.status, summary.error = "failed", str(exc)
            raise
        except KeyboardInterrupt:
            summary.status, summary.error = "interrupted", "stopped by the user (Ctrl-C)"
            raise
        except Exception as exc:  # a bug: said in the run log too, then raised as it is
            summary.status = "failed"
            summary.error = redact(f"unexpected {type(exc).__name__}: {exc}")
            raise
        finally:
            log.finish()
            _record_end(store, summary)
    return summary


@contextmanager
def _stage(summary: RunSummary, log: RunLog, name: str) -> Iterator[None]:
    started = time.perf_counter()
    log.event(name, "started")
    yield
    summary.stage_seconds[name] = round(time.perf_counter() - started, 3)
    log.event(name, f"done in {summary.stage_seconds[name]:.1f} s")
    log.advance()


def _pull_stage(
    config: Config, store: Store, log: RunLog, summary: RunSummary, allow_mass_delete: bool
) -> None:
    for source_config in config.sources:
        name = f"pull {source_config.name}"
        with _stage(summary, log, name):
            source = build_source(config, source_config, allow_mass_delete=allow_mass_delete)
            results = source.pull(store, progress=_progress_to(log, name))
            for note in (n for r in results for n in r.notes):
                log.event(name, note)
                summary.notes.append(note)
            summary.pulled += sum(r.loaded for r in results)
            summary.quarantined += sum(r.quarantined for r in results)
            summary.deleted += sum(r.deleted for r in results)
            summary.findings += sum(r.findings for r in results)
            calls = getattr(source, "api_calls", None)
            if isinstance(calls, int):
                summary.api_calls[source_config.name] = calls
    if config.targets_file is not None:
        with _stage(summary, log, "targets file"):
            loaded = load_targets_file(config, store, _progress_to(log, "targets file"))
            if loaded is not None:
                summary.quarantined += loaded.quarantined


def _progress_to(log: RunLog, stage: str) -> Callable[[str], None]:
    def report(message: str) -> None:
        log.event(stage, message)

    return report


def _push_stage(
    config: Config,
    store: Store,
    log: RunLog,
    summary: RunSummary,
    source: SourceConfig,
    dry_run: bool,
) -> None:
    with _stage(summary, log, f"push {source.name}"):
        result = build_writer(config, source).push(store, dry_run=dry_run)
        summary.written += result.written
        summary.unchanged += result.unchanged
        summary.failed += [f"{source.name}: {f}" for f in result.failed]
        summary.notes += [f"{source.name}: {n}" for n in result.notes]
        if dry_run:
            summary.planned += [f"{source.name}: {p}" for p in result.planned]
        summary.api_calls[source.name] = summary.api_calls.get(source.name, 0) + result.api_calls


def _record_start(store: Store, summary: RunSummary, command: str) -> None:
    start_run(store, summary.run_id, f"{command} (pid {os.getpid()})")


def _record_end(store: Store, summary: RunSummary) -> None:
    finish_run(store, summary.run_id, summary.status, json.dumps(asdict(summary), default=str))


def format_summary(summary: RunSummary, config_path: Path | None = None) -> str:
    """The closing summary printed at the end of a run (of the config at `config_path`)."""
    config = ("--config", config_path) if config_path is not None else ()
    lines = [
        f"run {summary.run_id}: {summary.status}",
        f"  records pulled {summary.pulled:,}, quarantined {summary.quarantined:,}, "
        f"marked deleted {summary.deleted:,}, findings {summary.findings:,}"
        + (f" ({suggest('problems', *config, '--run', summary.run_id)} lists them)"
           if summary.quarantined or summary.findings else ""),
        f"  KPI rows computed {summary.kpi_rows:,}; written {summary.written:,}, "
        f"unchanged {summary.unchanged:,}, failed {len(summary.failed):,}",
    ]
    if summary.api_calls:
        calls = ", ".join(f"{name} {n:,}" for name, n in summary.api_calls.items())
        lines.append(f"  API calls: {calls}")
    stages = ", ".join(f"{name} {s:.1f} s" for name, s in summary.stage_seconds.items())
    lines.append(f"  time: {stages}")
    lines += [f"  note: {n}" for n in summary.notes]
    lines += [f"  would write {p}" for p in summary.planned]
    lines += [f"  FAILED {f}" for f in summary.failed]
    return "\n".join(lines)
