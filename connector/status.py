"""`crm-kpi status`: the last runs for people (a table), for programs (`--format json`)
and for monitors (`--check`, whose exit code says whether the last run finished and
is recent, as Nagios-style checks do: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

The store is opened read-only: status works beside a running run's readers, and on a
store on a read-only file system.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.config import Config
from connector.errors import EXIT_OK, EXIT_PARTIAL, CrmKpiError, LockedError
from connector.ops.alerts import send_alerts
from connector.ops.facts import RunFacts
from connector.outcome import stale_hours
from connector.store import Store
from connector.store.excluded import over_threshold, rate_exclusions
from connector.store.runs import (
    FINISHED,
    RunRecord,
    RunsView,
    read_runs_copy,
    runs_copy_path,
    runs_view,
)

CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN = 0, 1, 2, 3
_EXIT_OF_STATUS = {"succeeded": 0, "partial": 1, "finished with failures": 1}


def run_json(run: RunRecord) -> dict[str, Any]:
    """One run as `status --format json` shows it."""
    summary = json.loads(run.summary) if run.summary else {}
    code = summary.get("exit_code", _EXIT_OF_STATUS.get(run.status))
    reasons = [summary["error"]] if summary.get("error") else []
    reasons += summary.get("left_out") or []
    if run.status == "interrupted":
        reasons.append("ended without recording its end (killed, or the machine stopped)")
    counts = {key: summary.get(key, 0) for key in ("pulled", "quarantined", "deleted",
              "findings", "kpi_rows", "written", "unchanged")}  # fmt: skip
    counts["failed"] = len(summary.get("failed") or [])
    counts["excluded"] = sum(int(e.get("count", 0)) for e in summary.get("excluded") or [])
    return {
        "run_id": run.run_id, "command": run.command, "outcome": run.status,
        "exit_code": code, "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at), "stage": summary.get("stage"),
        "reasons": reasons, "counts": counts, "api_calls": summary.get("api_calls", {}),
        "stage_seconds": summary.get("stage_seconds", {}),
        "sources": summary.get("sources", {}),
    }  # fmt: skip


def _iso(value: dt.datetime | None) -> str | None:
    return value.replace(tzinfo=dt.UTC).isoformat() if value else None


@dataclass(frozen=True)
class Health:
    """What `status --check` found: its exit code and one line saying why."""

    code: int
    line: str
    stale_hours: float | None
    last: RunRecord | None


def health(view: RunsView, max_age_hours: float) -> Health:
    """Whether the last run that ended finished, and a run finished within
    `max_age_hours`."""
    runs = [r for r in view.runs if r.status != "running"]
    if not runs:
        return Health(CHECK_CRITICAL, "CRITICAL: no run has ended yet", None, None)
    last = runs[0]
    hours = stale_hours(view.stale_since, time.time(), max_age_hours)
    when = f"{last.finished_at or last.started_at:%Y-%m-%d %H:%M} UTC"
    if last.status not in FINISHED:
        why = run_json(last)["reasons"]
        said = f": {why[0]}" if why else ""
        return Health(CHECK_CRITICAL, f"CRITICAL: the last run {last.run_id} {last.status} at "
                      f"{when}{said}", hours, last)  # fmt: skip
    if hours is not None:
        return Health(CHECK_CRITICAL, f"CRITICAL: no run finished for {hours:.1f} hours "
                      f"(more than {max_age_hours:g}); the last ended at {when}", hours,
                      last)  # fmt: skip
    if last.status != "succeeded":
        left = run_json(last)["reasons"]
        return Health(CHECK_WARNING, f"WARNING: the last run {last.run_id} finished at {when} "
                      f"but left something out: {'; '.join(left) or last.status}", None,
                      last)  # fmt: skip
    return Health(CHECK_OK, f"OK: the last run {last.run_id} succeeded at {when}", None, last)


def check(config: Config, max_age_hours: float | None, log: Any) -> Health:
    """`status --check`: the health of the store's runs; a `stale` alert when no run
    finished for too long (and alerts ask for it)."""
    limit = max_age_hours if max_age_hours is not None else (
        config.observability.stale_after_hours)  # fmt: skip
    try:
        view = load_runs(config, 20)
    except CrmKpiError as exc:
        return Health(CHECK_UNKNOWN, f"UNKNOWN: {exc}", None, None)
    found = health(view, limit)
    spell = view.stale_since.isoformat() if view.stale_since else "none"
    if found.stale_hours is not None and config.alerts and _stale_alert_due(config, spell, log):
        failed = send_alerts(config.alerts, config.smtp, _stale_facts(config, found),
                             only=("stale",), log=log,
                             timeout=config.observability.alert_timeout_seconds)  # fmt: skip
        if len(failed) < len(config.alerts):
            _note_stale_alert(config, spell)
    return found


def _stale_alert_path(config: Config) -> Path:
    return config.store.path.with_name(config.store.path.name + ".stale-alert")


def _stale_alert_due(config: Config, spell: str, log: Any) -> bool:
    """A stale spell (since the last success, `spell`) is alerted once, then again every
    `stale_after_hours`: a monitor polling `status --check` every few minutes does not
    page people every few minutes."""
    try:
        sent = json.loads(_stale_alert_path(config).read_text(encoding="utf-8"))
        since, at = sent["since"], float(sent["sent_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return True
    again = at + config.observability.stale_after_hours * 3600
    if since != spell or time.time() >= again:
        return True
    log(f"stale alert already sent at {dt.datetime.fromtimestamp(at, dt.UTC):%Y-%m-%d %H:%M} "
        f"UTC; the next reminder after {dt.datetime.fromtimestamp(again, dt.UTC):%H:%M} UTC")
    return False


def _note_stale_alert(config: Config, spell: str) -> None:
    with suppress(OSError):  # a read-only mount: alert at every check rather than never
        _stale_alert_path(config).write_text(json.dumps(
            {"since": spell, "sent_at": time.time()}), encoding="utf-8")  # fmt: skip


def load_runs(config: Config, limit: int) -> RunsView:
    """The last runs from the store, opened read-only; while a run holds it (DuckDB
    lets no other process in), from the copy that run keeps beside it."""
    try:
        with Store(config.store.path, read_only=True) as store:
            return runs_view(store, limit)
    except LockedError:
        copy = read_runs_copy(runs_copy_path(config.store.path), limit)
        if copy is None:
            raise
        return copy


def _stale_facts(config: Config, found: Health) -> RunFacts:
    last = found.last
    ended = (last.finished_at or last.started_at) if last else None
    at = ended.replace(tzinfo=dt.UTC).timestamp() if ended else time.time()
    code = run_json(last)["exit_code"] if last else None
    return RunFacts(
        run_id=last.run_id if last else "none", command="status --check",
        outcome=last.status if last else "none", exit_code=code if isinstance(code, int) else 2,
        started_at=at, finished_at=at, config_path=str(config.config_path),
        reason=found.line, stale_hours=found.stale_hours,
    )  # fmt: skip


def show_status(config: Config, fmt: str, limit: int, check_only: bool,
                max_age_hours: float | None) -> int:  # fmt: skip
    """`crm-kpi status`: a table, JSON, or (`check_only`) one line and a monitor's code."""
    from rich.console import Console

    from connector.listing import render_runs

    if check_only:
        found = check(config, max_age_hours, lambda line: print(line, file=sys.stderr))
        print(found.line)
        return found.code
    if not config.store.path.exists():
        print("[]" if fmt == "json" else f"no runs yet: {config.store.path} does not exist")
        return EXIT_OK
    view = load_runs(config, limit)
    if view.copied_at is not None:
        print(f"a run holds the store: the runs as of {view.copied_at:%Y-%m-%d %H:%M:%S} "
              f"UTC, from {runs_copy_path(config.store.path)}", file=sys.stderr)  # fmt: skip
    runs = view.runs
    if fmt == "json":
        print(json.dumps([run_json(run) for run in runs], indent=2))
    elif not runs:
        print("no runs yet")
    else:
        render_runs(runs, Console())
    return EXIT_OK


def stored_exclusions(config: Config) -> int:
    """Data the store's last computation left out of the KPIs (deals without a rate),
    said; exit 1 when past `observability.excluded_share`, as the run's own outcome."""
    if not config.store.path.is_file():
        return EXIT_OK
    try:
        with Store(config.store.path, read_only=True) as store:
            found = rate_exclusions(store)
    except CrmKpiError:  # a store a run holds right now: the run will say it
        return EXIT_OK
    for exclusion in found:
        print(f"excluded: {exclusion.sentence()}; {exclusion.fix}")
    settings = config.observability
    if over_threshold(found, settings.excluded_share, settings.excluded_min_records):
        return EXIT_PARTIAL
    return EXIT_OK
