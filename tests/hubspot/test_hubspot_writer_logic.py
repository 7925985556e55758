"""Writer logic without HTTP: diffing against the last push, 207 answers, one retry."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from connector.crms.hubspot.errors import HubSpotApiError
from connector.crms.hubspot.fields import (
    HELP_TAIL,
    company_properties,
    object_properties,
    push_plan,
)
from connector.crms.hubspot.mapping import PushMapping
from connector.crms.hubspot.owned import review
from connector.crms.hubspot.send import Record, refused, send_all
from connector.crms.hubspot.setup import wanted_properties
from connector.crms.push import Outcome
from connector.kpi.accounts import FIGURES_DDL
from connector.presentation import Wording, is_managed, managed_description
from connector.settings import KpiSettings
from connector.store import Store
from connector.store.push import Change, PushPlan, changes, remember

PUSH = PushMapping(
    kpis=["total_revenue", "nps", "closing_ratio"],
    company_properties={"last_nps_score": "crm_kpi_last_nps_score"},
)
PLAN: PushPlan = push_plan(PUSH, Wording("USD"))
INVALID_X = 'Property values were not valid: [{"name":"x","error":"INVALID_OPTION"}]'


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
    store.con.execute(FIGURES_DDL)
    store.con.execute(
        "INSERT INTO account_figures (source, account_id, last_nps_score) VALUES ('hs', '900', 9)"
    )
    return store


def test_first_push_sends_everything_and_a_re_push_nothing() -> None:
    store = _store()
    todo, unchanged = changes(store, "hs", PLAN, 1e-9)
    assert unchanged == 0
    props = {(c.key, c.field): c.new for c in todo}
    assert props[("month|2024-01|company|-", "total_revenue_value")] == "100.0"
    assert props[("month|2024-01|owner|7", "hubspot_owner_id")] == "7"
    assert props[("900", "crm_kpi_last_nps_score")] == "9.0"
    assert props[("month|2024-01|owner|7", "kpi_name")] == "Rep · Jan 2024"
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


def test_a_batch_refused_whole_is_halved_until_the_invalid_record_stands_alone() -> None:
    calls: list[int] = []

    def send(inputs: list[dict[str, Any]]) -> dict[str, Any]:
        calls.append(len(inputs))
        if any(i["id"] == "k37" for i in inputs):  # HubSpot: one bad value, nothing written
            raise HubSpotApiError(400, "VALIDATION_ERROR", INVALID_X)
        return {"results": [{"id": i["id"]} for i in inputs]}

    def forbidden(inputs: list[dict[str, Any]]) -> dict[str, Any]:
        raise HubSpotApiError(403, "FORBIDDEN", "no")

    outcome = Outcome()
    send_all(_records(100), send, outcome)
    assert outcome.records == 99
    assert [(f.record, f.field) for f in outcome.failed] == [("k37", "x")]
    assert len(calls) <= 1 + 2 * 7  # two halves per level, 100 → 1; no retry of a bad value
    with pytest.raises(HubSpotApiError):  # any other refusal still stops the push
        send_all(_records(2), forbidden, Outcome())


@pytest.mark.parametrize(
    "message",
    ["Bad Request", 'Property values were not valid: [{"error":"PROPERTY_DOESNT_EXIST"}]'],
)
def test_a_batch_refused_for_the_request_or_a_property_is_not_halved(message: str) -> None:
    calls: list[int] = []

    def send(inputs: list[dict[str, Any]]) -> dict[str, Any]:
        calls.append(len(inputs))
        raise HubSpotApiError(400, "VALIDATION_ERROR", message)

    with pytest.raises(HubSpotApiError):
        send_all(_records(100), send, Outcome())
    assert calls == [100]


def test_errors_by_input_position_are_understood() -> None:
    records = _records(3)
    answer = {"results": [{}], "errors": [{"message": "locked", "context": {"ids": ["1"]}}]}
    assert refused(answer, records) == {"k1": "locked"}


def test_help_texts_are_in_a_reps_words_and_still_mark_the_writers_own() -> None:
    # HubSpot shows a property's description beside its value: reps read it, so no KPI
    # key, setting or command (issue 19: "(closing_basis: created)")
    settings = KpiSettings(closing_basis="closed", growth_basis="year_over_year")
    wording = Wording("EUR", settings)
    specs = [p.spec("g") for p in object_properties(PUSH, wording)]
    specs += [p.spec("g") for p in company_properties(PUSH, wording)]
    for spec in specs:
        text = spec["description"]
        assert is_managed(text), spec["name"]
        assert not re.search(r"`|\w+_\w+|crm-kpi setup", text), text
    closing = next(s for s in specs if s["name"] == "closing_ratio_value")["description"]
    assert "Counted over the deals closed in the period" in closing


def test_object_properties_have_a_unique_key_parts_per_kpi_and_formats() -> None:
    props = {p.name: p.spec("g") for p in object_properties(PUSH, Wording("EUR"))}
    first = next(iter(props.values()))
    assert (first["name"], first["hasUniqueValue"]) == ("kpi_key", True)
    revenue = props["total_revenue_target"]
    assert (revenue["numberDisplayHint"], revenue["showCurrencySymbol"]) == ("currency", True)
    assert revenue["label"] == "Total revenue target"
    assert "In EUR." in revenue["description"]
    assert revenue["description"].endswith(HELP_TAIL)
    assert props["total_revenue_pace"]["numberDisplayHint"] == "percentage"
    assert props["closing_ratio_attainment"]["numberDisplayHint"] == "percentage"
    assert "closing_ratio_pace" not in props  # a ratio has no pace
    assert props["nps_value"]["numberDisplayHint"] == "formatted"
    assert props["period_end"]["type"] == "date"
    assert not [n for n in props if n.startswith("hs_")]


def test_percentages_are_sent_as_the_property_shows_them() -> None:
    store = _store()
    store.con.execute(
        "INSERT INTO kpi_results (kpi, period_type, period, period_start, period_end, "
        "scope_type, scope_id, value, attainment) VALUES ('closing_ratio', 'month', '2024-01', "
        "DATE '2024-01-01', DATE '2024-02-01', 'company', NULL, 0.41666, 1.0833)"
    )
    todo, _ = changes(store, "hs", PLAN, 1e-9)
    props = {(c.key, c.field): c.new for c in todo}
    assert props[("month|2024-01|company|-", "closing_ratio_value")] == "41.7"
    assert props[("month|2024-01|company|-", "closing_ratio_attainment")] == "108.3"


def test_mapping_refuses_hubspot_default_properties() -> None:
    with pytest.raises(ValueError, match="HubSpot's own"):
        PushMapping(company_properties={"last_nps_score": "hs_nps_score"})
    with pytest.raises(ValueError, match="not an account figure"):
        PushMapping(company_properties={"nps": "crm_kpi_nps"})


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


# --- which properties are the writer's, and what setup does about each -------------------


def where(path: Any) -> str:
    return "hubspot.yaml" if path is None else f"hubspot.yaml:9 {'.'.join(map(str, path))}"


def prop(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "label": name, "type": "number", "groupName": "other", **kw}


def review_of(push: PushMapping, objects: dict[str, Any]) -> tuple[list[str], list[str]]:
    found = review(objects, push, wanted_properties(push, Wording("USD")), where)
    return found.problems, [str(s) for s in found.steps]


def test_a_fresh_portal_gets_the_object_and_the_company_properties() -> None:
    problems, steps = review_of(PUSH, {PUSH.object: None, "companies": {}})
    assert problems == []
    assert steps == [
        "create custom object sales_kpi",
        "create property companies.crm_kpi_last_nps_score",
    ]


def test_a_property_of_someone_else_is_refused_unless_handed_over() -> None:
    companies = {"nps_now": prop("nps_now", description="Kept by marketing")}
    push = PushMapping(kpis=["nps"], company_properties={"last_nps_score": "nps_now"})
    problems, _ = review_of(push, {push.object: None, "companies": companies})
    assert problems == [
        "hubspot.yaml:9 push.account_fields.last_nps_score: companies.nps_now exists and "
        "was not created by crm-kpi: name another property, or hand it over with "
        "{field: nps_now, take_over: true}"
    ]
    handed = {"last_nps_score": {"property": "nps_now", "take_over": True}}
    push = PushMapping.model_validate({"kpis": ["nps"], "company_properties": handed})
    problems, steps = review_of(push, {push.object: None, "companies": companies})
    assert problems == []
    assert (
        "update property companies.nps_now (label, description, groupName, "
        "numberDisplayHint)" in steps
    )


def test_hubspots_own_and_other_types_are_refused() -> None:
    companies = {"p": prop("p", hubspotDefined=True), "q": prop("q", type="string")}
    handed = {"last_nps_score": {"property": "p", "take_over": True},
              "revenue_this_year": {"property": "q", "take_over": True}}  # fmt: skip
    push = PushMapping.model_validate({"kpis": ["nps"], "company_properties": handed})
    problems, _ = review_of(push, {push.object: None, "companies": companies})
    assert "companies.p is one of HubSpot's own properties" in problems[0]
    assert "companies.q is a string property; crm-kpi writes a number there" in problems[1]


def test_properties_of_earlier_versions_are_upgraded_or_retired() -> None:
    old_object = {n: prop(n, groupName="sales_kpi_information") for n in
                  ("nps_value", "nps_target", "cac_value")}  # fmt: skip
    old_object["kpi_key"] = prop("kpi_key", type="string", groupName="sales_kpi_information")
    old_object["notes"] = prop("notes")  # someone's own property on the object: left alone
    companies = {"crm_kpi_nps": prop("crm_kpi_nps", groupName="sales_kpis"),
                 "crm_kpi_last_nps_score": prop("crm_kpi_last_nps_score", groupName="x",
                                                description=managed_description("x"))}  # fmt: skip
    push = PushMapping(
        kpis=["nps"], company_properties={"last_nps_score": "crm_kpi_last_nps_score"}
    )
    problems, steps = review_of(push, {push.object: old_object, "companies": companies})
    assert problems == []
    assert "update property sales_kpi.nps_value (label, description, numberDisplayHint)" in steps
    assert [s for s in steps if s.startswith("retire")] == [
        "retire property sales_kpi.cac_value",
        "retire property companies.crm_kpi_nps",
    ]
