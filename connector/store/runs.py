"""The run log: one row per `crm-kpi run`, its status and summary (`crm-kpi status`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.store.db import Store

KEPT_IN_COPY = 50
"""Runs the copy beside the store keeps (status reads it while a run holds the store)."""


@dataclass(frozen=True)
class RunRecord:
    """One run as the `runs` table keeps it."""

    run_id: str
    command: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    summary: str | None


def start_run(store: Store, run_id: str, command: str) -> None:
    """Record a run as running; runs left running by a dead process become interrupted."""
    store.con.execute(
        "UPDATE runs SET status = 'interrupted', finished_at = now() WHERE status = 'running'"
    )
    store.con.execute(
        "INSERT INTO runs VALUES (?, ?, now(), NULL, 'running', NULL)", [run_id, command]
    )


def finish_run(store: Store, run_id: str, status: str, summary: str) -> None:
    """Record how a run ended, with its summary (JSON)."""
    store.con.execute(
        "UPDATE runs SET status = ?, finished_at = now(), summary = ? WHERE run_id = ?",
        [status, summary, run_id],
    )


def recent_runs(store: Store, limit: int = 10) -> list[RunRecord]:
    """The last runs, newest first."""
    rows = store.con.execute(
        "SELECT run_id, command, started_at, finished_at, status, summary FROM runs "
        "ORDER BY started_at DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [RunRecord(*row) for row in rows]


FINISHED = ("succeeded", "partial", "finished with failures")
"""The statuses of runs a scheduler counts as done (exit 0 or 1)."""


def last_success(store: Store) -> dt.datetime | None:
    """When the last run that finished (succeeded or partial) ended, or None."""
    found = store.scalar(
        "SELECT max(finished_at) FROM runs WHERE list_contains(?, status)", [list(FINISHED)]
    )
    return found if isinstance(found, dt.datetime) else None


def stale_since(store: Store, success: dt.datetime | None = None) -> dt.datetime | None:
    """Since when no run has finished: the last success (`success`, when the caller has
    read it already), else the first run's start (None when the store has no runs)."""
    found = success if success is not None else last_success(store)
    if found is not None:
        return found
    first = store.scalar("SELECT min(started_at) FROM runs")
    return first if isinstance(first, dt.datetime) else None


@dataclass(frozen=True)
class RunsView:
    """The last runs, newest first, and since when none finished: from the store, or
    from the copy each run keeps beside it (`copied_at` then says as of when)."""

    runs: list[RunRecord]
    stale_since: dt.datetime | None
    last_success: dt.datetime | None
    copied_at: dt.datetime | None = None


def runs_view(store: Store, limit: int) -> RunsView:
    """The store's last `limit` runs."""
    success = last_success(store)
    return RunsView(recent_runs(store, limit), stale_since(store, success), success)


def runs_copy_path(store_path: Path) -> Path:
    """The copy of the run log beside the store: DuckDB lets no other process open a
    store a run holds, so `status` (and a monitor's `status --check`) read this then."""
    return store_path.with_name(store_path.name + ".runs.json")


def write_runs_copy(store: Store, path: Path) -> None:
    """Write the last runs to `path` whole (temp file and rename), owner-only."""
    view = runs_view(store, KEPT_IN_COPY)
    body = {
        "copied_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
        "stale_since": view.stale_since.isoformat() if view.stale_since else None,
        "last_success": view.last_success.isoformat() if view.last_success else None,
        "runs": [{"run_id": r.run_id, "command": r.command,
                  "started_at": r.started_at.isoformat(),
                  "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                  "status": r.status, "summary": r.summary} for r in view.runs],
    }  # fmt: skip
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def read_runs_copy(path: Path, limit: int) -> RunsView | None:
    """The runs as the copy at `path` has them; None when there is none to read."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        runs = [RunRecord(r["run_id"], r["command"], _time(r["started_at"]),
                          _time(r["finished_at"]), r["status"], r["summary"])
                for r in body["runs"][:limit]]  # fmt: skip
        return RunsView(runs, _time(body["stale_since"]), _time(body["last_success"]),
                        _time(body["copied_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _time(value: Any) -> Any:
    return dt.datetime.fromisoformat(value) if value else None
