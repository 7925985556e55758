"""The run log: one row per `crm-kpi run`, its status and summary (`crm-kpi status`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connector.store.db import Store


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


def stale_since(store: Store) -> dt.datetime | None:
    """Since when no run has finished: the last success, else the first run's start
    (None when the store has no runs)."""
    found = last_success(store)
    if found is not None:
        return found
    first = store.scalar("SELECT min(started_at) FROM runs")
    return first if isinstance(first, dt.datetime) else None
