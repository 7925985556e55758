"""The registry (connector/kpis.py) is the one description of each KPI: the engine's files,
the config's keys, attainment, the report and the dashboard must all follow it."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from connector.config import KpiSettings, Reporting, Target
from connector.kpi import steps
from connector.kpi.engine import sql_settings
from connector.kpis import (
    BREAKDOWN_VALUES,
    ENGINE_ORDER,
    HIGHER_IS_BETTER,
    KPI_KEYS,
    KPIS,
    Kpi,
    KpiKey,
    get_kpi,
)
from connector.report import format_value

SETTINGS = sql_settings(
    Reporting(currency="USD", timezone="UTC"), KpiSettings(), dt.date(2025, 1, 31), False
)


def _sql_files() -> set[str]:
    folder = resources.files("connector.kpi").joinpath("sql")
    return {p.name for p in folder.iterdir() if p.name.endswith(".sql")}


def test_keys_types_and_directions_derive_from_the_registry() -> None:
    assert get_args(KpiKey) == KPI_KEYS == tuple(k.key for k in KPIS)
    assert {k.key: k.better == "higher" for k in KPIS} == HIGHER_IS_BETTER
    # The config's KPI type is the registry's: every key validates, nothing else does.
    for key in KPI_KEYS:
        assert Target.model_validate({"kpi": key, "period_type": "month", "value": 1}).kpi == key
    with pytest.raises(ValidationError):
        Target.model_validate({"kpi": "revenue", "period_type": "month", "value": 1})


def test_get_kpi_names_the_known_keys_when_the_key_is_unknown() -> None:
    assert get_kpi("nps").label == "Net Promoter Score"
    with pytest.raises(KeyError, match="unknown KPI 'revenue'; known: total_revenue"):
        get_kpi("revenue")


@pytest.mark.parametrize("dialect", steps.DIALECTS)
def test_every_sql_file_runs_once_in_the_engine_order(dialect: str) -> None:
    order = steps.engine_files(dialect)
    assert len(order) == len(set(order))
    assert set(order) | set(steps.DIALECTS) == _sql_files()
    assert order[0] == dialect
    assert order[-2:] == (steps.ATTAINMENT, steps.LAST_DAY)
    assert len({k.sql for k in KPIS}) == len(KPIS)


def test_derived_kpis_run_after_the_kpis_they_read() -> None:
    order = [k.key for k in ENGINE_ORDER]
    assert sorted(order) == sorted(KPI_KEYS)
    derived = [k for k in KPIS if k.inputs]
    assert [k.key for k in derived] == ["clv_to_cac"]
    for k in derived:
        assert all(order.index(i) < order.index(k.key) for i in k.inputs)
        text = steps.read_sql(k.sql)
        assert all(f"'{i}'" in text for i in k.inputs), "inputs name what the SQL reads"


def test_labels_and_definitions_fit_crm_fields() -> None:
    for k in KPIS:
        # Salesforce field labels hold 40 characters; dashboard tiles about 24.
        assert 0 < len(k.label) <= 40, k.key
        assert 0 < len(k.short_label) <= 24, k.key
        # A definition is help text: one sentence on one line, within 255 characters.
        assert "\n" not in k.definition, k.key
        assert k.definition.endswith("."), k.key
        assert len(k.definition) <= 255, k.key
        assert 0 <= k.decimals <= 2, k.key
        assert k.split_by is None or k.split_by in k.breakdowns, k.key


def test_sql_takes_settings_as_parameters_and_no_text_templates() -> None:
    for name in _sql_files():
        text = steps.read_sql(name)
        holes = set(re.findall(r"\{\{\w+\}\}", text))
        # Only the dialect's macros, which cannot take parameters, get a checked literal.
        assert holes == ({"{{timezone}}"} if name in steps.DIALECTS else set()), name
        steps.bind(text, SETTINGS)  # every $name is a setting


def test_bind_passes_only_the_parameters_a_statement_uses() -> None:
    assert steps.bind("SELECT $currency, $currency", SETTINGS) == {"currency": "USD"}
    assert steps.bind("SELECT 1", SETTINGS) == {}
    with pytest.raises(ValueError, match="unknown SQL parameter"):
        steps.bind("SELECT $curency", SETTINGS)


@pytest.mark.parametrize("name", ["UTC'); DROP TABLE kpi_results; --", "Mars/Olympus", ""])
def test_a_time_zone_becomes_a_literal_only_if_it_is_one(name: str) -> None:
    with pytest.raises(ValueError, match=r"time.zone"):
        steps.timezone_literal(name)
    assert steps.timezone_literal("America/New_York") == "'America/New_York'"


@pytest.fixture(scope="module")
def computed(new_org: Any) -> Any:
    """An org with every kind of record, computed for January 2025; its store keeps the
    engine's temporary tables, so that each KPI file can be run again on its own."""
    org = new_org()
    org.owner("o1", team="T1", territory="EU")
    org.account("a1", owner="o1")
    org.account("a2", owner="o1")
    org.deal(100, "2024-12-10", owner="o1", account="a2")
    deal = org.deal(1000, "2025-01-20", owner="o1", account="a1", contact_method="phone")
    org.deal(500, "2025-01-22", owner="o1", account="a2", contact_method="email")
    org.line(deal, 2, 300, 100, product="Widget")
    org.lead("2025-01-02", owner="o1", converted_opportunity_id=deal)
    org.activity("phone", "2025-01-03", owner="o1")
    org.cost(300, "2025-01-01", "2025-01-31", owner_id="o1")
    org.survey(9, "2025-01-18", account="a1")
    org.run("2025-01-31", periods=["2025-01"], clv_lifespan_years=2)
    return org


@pytest.mark.parametrize("k", KPIS, ids=lambda k: k.key)
def test_each_kpi_file_produces_rows_of_its_key_with_its_breakdowns(computed: Any, k: Kpi) -> None:
    sql = steps.read_sql(k.sql)
    rows = computed.store.fetch_dicts(sql, steps.bind(sql, SETTINGS))
    assert rows
    assert {r["kpi"] for r in rows} == {k.key}
    assert {r["breakdown_type"] for r in rows} - {None} == set(k.breakdowns)
    whole_scope = [r for r in rows if r["breakdown_type"] is None]
    assert (k.split_by is None) == bool(whole_scope)
    for breakdown, values in BREAKDOWN_VALUES.items():
        found = [r["breakdown_value"] for r in rows if r["breakdown_type"] == breakdown]
        assert set(found) <= set(values)
        if breakdown == k.split_by:  # one row per value and scope (a field per value)
            scopes = {(r["scope_type"], r["scope_id"]) for r in rows}
            assert sorted(found) == sorted(values * len(scopes))


def test_attainment_reads_directions_from_the_registry(computed: Any) -> None:
    rows = computed.store.fetch(
        "SELECT kpi, unit, higher_is_better, signed, split_by, accumulates FROM kpi_registry"
    )
    assert sorted(rows) == sorted(
        (k.key, k.unit, k.higher_is_better, k.signed, k.split_by, k.accumulates) for k in KPIS
    )


def test_only_amounts_add_up_across_reps_and_build_up_over_a_period() -> None:
    # A sum of reps' closing ratios, or a pro-rated average cycle, means nothing.
    assert [k.key for k in KPIS if k.additive] == ["total_revenue"]
    assert [k.key for k in KPIS if k.accumulates] == ["total_revenue"]


UNIT_SHAPES = {
    "money": r"^-?[\d,]+(\.\d+)? EUR$",
    "ratio": r"^-?\d+(\.\d+)? %$",
    "days": r"^-?[\d,]+(\.\d+)? d$",
    "score": r"^[+-]\d+(\.\d+)?$",
    "multiple": r"^-?\d+(\.\d+)?:1$",
}


@pytest.mark.parametrize("k", KPIS, ids=lambda k: k.key)
def test_the_report_shows_each_kpi_in_its_unit_and_decimals(k: Kpi) -> None:
    text = format_value(k.key, 1234.5678 if k.unit != "ratio" else 0.45678, "EUR")
    assert re.match(UNIT_SHAPES[k.unit], text), text
    shown = re.search(r"\.(\d+)", text)
    assert (len(shown.group(1)) if shown else 0) == k.decimals
