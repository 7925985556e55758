"""What the store kept about runs and data, for people: `crm-kpi problems` and
`crm-kpi status` as tables (wrapping, never cutting a value), JSON or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from connector.store.problems import Quarantined
from connector.store.runs import RunRecord

PROBLEM_KEYS = ("kind", "source", "entity", "origin", "line", "record_id", "field", "value",
                "reason", "at")  # fmt: skip


def _problem_values(row: Quarantined) -> list[object]:
    values = [getattr(row, key) for key in PROBLEM_KEYS]
    return [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]


def problems_json(rows: Sequence[Quarantined]) -> str:
    """The JSON array of `crm-kpi problems --format json`."""
    return json.dumps([dict(zip(PROBLEM_KEYS, _problem_values(r), strict=True)) for r in rows],
                      indent=2)  # fmt: skip


def problems_csv(rows: Sequence[Quarantined]) -> str:
    """One CSV row per problem, a column per JSON key."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PROBLEM_KEYS)
    writer.writerows([["" if v is None else v for v in _problem_values(r)] for r in rows])
    return buffer.getvalue()


def render_problems(
    rows: Sequence[Quarantined], console: Console, *, truncated: bool = False
) -> None:
    """Quarantined rows, then findings, each kind its own table; `truncated`: more were
    left out. Four columns, so that a narrow terminal wraps them rather than cuts."""
    titles = {"quarantined": "Quarantined rows: not loaded", "finding": "Findings: loaded, "
              "worth a look"}  # fmt: skip
    for kind, title in titles.items():
        chosen = [row for row in rows if row.kind == kind]
        if not chosen:
            continue
        table = Table(header_style="bold", title=title, show_lines=True)
        # A file:line folded in two reads as another line (survey_responses.csv:6 / 2):
        # the column is as wide as the longest (up to 40 characters). A fixed width, as
        # rich crops a table whose columns have a minimum width rather than wrap it.
        table.add_column("Where\nsource · entity · record", overflow="fold",
                         width=min(40, max(len(row.where) for row in chosen)))  # fmt: skip
        table.add_column("Field", overflow="fold")
        table.add_column("Value", overflow="fold")
        table.add_column("Why", overflow="fold", ratio=2)
        for row in chosen:
            record = f" · {row.record_id}" if row.record_id else ""
            table.add_row(f"{row.where}\n{row.source} · {row.entity}{record}", row.field or "",
                          "" if row.value is None else repr(row.value), row.reason)  # fmt: skip
        console.print(table)
    if truncated:
        console.print(f"only the first {len(rows):,} are shown: --limit 0 shows all, "
                      "--format csv writes them all")  # fmt: skip


def render_runs(runs: Sequence[RunRecord], console: Console) -> None:
    """The last runs, newest first: when, how long, how each ended and what it did, or why
    it failed. Each id keeps its line (`problems --run` takes it); the rest wraps, so that
    nothing is cut on a narrow terminal."""
    table = Table(header_style="bold", title="Runs, newest first", show_lines=True)
    table.add_column("Run, started (UTC)\ncommand", no_wrap=True, overflow="fold")
    table.add_column("Status\ntook", overflow="fold")
    table.add_column("What it did, or why it failed", overflow="fold")
    for run in runs:
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        took = "" if seconds is None else f"\n{seconds:.1f} s"
        failed = run.status in ("failed", "interrupted", "stopped")
        table.add_row(f"{run.run_id}\n{run.started_at:%Y-%m-%d %H:%M}\n{run.command}",
                      f"{run.status}{took}", run_outcome(run),
                      style="red" if failed else None)  # fmt: skip
    console.print(table)


def run_outcome(run: RunRecord) -> str:
    """One line: why a run failed, or what it did."""
    summary = json.loads(run.summary) if run.summary else {}
    if run.status == "interrupted":
        return "ended without recording its end (killed, or the machine stopped)"
    if run.status == "running":
        return "still running (or ended without recording it: the next run will say)"
    if summary.get("error"):
        return str(summary["error"])
    parts = [("pulled", "pulled"), ("quarantined", "quarantined"), ("findings", "findings"),
             ("kpi_rows", "KPI rows"), ("written", "written")]  # fmt: skip
    said = [f"{label} {int(summary.get(key) or 0):,}" for key, label in parts]
    failed = summary.get("failed") or []
    if failed:
        said.append(f"failed {len(failed):,} (first: {failed[0]})")
    return ", ".join(said)
