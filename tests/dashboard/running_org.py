"""The dashboard of an org on 6 December, in Los Angeles: December in progress (day 6 of
31), monthly quotas for the reps and the company only, an integration user who owns the
campaigns (costs, no figure), a rep who left with figures and one without, and a month
whose CLV : CAC reads 800:1 (one big account over a tiny acquisition cost)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from connector.dashboard import render_html
from connector.dashboard.payload import Meta, build_payload, stale_note
from connector.kpi.engine import RESULTS_DDL
from connector.kpis import KPIS
from connector.presentation import basis_note, pace_help
from connector.settings import KpiSettings
from connector.store import Store

COMPUTED = dt.datetime(2026, 12, 6, 15, 13)  # 07:13 in Los Angeles
MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
CLV_TO_CAC = [3.1, 2.8, 800.0, 3.4, 2.9, 3.0]
OWNERS = [  # id, name, team, active
    ("005K", "Kira Lee", "West", True), ("005R", "Ravi Shah", "West", True),
    ("005I", "Integration User", None, True), ("005O", "Old Rep", "West", False),
    ("005Q", "Quiet Rep", "West", False),
]  # fmt: skip
# Company figures of an ordinary month, by KPI (revenue and CLV : CAC vary below).
TYPICAL = {
    "gross_margin": 0.62, "sales_growth": 0.04, "lead_to_opportunity": 0.27,
    "closing_ratio": 0.31, "lead_to_sale": 0.09, "avg_sales_cycle_days": 48.0,
    "arpa": 21000.0, "cac": 7000.0, "clv": 21000.0, "retention_rate": 0.96,
    "churn_rate": 0.04, "nps": 31.0,
}  # fmt: skip
NOTES = {
    "total_revenue": "pace from day 8 of the month (today is day 6)",
    "sales_growth": "so far: the first 6 days of this month against the same days of the "
    "month before",
}
_COLUMNS = ("kpi, period_type, period, period_start, period_end, scope_type, scope_id, "
            "breakdown_type, breakdown_value, value, numerator, denominator, target, "
            "attainment, note, computed_at, period_status")  # fmt: skip


def _span(period: str) -> tuple[str, dt.date, dt.date]:
    if "-Q" in period:
        start = dt.date(int(period[:4]), 3 * int(period[-1]) - 2, 1)
        kind, months = "quarter", 3
    else:
        start = dt.date(int(period[:4]), int(period[5:7]), 1)
        kind, months = "month", 1
    index = start.month - 1 + months
    return kind, start, dt.date(start.year + index // 12, index % 12 + 1, 1)


def _row(store: Store, kpi: str, period: str, value: float | None, **extra: Any) -> None:
    kind, start, end = _span(period)
    target = extra.get("target")
    attainment = value / target if value is not None and target else None
    status = "in progress" if end > dt.date(2026, 12, 6) else "closed"
    breakdown = extra.get("breakdown", (None, None))
    scope = extra.get("scope", ("company", None))
    store.execute(
        f"INSERT INTO kpi_results ({_COLUMNS}) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [kpi, kind, period, start, end, *scope, *breakdown, value, *extra.get("counts", (None,
         None)), target, attainment, extra.get("note"), COMPUTED, status],
    )  # fmt: skip


def _company(store: Store) -> None:
    for i, month in enumerate(MONTHS):
        running = month == MONTHS[-1]
        _row(store, "total_revenue", month, 30000.0 if running else 160000.0 + 9000 * i,
             target=150000.0, note=NOTES["total_revenue"] if running else None)  # fmt: skip
        _row(store, "clv_to_cac", month, CLV_TO_CAC[i], target=3.0)
        for kpi, value in TYPICAL.items():
            note = NOTES.get(kpi) if running else None
            _row(store, kpi, month, value * (1 + 0.03 * i), note=note)
        _row(store, "sales_by_contact_method", month, 0.12, breakdown=("contact_method", "phone"),
             counts=(6, 50))  # fmt: skip
    for quarter in ("2026-Q3", "2026-Q4"):  # no quarterly target anywhere
        _row(store, "total_revenue", quarter, 450000.0)


def _reps(store: Store) -> None:
    for month in MONTHS:
        for rep, value in (("005K", 52000.0), ("005R", 41000.0)):
            _row(store, "total_revenue", month, value, target=50000.0, scope=("owner", rep))
        _row(store, "total_revenue", month, 9000.0, scope=("owner", "005O"))  # left, figures
        _row(store, "total_revenue", month, 0.0, scope=("owner", "005Q"))  # left, none
        _row(store, "cac", month, None, counts=(1200.0, 0.0), scope=("owner", "005I"))
    for quarter in ("2026-Q3", "2026-Q4"):
        _row(store, "total_revenue", quarter, 150000.0, scope=("owner", "005K"))


def running_page(path: Path) -> Path:
    """Write the page of this org to `path`."""
    settings = KpiSettings()
    bases = {k.key: note for k in KPIS if (note := basis_note(k.key, settings))}
    meta = Meta(title="Sales KPIs", source="sf (salesforce)", config="config.yaml",
                currency="USD", bases=bases, timezone="America/Los_Angeles",
                pace_help=pace_help(settings))  # fmt: skip
    path.with_suffix(".duckdb").unlink(missing_ok=True)
    with Store(path.with_suffix(".duckdb")) as store:
        store.execute(RESULTS_DDL)
        for owner, name, team, active in OWNERS:
            store.execute("INSERT INTO owners (source, id, is_deleted, name, team, active) "
                          "VALUES ('sf', ?, false, ?, ?, ?)", [owner, name, team, active])
        _company(store)
        _reps(store)
        payload = build_payload(store, meta)
    # as the page would read had the nightly runs failed since
    computed = COMPUTED.replace(tzinfo=dt.UTC)
    payload["meta"]["stale"] = stale_note(computed, computed + dt.timedelta(days=3),
                                          meta.timezone)  # fmt: skip
    path.write_text(render_html(payload), encoding="utf-8")
    return path
