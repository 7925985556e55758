"""Reading KPI results back out of the store, and showing them to people."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.kpi.periods import period_of
from connector.kpis import KPI_KEYS, KPIS, get_kpi
from connector.presentation import natural_key, shown_value
from connector.store import Store
from connector.store.db import ident
from connector.store.results import results_sql
from connector.store.scopes import OWNER_NAMES_SQL, scope_name_sql

JSON_KEYS = (
    "kpi", "period", "period_type", "scope_type", "scope_id", "scope_name", "breakdown",
    "value", "target", "attainment", "gap", "pace", "note", "period_status", "as_of",
)  # fmt: skip
"""`period_status`: in progress (figures so far), closed or not started when computed;
`as_of`: when they were computed, ISO 8601 in UTC."""
SCOPE_ORDER = ("company", "team", "owner", "territory")
# KPIs whose values exist only per breakdown: their breakdown rows are their values.
_SPLIT_KPIS = [k.key for k in KPIS if k.split_by is not None]
_KPI_POSITION = {key: i for i, key in enumerate(KPI_KEYS)}


def latest_won_quarter(store: Store, fiscal_start_month: int) -> str | None:
    """The quarter of the most recent won deal (None before any win)."""
    last_win = store.latest_won_close_date()
    return period_of(last_win, "quarter", fiscal_start_month).key if last_win else None


def fetch_results(
    store: Store,
    period: str | None,
    scope_types: Sequence[str],
    *,
    breakdowns: bool = True,
    source: str | None = None,
    table: str = "kpi_results",
) -> list[dict[str, Any]]:
    """KPI rows of one period (all periods if None), in KPI and scope order, each with its
    scope's name; of one source when several are configured, else (None) of all sources
    together. `table` is kpi_results (what is stored) or kpi_computed (what this
    connection computed)."""
    results = f"({results_sql(store)})" if table == "kpi_results" else ident(table)
    where = ["scope_type IN (SELECT unnest($scopes))", "source IS NOT DISTINCT FROM $source"]
    params: dict[str, object] = {"scopes": list(scope_types), "source": source}
    if period is not None:
        where.append("period = $period")
        params["period"] = period
    if not breakdowns:
        where.append("(breakdown_type IS NULL OR kpi IN (SELECT unnest($split)))")
        params["split"] = _SPLIT_KPIS
    rows = store.fetch_dicts(
        f"WITH named AS ({OWNER_NAMES_SQL}) "
        "SELECT kpi, period, period_type, scope_type, scope_id, "
        f"{scope_name_sql('r', 'n.name')} AS scope_name, breakdown_type, breakdown_value, "
        "value, target, attainment, gap, pace, note, period_status, computed_at "
        f"FROM {results} r "
        "LEFT JOIN named n ON r.scope_type = 'owner' AND n.key = r.scope_id "
        f"WHERE {' AND '.join(where)} ORDER BY breakdown_type NULLS FIRST, breakdown_value",
        params,
    )
    # The sort is stable: each scope's breakdowns keep the query's order.
    return sorted(rows, key=_people_order)


def _people_order(row: dict[str, Any]) -> tuple[Any, ...]:
    """Period, KPI as the registry lists them, then company, teams, reps, territories,
    each by name as people sort it ("Rep 2" before "Rep 10")."""
    return (
        row["period_type"], row["period"], _KPI_POSITION.get(row["kpi"], len(KPI_KEYS)),
        SCOPE_ORDER.index(row["scope_type"]), natural_key(row["scope_name"]),
        row["scope_id"] or "",
    )  # fmt: skip


def as_of(row: Mapping[str, Any]) -> str | None:
    """When a row was computed, ISO 8601 with its UTC offset (the store keeps UTC)."""
    moment = row.get("computed_at")
    if not isinstance(moment, dt.datetime):
        return None
    return moment.replace(tzinfo=dt.UTC, microsecond=0).isoformat()


def as_json(rows: Sequence[dict[str, Any]]) -> str:
    """The JSON array of `crm-kpi compute --format json`."""
    out = []
    for row in rows:
        item = {k: row.get(k) for k in JSON_KEYS if k not in ("breakdown", "as_of")}
        item["as_of"] = as_of(row)
        item["breakdown"] = (
            {row["breakdown_type"]: row["breakdown_value"]} if row["breakdown_type"] else None
        )
        out.append({k: _clean(item[k]) for k in JSON_KEYS})
    return json.dumps(out, indent=2)


def as_csv(rows: Sequence[dict[str, Any]]) -> str:
    """CSV with one column per JSON key (breakdown as `type=value`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(JSON_KEYS)
    for row in rows:
        breakdown = (
            f"{row['breakdown_type']}={row['breakdown_value']}" if row["breakdown_type"] else ""
        )
        values = {**row, "breakdown": breakdown, "as_of": as_of(row)}
        writer.writerow([_csv_value(values.get(k)) for k in JSON_KEYS])
    return buffer.getvalue()


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _csv_value(value: Any) -> str:
    return "" if value is None else str(value)


def format_value(key: str, value: float | None, currency: str) -> str:
    """A KPI value as people read it (`presentation.shown_value`)."""
    return shown_value(get_kpi(key), value, currency)


def render_table(rows: Sequence[dict[str, Any]], currency: str, console: Console) -> None:
    """A rich table that fits 80 columns; KPIs under target are marked; the notes (why a
    value or target is missing, the churn basis) are numbered beneath it."""
    periods = sorted({str(row["period"]) for row in rows})
    running = any(row.get("period_status") == "in progress" for row in rows)
    with_pace = any(row.get("pace") is not None for row in rows)
    stamps = [s for row in rows if (s := as_of(row))]
    table = Table(
        title=f"KPIs for {', '.join(periods) or 'no period'}"
        + (" (in progress: figures so far)" if running else ""),
        caption="▼ under target   ▲ on or above target"
        + ("   pace: actual against the target pro-rated to date" if with_pace else "")
        + (f"\ncomputed {_shown_moment(max(stamps))}" if stamps else ""),
        header_style="bold",
    )
    # Narrow terminals wrap cells (fold) rather than cut a label or a figure short.
    table.add_column("KPI", overflow="fold")
    table.add_column("Scope", overflow="fold", min_width=7)
    table.add_column("Value", justify="right", overflow="fold")
    table.add_column("Target", justify="right", overflow="fold")
    table.add_column("Attainment", overflow="fold")
    if with_pace:
        table.add_column("Pace", overflow="fold")
    table.add_column("Note", justify="right", overflow="fold")
    notes: dict[str, int] = {}
    shared = _shared_names(rows)
    for row in rows:
        kpi = (
            row["kpi"] if not row["breakdown_type"] else f"{row['kpi']} · {row['breakdown_value']}"
        )
        target = row["target"]
        cells = [
            kpi,
            shown_scope(row, shared),
            format_value(row["kpi"], row["value"], currency),
            format_value(row["kpi"], target, currency) if target is not None else "",
            _attainment(row["attainment"], target),
        ]
        if with_pace:
            pace = row.get("pace")
            cells.append("" if pace is None else _marked(pace))
        note = row.get("note")
        cells.append(str(notes.setdefault(note, len(notes) + 1)) if note else "")
        table.add_row(*cells)
    console.print(table)
    for note, number in notes.items():
        console.print(f"{number:>3}  {note}", highlight=False, markup=False)


def _shown_moment(iso: str) -> str:
    """'2026-12-06 02:13 UTC' of an ISO 8601 UTC instant."""
    return f"{dt.datetime.fromisoformat(iso):%Y-%m-%d %H:%M} UTC"


def shown_scope(row: Mapping[str, Any], shared: set[str]) -> str:
    """The scope as the table shows it: its name, and for a rep whose name another rep
    in the table also has, the owner id that tells them apart."""
    name = str(row["scope_name"])
    return f"{name} ({row['scope_id']})" if name in shared else name


def _shared_names(rows: Iterable[Mapping[str, Any]]) -> set[str]:
    ids: dict[str, set[str]] = {}
    for row in rows:
        if row["scope_type"] == "owner":
            ids.setdefault(str(row["scope_name"]), set()).add(str(row["scope_id"]))
    return {name for name, owners in ids.items() if len(owners) > 1}


def _attainment(attainment: float | None, target: float | None) -> str:
    if attainment is None:
        return "" if target is None else "n/a"
    return _marked(attainment)


def _marked(attainment: float) -> str:
    if attainment < 1:
        return f"[red]▼ {attainment * 100:.0f} %[/red]"
    return f"[green]▲ {attainment * 100:.0f} %[/green]"
