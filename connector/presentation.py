"""How KPI results read where people look, CRM-neutrally: what a field holds (`Slot`:
a KPI's value, target, attainment or pace), the figures of one account, and the words
around them (labels, help texts, the basis a KPI was computed on).

Everything derives from the KPI registry (`connector.kpis`) and the KPI settings; a
CRM's `fields.py` adds only how its own field types show a unit. No list of KPI names,
units or labels lives anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

from connector.kpis import ATTAINMENT_UNIT, BREAKDOWN_VALUES, Kpi, Unit, get_kpi
from connector.schema import PeriodType
from connector.settings import KpiSettings

Part = Literal["value", "target", "attainment", "pace"]
PARTS: tuple[Part, ...] = get_args(Part)
FigureUnit = Literal["money", "ratio", "days", "score", "multiple", "date", "datetime"]
"""What a field holds: a KPI unit, a date, or an instant (`datetime`: an "as of")."""

MANAGED = "Managed by crm-kpi"
"""Starts the description of every field a writer creates: how it knows its own fields."""
ATTAINMENT_DECIMALS = 1
"""Decimals of the percentage an attainment or pace shows (103.5 %)."""

_PART_WORDS: dict[Part, str] = {"value": "", "target": " target", "attainment": " attainment",
                                "pace": " pace"}  # fmt: skip
_PART_HELP: dict[Part, str] = {
    "value": "",
    "target": "Target of the period for this scope.",
    "attainment": "Actual against target: 100 % is on target, more is better (for a "
    "lower-is-better KPI, target ÷ actual). Empty when there is no target.",
    "pace": "",  # pace_help: it says when pace starts, from the settings
}
AS_OF_HELP = (
    "When crm-kpi computed these figures. While the period runs, every nightly run "
    "refreshes it: an old time means the latest runs did not finish. Once the period is "
    "over, it is the run that last changed a figure, at the earliest the first run after "
    "the period ended."
)


@dataclass(frozen=True)
class Wording:
    """What the words around a value depend on: the reporting currency (of money
    fields) and the KPI settings (the basis each KPI was computed on)."""

    currency: str
    settings: KpiSettings = field(default_factory=KpiSettings)


@dataclass(frozen=True)
class Slot:
    """What one field holds: a part of a KPI — for a KPI split by a breakdown (KPI 7),
    of one value of that breakdown."""

    kpi: Kpi
    part: Part
    breakdown: str | None = None

    @property
    def unit(self) -> Unit:
        """A value and a target are in the KPI's unit; attainment and pace are ratios."""
        return self.kpi.unit if self.part in ("value", "target") else ATTAINMENT_UNIT

    @property
    def decimals(self) -> int:
        """Decimals shown (of the percentage, for a ratio)."""
        return self.kpi.decimals if self.part in ("value", "target") else ATTAINMENT_DECIMALS

    @property
    def breakdown_type(self) -> str | None:
        """The breakdown type of the rows this slot reads (None: whole-scope rows)."""
        return self.kpi.split_by if self.breakdown is not None else None

    @property
    def key(self) -> str:
        """``total_revenue.value``, ``sales_by_contact_method[phone].target``."""
        which = f"[{self.breakdown}]" if self.breakdown else ""
        return f"{self.kpi.key}{which}.{self.part}"


@dataclass(frozen=True)
class RecordColumn:
    """What a KPI record says about itself: one column of its period and scope."""

    key: str
    label: str
    help: str
    date: bool = False
    instant: bool = False
    """An instant (a CRM DateTime / datetime field), not a date: the "as of"."""


PERIOD_STATUSES = ("in progress", "closed", "not started")
"""What `period_status` says of a KPI record's period on the day it was computed."""

AS_OF = "as_of"
"""The record column (and rep field) saying when the figures were computed."""

RECORD_COLUMNS: tuple[RecordColumn, ...] = (
    RecordColumn("name", "Name", "The scope and the period: Kira Lee · Nov 2026."),
    RecordColumn("period_type", "Period type", "month, quarter or year."),
    RecordColumn("period", "Period", "2026-11, 2026-Q3 or 2026 (fiscal quarters and years "
                 "are named after the year they start in)."),
    RecordColumn("period_start", "Period start", "First day of the period.", date=True),
    RecordColumn("period_end", "Period end", "Last day of the period.", date=True),
    RecordColumn("scope_type", "Scope type", "company, team, owner (a rep) or territory."),
    RecordColumn("scope_id", "Scope id", "The rep's id in the CRM, the team or territory "
                 "name; empty for the company."),
    RecordColumn("scope_name", "Scope", "The rep's name, the team or territory, or Company."),
    RecordColumn("period_status", "Period status", "in progress while the period runs (its "
                 "figures so far), then closed."),
    RecordColumn("pace_note", "Pace note", "Why the period in progress has no pace yet: too "
                 "early in the period, or too few deals won; empty once pace is given."),
    RecordColumn(AS_OF, "As of", AS_OF_HELP, instant=True),
)  # fmt: skip
REP_AS_OF = RecordColumn(AS_OF, "KPIs as of", "When crm-kpi computed this rep's figures of "
                         "the current period; every nightly run refreshes it, so an old time "
                         "means the latest runs did not finish.", instant=True)  # fmt: skip
"""The field beside a rep's own current figures (a User field) saying when they were
computed."""


@dataclass(frozen=True)
class Figure:
    """A figure about one account, from its own records (not a KPI of a scope)."""

    key: str
    unit: FigureUnit
    label: str
    definition: str
    decimals: int = 0


ACCOUNT_FIGURES: tuple[Figure, ...] = (
    Figure("revenue_this_year", "money", "Revenue this year",
           "Won revenue of this account with a close date in the current fiscal year, "
           "in the reporting currency."),
    Figure("revenue_last_12_months", "money", "Revenue, last 12 months",
           "Won revenue of this account with a close date in the 12 months up to today, "
           "in the reporting currency."),
    Figure("last_nps_score", "score", "Last NPS score",
           "Score (0 to 10) of this account's latest survey response."),
    Figure("customer_since", "date", "Customer since",
           "Close date of this account's first won deal."),
    Figure("churned_on", "date", "Churned on",
           "The day this account stopped being a customer (its churn date, or the day it "
           "had gone the set number of days without a won deal); empty while it is a "
           "customer."),
)  # fmt: skip
FIGURE_KEYS: tuple[str, ...] = tuple(f.key for f in ACCOUNT_FIGURES)
_FIGURES = {f.key: f for f in ACCOUNT_FIGURES}


def get_figure(key: str) -> Figure:
    """The account figure with this key; KeyError naming the known keys if there is none."""
    try:
        return _FIGURES[key]
    except KeyError:
        raise KeyError(f"unknown account figure {key!r}; known: {', '.join(FIGURE_KEYS)}") from None


def parts_of(kpi: Kpi) -> tuple[Part, ...]:
    """A KPI's value, target and attainment, and its pace when it accumulates over the
    period (revenue): a ratio, an average or a score has none (the engine's pace is NULL)."""
    return PARTS if kpi.accumulates else tuple(p for p in PARTS if p != "pace")


def kpi_slots(kpis: Iterable[str]) -> list[Slot]:
    """The slots of the KPIs, registry order within each KPI's breakdown values: one per
    part, and for a split KPI one per part and breakdown value."""
    slots: list[Slot] = []
    for key in kpis:
        kpi = get_kpi(key)
        values = BREAKDOWN_VALUES[kpi.split_by] if kpi.split_by else (None,)
        slots += [Slot(kpi, part, value) for value in values for part in parts_of(kpi)]
    return slots


def _words(text: str) -> str:
    return text.replace("_", " ")


def _names(kpi: Kpi, breakdown: str | None) -> list[str]:
    """The ways to name a KPI (of one breakdown value), longest first."""
    if breakdown is None:
        return [kpi.label, kpi.short_label]
    value = _words(breakdown)
    by = _words(kpi.split_by or "")
    return [f"{kpi.label} · {value}", f"{kpi.short_label} · {value}", f"By {by}: {value}"]


def slot_label(slot: Slot, period: PeriodType | None = None, limit: int | None = None) -> str:
    """Labels like "Closing ratio", "Closing ratio target (month)", "Sales by contact method ·
    phone pace". The name is the registry's label, else its short label, else (for a
    breakdown) "By contact method: phone": the first form in which every part and
    breakdown value of the KPI fits `limit` characters, so the fields of a KPI read alike."""
    period_words = f" ({period})" if period else ""
    suffix = _PART_WORDS[slot.part] + period_words
    longest = max(len(w) for w in _PART_WORDS.values()) + len(period_words)
    values = BREAKDOWN_VALUES[slot.kpi.split_by] if slot.breakdown and slot.kpi.split_by else ()
    every = [_names(slot.kpi, v) for v in values] or [_names(slot.kpi, None)]
    form = next(
        (i for i in range(len(every[0]))
         if limit is None or all(len(names[i]) + longest <= limit for names in every)),
        len(every[0]) - 1,
    )  # fmt: skip
    label = _names(slot.kpi, slot.breakdown)[form] + suffix
    if limit is not None and len(label) > limit:  # nothing fits: cut at a word
        label = label[: limit + 1].rsplit(" ", 1)[0]
    return label


def slot_help(slot: Slot, wording: Wording, period: PeriodType | None = None) -> str:
    """The registry's one-line definition, what the part means, the currency of money,
    the basis in use, and for a current-period field which period it holds."""
    text = [slot.kpi.definition]
    if slot.breakdown is not None:
        text.append(f"This field: {_words(slot.breakdown_type or '')} {_words(slot.breakdown)}.")
    text.append(pace_help(wording.settings) if slot.part == "pace" else _PART_HELP[slot.part])
    if slot.unit == "money":
        text.append(f"In {wording.currency}.")
    note = basis_note(slot.kpi.key, wording.settings)
    if note:
        text.append(note)
    if period:
        text.append(f"This {period} so far; updated by every crm-kpi run.")
    return " ".join(t for t in text if t)


def figure_help(figure: Figure, wording: Wording) -> str:
    """An account figure's definition, its currency, and when it is updated."""
    money = f" In {wording.currency}." if figure.unit == "money" else ""
    return f"{figure.definition}{money} Updated by every crm-kpi run."


def basis_note(kpi: str, settings: KpiSettings) -> str | None:
    """What the basis in use means, in a rep's words ("Counted over the opportunities
    created in the period: …"), for a KPI whose definition the settings choose (churn,
    closing ratio, growth); None for the others."""
    basis = get_kpi(kpi).basis
    if basis is None:
        return None
    meaning = basis.meaning(str(getattr(settings, basis.setting)))
    return f"{meaning[0].upper()}{meaning[1:]}."


def pace_help(settings: KpiSettings) -> str:
    """What pace is, and from when a period in progress has one, in a rep's words."""
    pace = settings.pace
    deals = f", and once {pace.min_deals} deals are won" if pace.min_deals else ""
    share = f" and {pace.min_share * 100:.0f} % of it" if pace.min_share else ""
    return (
        "For the period in progress: actual against the target pro-rated to the part of "
        "the period gone by; 100 % is on track. Empty for other periods, and until "
        f"{pace.min_days} days{share} have gone by{deals}."
    )


def shown_value(kpi: Kpi, value: float | None, currency: str) -> str:
    """A KPI value as people read it, by the registry's unit and decimals: money with its
    currency, ratios as %, days, NPS with its sign, multiples as x:1; "—" for none."""
    if value is None:
        return "—"
    d = kpi.decimals
    match kpi.unit:
        case "money":
            return f"{value:,.{d}f} {currency}"
        case "days":
            return f"{value:,.{d}f} d"
        case "score":
            return f"{value:+.{d}f}"
        case "multiple":
            return f"{value:.{d}f}:1"
        case "ratio":
            return f"{value * 100:.{d}f} %"


def managed_description(what: str) -> str:
    """The description of a field a writer creates: the marker, then what it holds."""
    return f"{MANAGED}: {what}. Its definition is rewritten by `crm-kpi setup`."


def is_managed(description: str | None) -> bool:
    """Whether a field's description says a crm-kpi writer created (or was handed) it."""
    return bool(description) and MANAGED in str(description)


def natural_key(text: str) -> list[tuple[int, int, str]]:
    """Sort key putting "Rep 2" before "Rep 10"."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text)]
