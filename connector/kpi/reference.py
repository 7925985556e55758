"""docs/kpis.md, rendered from the KPI registry, the settings' defaults and the engine's
own figures on the example org (`connector.kpi.example`): what each KPI means, its
formula, bases, unit, how targets and pace apply, and a worked example.

    python -m connector.kpi.reference > docs/kpis.md

tests/kpi/test_kpi_reference.py fails when the file and this rendering differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from connector.kpi import example
from connector.kpi.example import Figures
from connector.kpis import ADDITIVE_KEYS, BASES, KPIS, Kpi, get_kpi
from connector.presentation import ATTAINMENT_DECIMALS, shown_value
from connector.settings import PaceSettings

_UNITS = {
    "money": "an amount in the reporting currency",
    "ratio": "a fraction, shown as a percentage (0.45 is 45 %)",
    "days": "a number of days",
    "score": "a number on its own scale (NPS: −100 to 100)",
    "multiple": "x in x:1",
}
_BREAKDOWNS = {"customer_type": "new or existing customer", "contact_method": "contact method",
               "product": "product (line items)"}  # fmt: skip


class _Number:
    """A numerator or denominator as a worked example writes it: `{numerator:money}`."""

    def __init__(self, value: float | None, currency: str) -> None:
        self.value, self.currency = value, currency

    def __format__(self, spec: str) -> str:
        if self.value is None:
            return "—"
        match spec:
            case "money":
                return f"{self.value:,.0f} {self.currency}"
            case "days":
                return f"{self.value:,.0f} days"
            case "ratio":
                return f"{self.value * 100:.1f} %"
            case _:
                return f"{self.value:,.0f}"


def render() -> str:
    """The whole of docs/kpis.md."""
    return "\n".join([*_intro(), *_reading(), *_example_org(), *_kpis(), *_running()]) + "\n"


def _intro() -> Iterator[str]:
    yield "# The sales KPIs"
    yield ""
    yield ("<!-- Rendered from connector/kpis.py and the KPI engine by `python -m "
           "connector.kpi.reference > docs/kpis.md`; tests/kpi/test_kpi_reference.py fails "
           "when this file and the registry differ. Edit the registry, not this file. -->")
    yield ""
    yield (f"crm-kpi computes {len(KPIS) - 1} classic sales KPIs (and CLV : CAC beside CLV) "
           "for every **period** — month, quarter and fiscal year — and every **scope** — the "
           "company, each team, each rep (owner) and each territory; revenue and gross margin "
           "also per product, KPI 7 per contact method. Each KPI is declared once, in "
           "`connector/kpis.py`, and computed by one SQL file in `connector/kpi/sql/`.")
    yield ""


def _reading() -> Iterator[str]:
    pace = PaceSettings()
    yield "## How to read a figure"
    yield ""
    yield ("- **Periods.** Months are calendar months; quarters and years follow "
           "`reporting.fiscal_year_start_month` and are named by the calendar year they start "
           "in. A timestamp counts on the day it falls on in the org's time zone "
           "(`reporting.timezone`); a date-only field (a close date, Lead.ConvertedDate) keeps "
           "its calendar day.")
    yield ("- **Records.** Only records that pass the mapping's filters count; a deleted "
           "record leaves every KPI. Money is converted to the reporting currency at the rate "
           "of the close date; a deal without a rate is a data-quality finding, left out of the "
           "money KPIs.")
    yield "- **Units.** " + "; ".join(f"{unit}: {words}" for unit, words in _UNITS.items()) + "."
    yield ("- **Targets** belong to exactly the scope they name (the company, a team, a rep, a "
           "territory): a scope without its own has none, and a note says so. They come from "
           "config.yaml, a CSV, Salesforce quotas or HubSpot goals. `kpis.target_rollup` may "
           "give a team, territory or the company the sum of its reps' targets, for the KPIs "
           f"that add up: {', '.join(f'`{k}`' for k in ADDITIVE_KEYS)}.")
    yield ("- **Attainment** = actual ÷ target for a KPI where higher is better, target ÷ "
           "actual where lower is better, so 100 % is always on target and more is always "
           "better; empty when the division means nothing (a target or an actual not "
           "positive; for growth and NPS, either side not positive). The gap, actual − "
           "target, is always given. Shown with "
           f"{ATTAINMENT_DECIMALS} decimal.")
    yield ("- **Pace**, for the period in progress and a KPI that builds up over it (revenue): "
           "actual ÷ (target × the share of the period gone by, today included), so 100 % "
           "is on track. It is given once it means something: from day `kpis.pace.min_days` "
           f"(default {pace.min_days}) and once `kpis.pace.min_share` (default "
           f"{pace.min_share:.2f}) of the period has gone by, and once the scope has won "
           f"`kpis.pace.min_deals` deals (default {pace.min_deals}); until then a note says "
           "from when (\"pace from day 8 of the month (today is day 5)\").")
    yield ("- **The period in progress** is marked so: its figures are so far (`period_status`"
           " \"in progress\"), and growth compares its days so far with the same days of the "
           "comparison period. Every figure written carries when it was computed (`as_of`).")
    yield ""
    yield "### Definition choices"
    yield ""
    yield "| setting (`kpis:`) | option | what a rep reads beside the figure |"
    yield "|---|---|---|"
    for setting, basis in BASES.items():
        for name, meaning in basis.options:
            default = " (default)" if name == basis.default else ""
            yield f"| `{setting}` | `{name}`{default} | {meaning} |"
    yield ""


def _example_org() -> Iterator[str]:
    yield "## The example org"
    yield ""
    yield ("The worked examples below are the engine's own figures for one rep, Kira Lee, in "
           f"{_month_name(example.MONTH)} (time zone UTC, amounts in USD, a monthly revenue "
           "target of 60,000 USD, the default COGS rate 0.35, a customer lifespan of 3 "
           "years). Her deals:")
    yield ""
    yield "| deal | account | created | closed | outcome | amount | from lead | contact |"
    yield "|---|---|---|---|---|---|---|---|"
    for deal, account, created, closed, won, amount, lead, method, _ in example.DEALS:
        outcome = "won" if won else ("lost" if closed else "open")
        yield (f"| {deal} | {account} | {created} | {closed or '—'} | {outcome} | "
               f"{amount:,.0f} | {lead or '—'} | {method} |")
    churned = [f"{a} churned on {d}" for a, d in example.ACCOUNTS.items() if d]
    start, end, amount = example.MARKETING
    yield ""
    yield (f"Besides: {len(example.LEADS)} leads created in November, "
           f"{len(example.CALLS)} phone calls in November, d06's line items (2 × 10,000 at a "
           f"cost of 4,000 each and 1 × 4,000 at 1,000; d07 has a cost of 3,000), "
           f"{amount:,.0f} USD of marketing from {start} to {end}, survey scores "
           f"{', '.join(map(str, example.SCORES))} in November, and {', '.join(churned)}.")
    yield ""


def _kpis() -> Iterator[str]:
    yield "## The KPIs"
    yield ""
    worked = example.figures(dt.date(2026, 12, 20), example.MONTH)
    for kpi in KPIS:
        yield from _kpi(kpi, worked)


def _kpi(kpi: Kpi, worked: dict[tuple[str, str | None], Figures]) -> Iterator[str]:
    yield f"### {kpi.label} (`{kpi.key}`)"
    yield ""
    yield kpi.definition
    yield ""
    yield f"- **Formula** for a period P: {kpi.formula}."
    yield (f"- **Unit:** {kpi.unit} ({_UNITS[kpi.unit]}), {kpi.decimals} "
           f"decimal{'s' if kpi.decimals != 1 else ''} shown; {kpi.better} is better.")
    if kpi.breakdowns:
        split = " (it has values only per contact method)" if kpi.split_by else ""
        named = ", ".join(_BREAKDOWNS[b] for b in kpi.breakdowns)
        yield f"- **Breakdowns:** {named}{split}."
    if kpi.basis is not None:
        options = "; ".join(f"`{name}`{' (default)' if name == kpi.basis.default else ''}: "
                            f"{meaning}" for name, meaning in kpi.basis.options)  # fmt: skip
        yield f"- **Basis** (`kpis.{kpi.basis.setting}`): {options}."
    yield f"- **Targets:** {_target_rule(kpi)}"
    yield ("- **Pace:** for the period in progress, once it means something." if kpi.accumulates
           else "- **Pace:** none (a ratio, an average or a score is already a to-date "
           "figure; its attainment is the to-date reading).")
    figures = worked[(kpi.key, "phone" if kpi.split_by else None)]
    sentence = kpi.example.format(numerator=_Number(figures.numerator, "USD"),
                                  denominator=_Number(figures.denominator, "USD"),
                                  value=shown_value(kpi, figures.value, "USD"))  # fmt: skip
    yield f"- **Worked example** ({_month_name(example.MONTH)}): {sentence}."
    yield ""


def _target_rule(kpi: Kpi) -> str:
    rule = "attainment = actual ÷ target" if kpi.higher_is_better else (
        "attainment = target ÷ actual (lower is better)")
    if kpi.signed:
        rule += "; empty when either side is not positive (the value can be negative)"
    if kpi.key in ADDITIVE_KEYS:
        rule += "; a team's target can be the sum of its reps' (`kpis.target_rollup`)"
    if kpi.split_by:
        rule += "; a target applies to each contact method's rate"
    if kpi.unit == "multiple":
        rule += "; the target is a ratio (3 for 3:1)"
    return rule + "."


def _running() -> Iterator[str]:
    revenue, growth = ("total_revenue", None), ("sales_growth", None)
    early, later = (example.figures(dt.date(2026, 12, day), example.RUNNING)
                    for day in example.RUNNING_DAYS)  # fmt: skip
    november = example.figures(dt.date(2026, 12, 14), example.MONTH)[revenue].value or 1.0
    target = early[revenue].target
    yield "## The period in progress"
    yield ""
    yield (f"On 5 December the example's December reads {_usd(early[revenue].value)} so far "
           f"against a target of {_usd(target)}: no pace yet, and the note says "
           f"\"{early[revenue].note}\".")
    yield ""
    g = later[growth]
    growth_shown = shown_value(get_kpi("sales_growth"), g.value, "USD")
    whole = (later[revenue].value or 0) / november - 1
    yield (f"On 14 December: {_usd(later[revenue].value)} so far, a pace of "
           f"{(later[revenue].pace or 0) * 100:.1f} % (against {_usd(target)} × 14/31), and a "
           f"growth of {growth_shown}: {_usd(g.numerator)} against the "
           f"{_usd(g.denominator)} of 1–14 November (\"{g.note}\"), where comparing with the "
           f"whole of November would have read {whole * 100:.1f} %.")


def _usd(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} USD"


def _month_name(key: str) -> str:
    return f"{dt.date.fromisoformat(key + '-01'):%B %Y}"


if __name__ == "__main__":
    print(render(), end="")
