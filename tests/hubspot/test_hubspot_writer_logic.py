"""Writer logic without HTTP: diffing against the last push, 207 answers, one retry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connector.crms.hubspot.fields import object_properties, push_plan
from connector.crms.hubspot.mapping import PushMapping
from connector.crms.hubspot.send import Record, refused, send_all
from connector.crms.push import Outcome
from connector.store import Store
from connector.store.push import Change, PushPlan, changes, remember

PUSH = PushMapping(kpis=["total_revenue", "nps"], company_properties={"nps": "crm_kpi_nps"})
PLAN: PushPlan = push_plan(PUSH)


def _store() -> Store:
    store = Store(":memory:")
    from connector.kpi.engine import RESULTS_DDL

    store.con.execute(RESULTS_DDL)
    today = dt.date.today()
    start, end = today.replace(day=1), today.replace(day=28)
    rows = [
        (
            "total_revenue",
            "month",
            "2024-01",
            dt.date(2024, 1, 1),
            dt.date(2024, 1, 31),
            "company",
            None,
            100.0,
            120.0,
        ),
        (
            "total_revenue",
            "month",
            "2024-01",
            dt.date(2024, 1, 1),
            dt.date(2024, 1, 31),
            "owner",
            "7",
            50.0,
            None,
        ),
        ("nps", "month", "cur", start, end, "territory", "EMEA", 30.0, 40.0),
    ]
    for kpi, ptype, period, ps, pe, stype, sid, value, target in rows:
        store.con.execute(
            "INSERT INTO kpi_results (kpi, period_type, period, period_start, period_end, "
            "scope_type, scope_id, value, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [kpi, ptype, period, ps, pe, stype, sid, value, target],
        )
    store.con.execute(
        "INSERT INTO owners (source, id, name, active, is_deleted) "
        "VALUES ('hs', '7', 'Rep', true, false)"
    )
    store.con.execute(
        "INSERT INTO accounts (source, id, name, territory, is_deleted) "
        "VALUES ('hs', '900', 'Acme', 'EMEA', false)"
    )
    return store


def test_first_push_sends_everything_and_a_re_push_nothing() -> None:
    store = _store()
    todo, unchanged = changes(store, "hs", PLAN, 1e-9)
    assert unchanged == 0
    props = {(c.key, c.field): c.new for c in todo}
    assert props[("month|2024-01|company|-", "total_revenue_value")] == "100.0"
    assert props[("month|2024-01|owner|7", "hubspot_owner_id")] == "7"
    assert props[("900", "crm_kpi_nps")] == "30.0"
    assert ("month|2024-01|company|-", "hubspot_owner_id") not in props
    remember(store, "hs", todo)
    again, unchanged = changes(store, "hs", PLAN, 1e-9)
    assert again == []
    assert unchanged == 4  # three KPI records and one company


def test_only_changed_values_are_sent() -> None:
    store = _store()
    remember(store, "hs", changes(store, "hs", PLAN, 1e-9)[0])
    store.con.execute("UPDATE kpi_results SET target = 130.0 WHERE scope_type = 'company'")
    todo, unchanged = changes(store, "hs", PLAN, 1e-9)
    assert [(c.field, c.old, c.new) for c in todo] == [("total_revenue_target", "120.0", "130.0")]
    assert unchanged == 3


def _records(n: int) -> list[Record]:
    return [
        Record(
            f"k{i}",
            {"id": f"k{i}", "properties": {"x": "1"}},
            [Change("sales_kpi", f"k{i}", "x", "number", None, "1")],
        )
        for i in range(n)
    ]


def test_a_2xx_with_neither_results_nor_errors_is_a_failure() -> None:
    records = _records(2)
    assert set(refused({"status": "COMPLETE"}, records)) == {"k0", "k1"}


def test_refused_records_are_retried_once_then_reported() -> None:
    calls: list[list[str]] = []

    def send(inputs: list[dict[str, Any]]) -> dict[str, Any]:
        calls.append([i["id"] for i in inputs])
        bad = [i["id"] for i in inputs if i["id"] in ("k3", "k150")]
        errors = [
            {
                "status": "error",
                "category": "VALIDATION_ERROR",
                "context": {"ids": [k]},
                "message": f'Property values were not valid: [{{"name":"x","message":"bad {k}"}}]',
            }
            for k in bad
        ]
        ok = [{"id": i["id"]} for i in inputs if i["id"] not in bad]
        return {"results": ok, "errors": errors} if errors else {"results": ok}

    outcome = Outcome()
    send_all(_records(250), send, outcome)
    assert [len(c) for c in calls] == [100, 100, 50, 2]
    assert outcome.records == 248
    assert [(f.record, f.field) for f in outcome.failed] == [("k3", "x"), ("k150", "x")]
    assert "bad k3" in outcome.failed[0].message


def test_errors_by_input_position_are_understood() -> None:
    records = _records(3)
    answer = {"results": [{}], "errors": [{"message": "locked", "context": {"ids": ["1"]}}]}
    assert refused(answer, records) == {"k1": "locked"}


def test_object_properties_have_a_unique_key_and_three_per_kpi() -> None:
    props = object_properties(PUSH, "g")
    names = [p["name"] for p in props]
    assert props[0]["hasUniqueValue"] is True
    assert {
        "total_revenue_value",
        "total_revenue_target",
        "total_revenue_attainment",
        "nps_value",
    } <= set(names)
    assert not [n for n in names if n.startswith("hs_")]


def test_mapping_refuses_hubspot_default_properties() -> None:
    with pytest.raises(ValueError, match="HubSpot's own"):
        PushMapping(company_properties={"nps": "hs_nps_score"})


def test_with_several_sources_only_this_sources_results_are_pushed() -> None:
    store = _store()
    # The merged results (source NULL) and another CRM's: not this writer's to push.
    store.con.execute(
        "INSERT INTO kpi_results (kpi, period_type, period, period_start, period_end, "
        "scope_type, scope_id, value, source) VALUES "
        "('total_revenue', 'month', '2024-01', DATE '2024-01-01', DATE '2024-01-31', "
        "'company', NULL, 999.0, 'hs'), "
        "('total_revenue', 'month', '2024-01', DATE '2024-01-01', DATE '2024-01-31', "
        "'company', NULL, 555.0, 'salesforce')"
    )
    todo, _ = changes(store, "hs", PLAN, 1e-9)
    values = [
        c.new
        for c in todo
        if (c.key, c.field) == ("month|2024-01|company|-", "total_revenue_value")
    ]
    assert values == ["999.0"]
