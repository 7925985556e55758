"""The dashboard's data: kpi_results read into a compact JSON-ready payload.

Series are columnar and aligned with the period lists (`periods[type][i]` is the period
of `series[scope][kpi][type]["v"][i]`), so the page carries each period key once.
Scopes are "company" and "team:<name>"; the heat map holds owner attainments.
Only the results of all sources together are shown (`source` NULL): with several CRMs,
those are the merged KPIs, where an owner scope is the rep's e-mail. Reps are the active
ones with data (a figure or a target): never an integration user or a rep who left.
The page opens on the latest period with revenue and a rep's target (else any target),
and says when its figures were computed, in the org's time zone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from connector.kpi.periods import PERIOD_TYPES
from connector.kpis import KPIS, Unit, get_kpi
from connector.presentation import natural_key
from connector.schema import CONTACT_METHODS
from connector.store import Store
from connector.store.results import results_sql
from connector.store.scopes import OWNER_NAMES_SQL

Json = dict[str, Any]

# KPIs whose values exist only per breakdown (contact-method rates) have no single
# attainment per rep.
HEAT_KPIS: tuple[str, ...] = tuple(k.key for k in KPIS if k.split_by is None)


@dataclass(frozen=True)
class Meta:
    """What the page says about where its numbers come from; `bases`: the basis each KPI
    whose definition the settings choose was computed on (`presentation.basis_note`)."""

    title: str
    source: str
    config: str
    currency: str
    bases: Mapping[str, str] = field(default_factory=dict)
    timezone: str = "UTC"
    """The org's time zone (`reporting.timezone`): "as of" is said in it."""
    pace_help: str = ""
    """What pace is and from when it is given (`presentation.pace_help`)."""


STALE_AFTER = dt.timedelta(hours=36)
"""Figures older than this when the page is made: a nightly run did not finish since."""

def kpi_unit(key: str) -> Unit:
    """How a KPI is shown: money, days, score (NPS), multiple (x:1) or ratio (as %)."""
    return get_kpi(key).unit


def compact(value: float | None) -> float | int | None:
    """A number rounded for display: whole units from 1000 up, else 4 significant digits."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    if abs(value) >= 1000:
        return round(value)
    if value == 0:
        return 0
    digits = 3 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    return int(rounded) if rounded == int(rounded) and abs(rounded) >= 1 else rounded


def build_payload(store: Store, meta: Meta) -> Json:
    """Everything the page draws, from the kpi_results and owners tables of `store`."""
    _results_view(store)
    periods = _periods(store)
    owners = _owners(store)
    return {
        "meta": _meta(store, meta, dt.datetime.now(dt.UTC)),
        "kpis": {
            k.key: {"label": k.short_label, "unit": k.unit, "higher": k.higher_is_better}
            | ({"basis": meta.bases[k.key]} if k.key in meta.bases else {})
            for k in KPIS
        },
        "periods": periods,
        "spans": _spans(store),
        "defaults": _default_selection(store, periods),
        "teams": _teams(store),
        "owners": owners,
        "series": _series(store, periods),
        "methods": _methods(store, periods),
        "heatKpis": list(HEAT_KPIS),
        "heat": _heat(store, periods, [o["id"] for o in owners]),
        "reps": _reps_by_period(store, periods, [o["id"] for o in owners]),
        "progress": _progress(store, periods, meta.timezone),
        "notes": _notes(store, periods),
    }


def _meta(store: Store, meta: Meta, now: dt.datetime) -> Json:
    computed = store.scalar("SELECT max(computed_at) FROM dashboard_results")
    at = computed.replace(tzinfo=dt.UTC) if isinstance(computed, dt.datetime) else None
    return {
        "title": meta.title,
        "source": meta.source,
        "config": meta.config,
        "currency": meta.currency,
        "computedAt": _utc_text(at) if at else None,
        "asOf": local_text(at, meta.timezone) if at else None,
        "stale": stale_note(at, now, meta.timezone) if at else None,
        "paceHelp": meta.pace_help,
        "generatedAt": _utc_text(now),
    }


def local_text(moment: dt.datetime, timezone: str) -> str:
    """'7 Dec 2026, 03:13 (Europe/Paris)': an instant as the org reads it."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%b %Y, %H:%M} ({timezone})"


def stale_note(computed: dt.datetime, now: dt.datetime, timezone: str) -> str | None:
    """What a reader must know when the figures are older than a night (None if not)."""
    age = now - computed
    if age <= STALE_AFTER:
        return None
    days = age.days or 1
    return (f"These figures were computed {days} day{'s' if days > 1 else ''} before this page "
            f"was made ({local_text(computed, timezone)}): the nightly runs since did not "
            "finish (crm-kpi status says why).")  # fmt: skip


def _utc_text(moment: dt.datetime) -> str:
    """'2026-11-23 13:17 UTC' (naive timestamps in the store are UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _periods(store: Store) -> dict[str, list[str]]:
    rows = store.fetch(
        "SELECT DISTINCT period_type, period FROM dashboard_results ORDER BY period_type, period"
    )
    return {t: [str(p) for pt, p in rows if pt == t] for t in PERIOD_TYPES}


def _results_view(store: Store) -> None:
    """A temporary view of the all-sources results (stores from before `source`: all;
    columns added since an earlier version: NULL). The store is only read."""
    store.execute(
        "CREATE OR REPLACE TEMP VIEW dashboard_results AS "
        f"SELECT * FROM ({results_sql(store)}) WHERE source IS NULL"
    )


# An owner scope id (owner id, or with several sources the e-mail or source:id) of a live,
# active user: a rep who left (inactive in the CRM) is no longer listed.
_ACTIVE_KEYS = """
SELECT id AS key FROM owners WHERE NOT is_deleted AND coalesce(active, true)
UNION SELECT lower(email) FROM owners
      WHERE NOT is_deleted AND coalesce(active, true) AND email IS NOT NULL
UNION SELECT source || ':' || id FROM owners WHERE NOT is_deleted AND coalesce(active, true)
"""
# A rep's row that is data: a figure (not zero) or a target. An integration user who
# owns only campaigns or nothing has none.
_HAS_DATA = (
    "scope_type = 'owner' AND breakdown_type IS NULL "
    "AND ((value IS NOT NULL AND value <> 0) OR target IS NOT NULL)"
)


def _owners(store: Store) -> list[Json]:
    """The active reps with data in some period: owner scope ids (an owner id, or with
    several sources the e-mail or source:id) matched to the live owners' names and teams."""
    rows = store.fetch(
        f"WITH named AS ({OWNER_NAMES_SQL}), active AS ({_ACTIVE_KEYS}) "
        "SELECT s.scope_id, coalesce(n.name, s.scope_id), n.team "
        f"FROM (SELECT DISTINCT scope_id FROM dashboard_results WHERE {_HAS_DATA}) s "
        "JOIN named n ON n.key = s.scope_id JOIN active a ON a.key = s.scope_id",
        {"source": None},
    )
    owners = [{"id": str(i), "name": str(n), "team": t} for i, n, t in rows]
    return sorted(owners, key=lambda o: natural_key(o["name"]))


def _teams(store: Store) -> list[str]:
    rows = store.fetch(
        "SELECT DISTINCT scope_id FROM dashboard_results "
        "WHERE scope_type = 'team' AND scope_id IS NOT NULL"
    )
    return sorted((str(r[0]) for r in rows), key=natural_key)


def _spans(store: Store) -> dict[str, dict[str, list[str]]]:
    """Per quarter and year: [first month, last month] keys, for the monthly revenue chart."""
    rows = store.fetch(
        "SELECT DISTINCT period_type, period, period_start, period_end FROM dashboard_results "
        "WHERE period_type IN ('quarter', 'year') ORDER BY period"
    )
    spans: dict[str, dict[str, list[str]]] = {"quarter": {}, "year": {}}
    for period_type, period, start, end in rows:
        last = end - dt.timedelta(days=1)
        spans[period_type][str(period)] = [f"{start:%Y-%m}", f"{last:%Y-%m}"]
    return spans


def _default_selection(store: Store, periods: dict[str, list[str]]) -> Json:
    """The latest period with revenue in which a rep has a target (the heat map's
    attainments: quotas are often monthly while the company's target is quarterly), a
    quarter before a month or year ending with it; else the latest with a target of any
    scope; else the latest quarter with revenue; else the latest period of any type."""
    revenue = (
        "SELECT period_type, period, period_end FROM dashboard_results WHERE "
        "kpi = 'total_revenue' AND scope_type = 'company' AND breakdown_type IS NULL "
        "AND value > 0 AND isfinite(value)"
    )
    targets = (
        "SELECT period_type, period, bool_or(scope_type = 'owner') AS reps "
        "FROM dashboard_results WHERE target IS NOT NULL GROUP BY ALL"
    )
    rows = store.fetch(
        f"SELECT r.period_type, r.period FROM ({revenue}) r JOIN ({targets}) t "
        "USING (period_type, period) ORDER BY t.reps DESC, r.period_end DESC, "
        "CASE r.period_type WHEN 'quarter' THEN 0 WHEN 'month' THEN 1 ELSE 2 END LIMIT 1"
    )
    if rows:
        return {"periodType": str(rows[0][0]), "period": str(rows[0][1])}
    latest = store.scalar(f"SELECT max(period) FROM ({revenue}) WHERE period_type = 'quarter'")
    if latest is not None:
        return {"periodType": "quarter", "period": str(latest)}
    for period_type in ("quarter", "month", "year"):
        if periods[period_type]:
            return {"periodType": period_type, "period": periods[period_type][-1]}
    return {"periodType": "quarter", "period": None}


def _scope_key(scope_type: str, scope_id: str | None) -> str:
    return "company" if scope_type == "company" else f"team:{scope_id}"


def _index(periods: dict[str, list[str]]) -> dict[tuple[str, str], int]:
    return {(t, p): i for t, keys in periods.items() for i, p in enumerate(keys)}


def _series(store: Store, periods: dict[str, list[str]]) -> dict[str, Json]:
    """series[scope][kpi][period type] = {"v": values, "t": targets, "a": attainments,
    "p": paces (the period in progress: actual against the pro-rated target)}."""
    rows = store.fetch(
        "SELECT scope_type, scope_id, kpi, period_type, period, value, target, attainment, "
        "pace FROM dashboard_results "
        "WHERE breakdown_type IS NULL AND scope_type IN ('company', 'team')"
    )
    index = _index(periods)
    series: dict[str, Json] = {}
    for scope_type, scope_id, kpi, period_type, period, *numbers in rows:
        by_type = series.setdefault(_scope_key(scope_type, scope_id), {}).setdefault(kpi, {})
        if period_type not in by_type:
            size = len(periods[period_type])
            by_type[period_type] = {name: [None] * size for name in _SERIES}
        i = index[(period_type, period)]
        for name, number in zip(_SERIES, numbers, strict=True):
            by_type[period_type][name][i] = compact(number)
    return series


_SERIES = ("v", "t", "a", "p")


def _methods(store: Store, periods: dict[str, list[str]]) -> dict[str, Json]:
    """methods[scope][type][i] = [[method, rate, won, attempts, revenue, target], ...] | None."""
    rows = store.fetch(
        """SELECT r.scope_type, r.scope_id, r.period_type, r.period, r.breakdown_value,
                  r.value, r.numerator, r.denominator, rev.value, r.target
           FROM dashboard_results r LEFT JOIN dashboard_results rev
             ON rev.kpi = 'total_revenue' AND rev.breakdown_type = 'contact_method'
            AND rev.period_type = r.period_type AND rev.period = r.period
            AND rev.scope_type = r.scope_type AND rev.scope_id IS NOT DISTINCT FROM r.scope_id
            AND rev.breakdown_value = r.breakdown_value
           WHERE r.kpi = 'sales_by_contact_method' AND r.breakdown_type = 'contact_method'
             AND r.scope_type IN ('company', 'team')"""
    )
    index = _index(periods)
    order = {m: i for i, m in enumerate(CONTACT_METHODS)}
    cells: dict[tuple[str, str, int], list[list[Any]]] = {}
    for scope_type, scope_id, period_type, period, method, *numbers in rows:
        key = (_scope_key(scope_type, scope_id), period_type, index[(period_type, period)])
        cells.setdefault(key, []).append([method, *(compact(n) for n in numbers)])
    methods: dict[str, Json] = {}
    for (scope, period_type, i), entries in cells.items():
        if not any(e[3] or e[2] for e in entries):
            continue
        by_type = methods.setdefault(scope, {})
        slots = by_type.setdefault(period_type, [None] * len(periods[period_type]))
        slots[i] = sorted(entries, key=lambda e: order.get(e[0], len(order)))
    return methods


def _heat(store: Store, periods: dict[str, list[str]], owner_ids: Sequence[str]) -> Json:
    """heat[period type][i] = {owner id: [attainment per HEAT_KPIS]} (owners with a value)."""
    rows = store.fetch(
        "SELECT period_type, period, scope_id, kpi, attainment FROM dashboard_results "
        "WHERE scope_type = 'owner' AND breakdown_type IS NULL AND attainment IS NOT NULL"
    )
    column = {k: i for i, k in enumerate(HEAT_KPIS)}
    known = set(owner_ids)
    heat: Json = {t: [{} for _ in keys] for t, keys in periods.items()}
    index = _index(periods)
    for period_type, period, owner, kpi, attainment in _known(rows, known, column):
        cells = heat[period_type][index[(period_type, period)]]
        row = cells.setdefault(owner, [None] * len(HEAT_KPIS))
        row[column[kpi]] = round(attainment, 2) if math.isfinite(attainment) else None
    return heat


def _known(
    rows: Iterable[tuple[Any, ...]], owners: set[str], kpis: dict[str, int]
) -> Iterable[tuple[Any, ...]]:
    return (r for r in rows if r[2] in owners and r[3] in kpis)


def _reps_by_period(
    store: Store, periods: dict[str, list[str]], owner_ids: Sequence[str]
) -> dict[str, list[list[int]]]:
    """reps[period type][i] = indexes in `owners` of the reps with data in that period:
    the heat map's rows (a rep without a figure or a target there is not listed)."""
    position = {owner: n for n, owner in enumerate(owner_ids)}
    found: dict[str, list[set[int]]] = {t: [set() for _ in keys] for t, keys in periods.items()}
    index = _index(periods)
    rows = store.fetch(
        f"SELECT DISTINCT period_type, period, scope_id FROM dashboard_results WHERE {_HAS_DATA}"
    )
    for period_type, period, owner in rows:
        if owner in position:
            found[period_type][index[(period_type, period)]].add(position[owner])
    return {t: [sorted(s) for s in sets] for t, sets in found.items()}


def _progress(
    store: Store, periods: dict[str, list[str]], timezone: str
) -> dict[str, list[str | None]]:
    """progress[period type][i] = "day 6 of 31" for a period in progress when computed
    (its figures are so far), None for the others."""
    out: dict[str, list[str | None]] = {t: [None] * len(keys) for t, keys in periods.items()}
    index = _index(periods)
    rows = store.fetch(
        "SELECT period_type, period, period_start, period_end, max(computed_at) "
        "FROM dashboard_results WHERE period_status = 'in progress' "
        "GROUP BY period_type, period, period_start, period_end"
    )
    for period_type, period, start, end, computed in rows:
        if not isinstance(computed, dt.datetime):
            continue
        day = computed.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()
        elapsed = min(max((day - start).days + 1, 1), (end - start).days)
        out[period_type][index[(period_type, period)]] = f"day {elapsed} of {(end - start).days}"
    return out


def _notes(store: Store, periods: dict[str, list[str]]) -> dict[str, Json]:
    """notes[scope][period type][i] = {kpi: note} of the periods in progress: what the
    figures so far are compared with (growth) and from when pace is given."""
    rows = store.fetch(
        "SELECT scope_type, scope_id, period_type, period, kpi, note FROM dashboard_results "
        "WHERE period_status = 'in progress' AND breakdown_type IS NULL AND note IS NOT NULL "
        "AND scope_type IN ('company', 'team')"
    )
    index = _index(periods)
    notes: dict[str, Json] = {}
    for scope_type, scope_id, period_type, period, kpi, note in rows:
        by_type = notes.setdefault(_scope_key(scope_type, scope_id), {})
        cell = by_type.setdefault(period_type, {}).setdefault(
            str(index[(period_type, period)]), {}
        )
        cell[kpi] = note
    return notes
