"""What CRM fields say about a KPI: derived from the registry, fitting a CRM's limits."""

from __future__ import annotations

import pytest

from connector.kpis import BASES, BREAKDOWN_VALUES, KPI_KEYS, KPIS, get_kpi
from connector.presentation import (
    ACCOUNT_FIGURES,
    PARTS,
    RECORD_COLUMNS,
    REP_AS_OF,
    Slot,
    Wording,
    basis_note,
    figure_help,
    is_managed,
    kpi_slots,
    managed_description,
    pace_help,
    slot_help,
    slot_label,
)
from connector.settings import KpiSettings


def test_every_kpi_has_its_parts_and_a_split_kpi_one_set_per_breakdown_value() -> None:
    slots = kpi_slots(KPI_KEYS)
    sets = sum(len(BREAKDOWN_VALUES[k.split_by]) if k.split_by else 1 for k in KPIS)
    paced = sum(1 for k in KPIS if k.accumulates)
    assert len(slots) == (len(PARTS) - 1) * sets + paced
    assert len({s.key for s in slots}) == len(slots)
    # Only what accumulates over the period (revenue) has a pace; a ratio has none.
    assert [s.key for s in slots if s.part == "pace"] == ["total_revenue.pace"]
    phone = next(s for s in slots if s.breakdown == "phone" and s.part == "attainment")
    assert (phone.key, phone.breakdown_type) == ("sales_by_contact_method[phone].attainment",
                                                 "contact_method")  # fmt: skip


def test_units_and_decimals_of_each_part() -> None:
    revenue, cycle = get_kpi("total_revenue"), get_kpi("avg_sales_cycle_days")
    assert (Slot(revenue, "target").unit, Slot(revenue, "target").decimals) == ("money", 0)
    assert (Slot(revenue, "attainment").unit, Slot(revenue, "pace").unit) == ("ratio", "ratio")
    assert (Slot(cycle, "value").unit, Slot(cycle, "attainment").decimals) == ("days", 1)


@pytest.mark.parametrize("period", [None, "month", "quarter", "year"])
def test_labels_name_the_kpi_and_period_and_fit_forty_characters(period: str | None) -> None:
    labels = [slot_label(s, period, 40) for s in kpi_slots(KPI_KEYS)]  # type: ignore[arg-type]
    assert all(0 < len(label) <= 40 for label in labels)
    assert len(set(labels)) == len(labels)
    if period:
        closing = Slot(get_kpi("closing_ratio"), "value")
        assert slot_label(closing, period, 40) == f"Sales closing ratio ({period})"  # type: ignore[arg-type]


def test_labels_of_a_kpi_use_one_name_for_every_part() -> None:
    slots = kpi_slots(["lead_to_opportunity"])
    names = {slot_label(s, "quarter", 40).split(" ")[0] for s in slots}
    assert names == {"Lead"}
    assert slot_label(slots[2], "quarter", 40) == "Lead → opportunity attainment (quarter)"
    assert slot_label(slots[0]) == "Lead-to-opportunity ratio"
    method = kpi_slots(["sales_by_contact_method"])
    assert slot_label(method[0]) == "Sales by contact method · phone"
    assert {slot_label(s, None, 40).split(":")[0] for s in method} == {"By contact method"}


def test_help_text_is_the_definition_with_the_part_the_basis_and_the_period() -> None:
    churn = Slot(get_kpi("churn_rate"), "attainment")
    text = slot_help(churn, Wording("EUR", KpiSettings(churn_basis="start")), "month")
    assert text.startswith(get_kpi("churn_rate").definition)
    assert "100 % is on target" in text
    assert "Counted over the customers at the start of the period: customers lost ÷" in text
    assert text.endswith("This month so far; updated by every crm-kpi run.")
    assert len(text) <= 510  # Salesforce's limit for help text
    wording = Wording("USD")
    assert all(len(slot_help(s, wording, "quarter")) <= 510 for s in kpi_slots(KPI_KEYS))
    revenue = slot_help(Slot(get_kpi("arpa"), "target"), wording)
    assert "In USD." in revenue
    assert "In USD" not in slot_help(Slot(get_kpi("arpa"), "attainment"), wording)


def test_the_basis_note_follows_the_settings_in_a_reps_words() -> None:
    assert basis_note("churn_rate", KpiSettings(churn_basis="acquired")) == (
        "Counted over the customers won in the period: customers lost ÷ new customers "
        "(above 100 % when few are won).")
    assert basis_note("closing_ratio", KpiSettings(closing_basis="closed")) == (
        "Counted over the deals closed in the period: deals won ÷ deals won or lost.")
    assert basis_note("closing_ratio", KpiSettings()) == (
        "Counted over the opportunities created in the period: deals won ÷ opportunities "
        "created.")
    assert basis_note("sales_growth", KpiSettings(growth_basis="year_over_year")) == (
        "Compared with the same period a year earlier.")
    assert basis_note("nps", KpiSettings()) is None


def _config_words() -> set[str]:
    """Every key of `kpis:` and its options' names with an underscore: words of the
    config file, which no text shown to a rep may carry."""
    words = {name for name in KpiSettings.model_fields if "_" in name}
    words |= {name for basis in BASES.values() for name in basis.names if "_" in name}
    words |= {f"{a}: {b}" for basis in BASES.values() for a, b in
              [(basis.setting, n) for n in basis.names]}  # fmt: skip
    return words | {f"min_{w}" for w in ("days", "share", "deals")}


@pytest.mark.parametrize("settings", [
    KpiSettings(),
    KpiSettings(churn_basis="acquired", closing_basis="closed", growth_basis="year_over_year",
                pace={"min_deals": 3}),
])  # fmt: skip
def test_no_text_shown_to_people_carries_a_config_key(settings: KpiSettings) -> None:
    wording = Wording("USD", settings)
    texts = [k.label for k in KPIS] + [k.short_label for k in KPIS] + [k.definition for k in KPIS]
    for period in (None, "month"):
        texts += [slot_help(s, wording, period) for s in kpi_slots(KPI_KEYS)]  # type: ignore[arg-type]
        texts += [slot_label(s, period, 40) for s in kpi_slots(KPI_KEYS)]  # type: ignore[arg-type]
    texts += [f.label + f.definition + figure_help(f, wording) for f in ACCOUNT_FIGURES]
    texts += [c.label + c.help for c in (*RECORD_COLUMNS, REP_AS_OF)]
    texts += [note for k in KPIS if (note := basis_note(k.key, settings))]
    texts.append(pace_help(settings))
    leaks = {(w, t) for t in texts for w in _config_words() if w in t}
    assert not leaks


def test_pace_help_says_from_when_pace_is_given() -> None:
    assert pace_help(KpiSettings()).endswith("until 7 days and 25 % of it have gone by.")
    custom = KpiSettings(pace={"min_days": 10, "min_share": 0, "min_deals": 2})
    assert pace_help(custom).endswith("until 10 days have gone by, and once 2 deals are won.")
    revenue_pace = Slot(get_kpi("total_revenue"), "pace")
    assert pace_help(custom) in slot_help(revenue_pace, Wording("USD", custom), "month")


def test_managed_fields_are_recognised_by_their_description() -> None:
    assert is_managed(managed_description("total_revenue.value"))
    assert not is_managed("Territory of the account, kept by sales ops")
    assert not is_managed(None)


def test_account_figures_are_declared_once_with_fitting_labels() -> None:
    keys = [f.key for f in ACCOUNT_FIGURES]
    assert len(set(keys)) == len(keys)
    assert all(len(f.label) <= 40 and f.definition.endswith(".") for f in ACCOUNT_FIGURES)
