"""Reading KPI results back out of the store, and showing them to people."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.kpi_keys import KPI_KEYS
from connector.store import Store

MONEY_KPIS = frozenset({"total_revenue", "arpa", "cac", "clv"})
DAY_KPIS = frozenset({"avg_sales_cycle_days"})
SCORE_KPIS = frozenset({"nps"})
MULTIPLE_KPIS = frozenset({"clv_to_cac"})

JSON_KEYS = (
    "kpi", "period", "period_type", "scope_type", "scope_id", "breakdown",
    "value", "target", "attainment", "gap",
)  # fmt: skip


def fetch_results(
    store: Store,
    period: str | None,
    scope_types: Sequence[str],
    *,
    breakdowns: bool = True,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """KPI rows of one period (all periods if None), in KPI and scope order; of one source
    when several are configured, else (None) of all sources together."""
    where = ["scope_type IN (SELECT unnest(?))", "source IS NOT DISTINCT FROM ?"]
    params: list[Any] = [list(scope_types), source]
    if period is not None:
        where.append("period = ?")
        params.append(period)
    if not breakdowns:
        where.append("(breakdown_type IS NULL OR kpi = 'sales_by_contact_method')")
    order = ", ".join(f"'{k}'" for k in KPI_KEYS)
    rows = store.con.execute(
        "SELECT kpi, period, period_type, scope_type, scope_id, breakdown_type, "
        "breakdown_value, value, target, attainment, gap, note FROM kpi_results "
        f"WHERE {' AND '.join(where)} "
        f"ORDER BY period_type, period, list_position([{order}], kpi), "
        "list_position(['company', 'team', 'owner', 'territory'], scope_type), scope_id, "
        "breakdown_type NULLS FIRST, breakdown_value",
        params,
    ).fetchall()
    names = ("kpi", "period", "period_type", "scope_type", "scope_id", "breakdown_type",
             "breakdown_value", "value", "target", "attainment", "gap", "note")  # fmt: skip
    return [dict(zip(names, row, strict=True)) for row in rows]


def as_json(rows: Sequence[dict[str, Any]]) -> str:
    """The JSON array of `crm-kpi compute --format json`."""
    out = []
    for row in rows:
        item = {k: row.get(k) for k in JSON_KEYS if k != "breakdown"}
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
        writer.writerow(
            [breakdown if k == "breakdown" else _csv_value(row.get(k)) for k in JSON_KEYS]
        )
    return buffer.getvalue()


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _csv_value(value: Any) -> str:
    return "" if value is None else str(value)


def format_value(kpi: str, value: float | None, currency: str) -> str:
    """A KPI value as people read it: money with currency, ratios as %, days, NPS."""
    if value is None:
        return "—"
    if kpi in MONEY_KPIS:
        return f"{value:,.0f} {currency}"
    if kpi in DAY_KPIS:
        return f"{value:,.1f} d"
    if kpi in SCORE_KPIS:
        return f"{value:+.0f}"
    if kpi in MULTIPLE_KPIS:
        return f"{value:.1f}:1"
    return f"{value * 100:.1f} %"


def render_table(rows: Sequence[dict[str, Any]], currency: str, console: Console) -> None:
    """A rich table that fits 80 columns; KPIs under target are marked."""
    periods = sorted({str(row["period"]) for row in rows})
    table = Table(
        title=f"KPIs for {', '.join(periods) or 'no period'}",
        caption="▼ under target   ▲ on or above target",
        header_style="bold",
    )
    table.add_column("KPI", no_wrap=True, max_width=23)
    table.add_column("Scope", no_wrap=True, min_width=7, max_width=18)
    table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Target", justify="right", no_wrap=True)
    table.add_column("Attainment", no_wrap=True)
    for row in rows:
        kpi = (
            row["kpi"] if not row["breakdown_type"] else f"{row['kpi']} · {row['breakdown_value']}"
        )
        scope = (
            row["scope_type"]
            if row["scope_id"] is None
            else f"{row['scope_type']}:{row['scope_id']}"
        )
        target = row["target"]
        table.add_row(
            kpi,
            scope,
            format_value(row["kpi"], row["value"], currency),
            format_value(row["kpi"], target, currency) if target is not None else "",
            _attainment(row["attainment"], target),
        )
    console.print(table)


def _attainment(attainment: float | None, target: float | None) -> str:
    if attainment is None:
        return "" if target is None else "n/a"
    if attainment < 1:
        return f"[red]▼ {attainment * 100:.0f} %[/red]"
    return f"[green]▲ {attainment * 100:.0f} %[/green]"
