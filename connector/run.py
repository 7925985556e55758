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
from dataclasses import asdict, replace
from pathlib import Path

from connector.config import Config
from connector.crms.config import SourceConfig
from connector.errors import EXIT_PARTIAL, as_stop
from connector.invocation import suggest
from connector.lock import RunLock, describe
from connector.ops.facts import SourceFacts
from connector.outcome import RunSummary, facts_of, report, settle, stale_hours
from connector.pipeline import build_source, build_writer, compute_kpis, load_targets_file
from connector.runlog import RunLog
from connector.secrets import redact
from connector.store import Store
from connector.store.excluded import over_threshold, quarantine_exclusions, rate_exclusions
from connector.store.failures import store_removed
from connector.store.runs import (
    RunsView,
    finish_run,
    read_runs_copy,
    runs_copy_path,
    runs_view,
    start_run,
    write_runs_copy,
)

__all__ = ["RunSummary", "format_summary", "lock_path", "new_run_id", "run_nightly"]


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
    """Run the whole job under the store's lease, then write its metrics and send its
    alerts. Raises what stopped it (LockedError if another run holds the lease, `Crashed`
    for a bug, an `EnvironmentFailure` for the machine's); either way the run is
    recorded. `allow_mass_delete` lets full exports delete past their `max_delete_share`."""
    summary = RunSummary(run_id=new_run_id(), dry_run=dry_run)
    try:
        _locked_run(config, log, summary, dry_run, as_of, allow_mass_delete)
    except BaseException as exc:
        if summary.status in ("running", "succeeded", "partial"):  # failed before the store
            raised = settle(summary, exc, config.store.path)
            copy = read_runs_copy(runs_copy_path(config.store.path), 0)
            _note_staleness(config, copy, summary)  # another run holds the store
            if raised is not exc:
                raise raised from exc
        raise
    finally:
        summary.finished_at = time.time()
        report(config, facts_of(summary, config, "run --dry-run" if dry_run else "run"),
               lambda message: log.event("report", message))  # fmt: skip
    return summary


def _locked_run(
    config: Config,
    log: RunLog,
    summary: RunSummary,
    dry_run: bool,
    as_of: dt.date | None,
    allow_mass_delete: bool,
) -> None:
    writers = [s for s in config.sources if s.pushes]
    lease = config.store.lock_lease_seconds
    with RunLock(lock_path(config), summary.run_id, lease) as lock, Store(
        config.store.path
    ) as store:
        if lock.took_over:
            log.event("lock", f"took over the stale lock of {describe(lock.took_over)}"
                      f" ({lock.took_over_because or 'expired'})")  # fmt: skip
        _record_start(store, summary, "run --dry-run" if dry_run else "run", log)
        stages = len(config.sources) + (config.targets_file is not None) + 1 + len(writers)
        log.start(summary.run_id, stages=stages)
        raised: BaseException | None = None
        try:
            _pull_stage(config, store, log, summary, allow_mass_delete, lock)
            with _stage(summary, log, "compute", lock):
                progress = _progress_to(log, "compute")
                summary.kpi_rows = compute_kpis(config, store, as_of=as_of, progress=progress).rows
            _note_exclusions(config, store, summary, log)
            for source in writers:
                _push_stage(config, store, log, summary, source, dry_run, lock)
            if not store.still_there():
                raise store_removed(config.store.path)
            summary.conclude()
        except BaseException as exc:
            raised = settle(summary, exc, config.store.path)
            if raised is not exc:
                raise raised from exc
            raise
        finally:
            log.finish()
            _record_end(store, summary, log)
            _note_staleness(config, _store_runs(store), summary)


def _note_exclusions(config: Config, store: Store, summary: RunSummary, log: RunLog) -> None:
    """Records left out of the KPIs: counted per source, and the run partial when they
    are past `observability.excluded_share`."""
    problems = suggest("problems", "--config", config.config_path, "--run", summary.run_id)
    found = rate_exclusions(store) + quarantine_exclusions(summary.pulled_results, problems)
    settings = config.observability
    summary.excluded = found
    summary.excluded_over_threshold = over_threshold(
        found, settings.excluded_share, settings.excluded_min_records
    )
    for exclusion in found:
        summary.source(exclusion.source).excluded += exclusion.count
        log.event("compute", f"excluded: {exclusion.sentence()}", source=exclusion.source,
                  entity=exclusion.entity, excluded=exclusion.count,
                  total=exclusion.total)  # fmt: skip


def _note_staleness(config: Config, view: RunsView | None, summary: RunSummary) -> None:
    """The last success, and for a failed run how long none has been, from the store's
    runs or, for a run that could not open the store, the copy beside it."""
    if view is None:  # nothing to read: nothing to add
        return
    if view.last_success is not None:
        summary.last_success = view.last_success.replace(tzinfo=dt.UTC).timestamp()
    if summary.exit_code > EXIT_PARTIAL:
        summary.stale_hours = stale_hours(view.stale_since, time.time(),
                                          config.observability.stale_after_hours)  # fmt: skip


def _store_runs(store: Store) -> RunsView | None:
    try:
        return runs_view(store, 0)
    except Exception:  # a store that cannot be read now (disk trouble)
        return None


@contextmanager
def _stage(summary: RunSummary, log: RunLog, name: str, lock: RunLock) -> Iterator[None]:
    lock.check()
    summary.stage = name
    source = name.split(" ", 1)[1] if name.startswith(("pull ", "push ")) else ""
    before = replace(summary.source(source)) if source else None
    started = time.perf_counter()
    log.event(name, "started")
    yield
    lock.check()
    summary.stage_seconds[name] = round(time.perf_counter() - started, 3)
    log.event(name, f"done in {summary.stage_seconds[name]:.1f} s", event="stage_end",
              seconds=summary.stage_seconds[name],
              **_stage_fields(summary, name, before))  # fmt: skip
    log.advance()


def _stage_fields(summary: RunSummary, name: str, before: SourceFacts | None
                  ) -> dict[str, object]:  # fmt: skip
    """What this stage alone did, as fields of its end event: summed over a run's
    stage_end events, each count gives the run's total."""
    if name == "compute":
        return {"kpi_rows": summary.kpi_rows}
    if before is None:
        return {}
    now = summary.sources[before.name]
    return {"source": now.name, "records_read": now.read - before.read,
            "records_quarantined": now.quarantined - before.quarantined,
            "records_written": now.written - before.written,
            "records_failed": now.failed - before.failed,
            "api_calls": now.api_calls - before.api_calls,
            "api_daily_remaining": now.api_remaining}  # fmt: skip


def _pull_stage(
    config: Config,
    store: Store,
    log: RunLog,
    summary: RunSummary,
    allow_mass_delete: bool,
    lock: RunLock,
) -> None:
    for source_config in config.sources:
        name = f"pull {source_config.name}"
        facts = summary.source(source_config.name)
        facts.type = source_config.type
        with _stage(summary, log, name, lock):
            source = build_source(config, source_config, allow_mass_delete=allow_mass_delete)
            for note in source.deprecations():  # said before the pull, which may fail
                log.event(name, note)
                summary.notes.append(note)
            try:
                results = source.pull(store, progress=_progress_to(log, name))
            finally:
                _count_calls(source, facts, summary)
            summary.pulled_results += results
            for note in (n for r in results for n in r.notes):
                log.event(name, note)
                summary.notes.append(note)
            facts.read += sum(r.loaded for r in results)
            facts.quarantined += sum(r.quarantined for r in results)
            summary.pulled += sum(r.loaded for r in results)
            summary.quarantined += sum(r.quarantined for r in results)
            summary.deleted += sum(r.deleted for r in results)
            summary.findings += sum(r.findings for r in results)
    if config.targets_file is not None:
        with _stage(summary, log, "targets file", lock):
            loaded = load_targets_file(config, store, _progress_to(log, "targets file"))
            if loaded is not None:
                summary.quarantined += loaded.quarantined
                summary.pulled_results.append(loaded)


def _count_calls(source: object, facts: SourceFacts, summary: RunSummary) -> None:
    calls = getattr(source, "api_calls", None)
    if isinstance(calls, int):
        summary.api_calls[facts.name] = calls
        facts.api_calls = calls
    remaining = getattr(source, "api_remaining", None)
    if isinstance(remaining, int):
        facts.api_remaining = remaining


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
    lock: RunLock,
) -> None:
    facts = summary.source(source.name)
    with _stage(summary, log, f"push {source.name}", lock):
        result = build_writer(config, source).push(store, dry_run=dry_run)
        summary.written += result.written
        summary.unchanged += result.unchanged
        summary.failed += [f"{source.name}: {f}" for f in result.failed]
        summary.notes += [f"{source.name}: {n}" for n in result.notes]
        facts.written += result.written
        facts.failed += len(result.failed)
        facts.api_calls += result.api_calls
        if dry_run:
            summary.planned += [f"{source.name}: {p}" for p in result.planned]
        summary.api_calls[source.name] = summary.api_calls.get(source.name, 0) + result.api_calls


def _record_start(store: Store, summary: RunSummary, command: str, log: RunLog) -> None:
    start_run(store, summary.run_id, f"{command} (pid {os.getpid()})")
    _copy_runs(store, log)


def _record_end(store: Store, summary: RunSummary, log: RunLog) -> None:
    """Record how the run ended; a store that cannot take it (a full disk) is logged."""
    kept = {k: v for k, v in asdict(summary).items() if k != "pulled_results"}
    if summary.status != "succeeded":
        store.abandon()
    for attempt in (1, 2):
        try:
            finish_run(store, summary.run_id, summary.status, json.dumps(kept, default=str))
            break
        except Exception as exc:  # the run's own failure is what gets reported
            if attempt == 1 and summary.status == "stopped" and as_stop(exc) is not None:
                continue  # the signal's watcher stopped this statement, not the run's query
            log.event("run", redact(f"could not record the end of the run in the store: {exc}"))
            return
    _copy_runs(store, log)


def _copy_runs(store: Store, log: RunLog) -> None:
    """The run log's copy beside the store, for `status` while this run holds it."""
    if store.path is None:
        return
    try:
        write_runs_copy(store, runs_copy_path(store.path))
    except Exception as exc:  # status then says the store is in use; the run goes on
        log.event("run", redact(f"could not write the run log's copy: {exc}"))


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
    lines += [f"  left out: {item}" for item in summary.left_out]
    if summary.excluded_over_threshold:
        lines += [f"  fix: {fix}" for fix in dict.fromkeys(e.fix for e in summary.excluded)]
    lines += [f"  note: {n}" for n in summary.notes]
    lines += [f"  would write {p}" for p in summary.planned]
    lines += [f"  FAILED {f}" for f in summary.failed]
    return "\n".join(lines)
