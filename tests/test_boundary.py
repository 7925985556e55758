"""Hostile values at the boundary (issue 22): far-off dates, numbers that are not finite or
beyond any currency field, text of any length. Each is quarantined with its record, field
and value, or, where the record is usable without it, cleared or cut with a finding;
none reaches the tables the KPI engine reads. From exports and CRM rows alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from connector.config import load_config
from connector.crms.files import FilesMapping, FilesSource
from connector.errors import ConfigError
from connector.schema import ENTITY_BY_NAME, MAX_TEXT, DateWindow
from connector.settings import Reporting
from connector.store import ParseOptions, Store, ingest_rows

WINDOW = DateWindow(dt.date(1970, 1, 1), dt.date(2035, 6, 30))
OUTSIDE = "outside the reporting window, 1970-01-01 to 2035-06-30 (reporting.date_window)"
CLEARED = f"{OUTSIDE}: cleared, the record is kept as if the field were empty"
OPPORTUNITIES = "id,created_at,close_date,is_closed,is_won,amount,currency,owner_id\n"


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:") as opened:
        yield opened


def pull(folder: Path, store: Store, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    FilesSource("crm", folder, FilesMapping(), "America/New_York", window=WINDOW).pull(store)


def problems(store: Store, table: str, entity: str) -> list[tuple[object, ...]]:
    what = "reason" if table == "quarantine" else "problem"
    return store.fetch(f"SELECT record_id, field, value, {what} FROM {table} "
                       "WHERE entity = ? ORDER BY line, field", [entity])  # fmt: skip


def crm_rows(
    store: Store, entity: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    ingest_rows(store, source="sf", entity=ENTITY_BY_NAME[entity], columns=columns, rows=rows,
                origin="CRM", opts=ParseOptions("Asia/Kolkata", window=WINDOW))  # fmt: skip


def test_far_off_dates_quarantine_a_deal_that_needs_them(tmp_path: Path, store: Store) -> None:
    pull(tmp_path, store, {"opportunities.csv": OPPORTUNITIES
        + "o1,2025-01-05,9999-12-31,true,true,100,USD,u1\n"
        + "o2,0001-01-01T00:00:00Z,2025-02-01,true,true,100,USD,u1\n"
        + "o3,2025-01-05,9000-01-01,false,false,100,USD,u1\n"
        + "o4,2025-01-05,2025-02-01,true,false,100,USD,u1\n"
        + "o5,2025-01-05,1969-12-31,true,false,100,USD,u1\n"})  # fmt: skip
    assert problems(store, "quarantine", "opportunities") == [
        ("o1", "close_date", "9999-12-31", OUTSIDE),
        ("o2", "created_at", "0001-01-01T00:00:00Z", OUTSIDE),
        ("o5", "close_date", "1969-12-31", OUTSIDE),  # a lost deal is placed by it too
    ]
    # An open deal's close date is a forecast: the deal is kept without it.
    assert problems(store, "findings", "opportunities") == [
        ("o3", "close_date", "9000-01-01", CLEARED)
    ]
    assert store.fetch("SELECT id, close_date FROM opportunities ORDER BY id") == [
        ("o3", None), ("o4", dt.date(2025, 2, 1))
    ]  # fmt: skip


@pytest.mark.parametrize(
    "spelled", ["NaN", "nan", "-nan", "Infinity", "-Infinity", "inf", "+INF", "1e400"]
)
def test_amounts_that_are_not_finite_are_quarantined(
    tmp_path: Path, store: Store, spelled: str
) -> None:
    pull(tmp_path, store, {"opportunities.csv": OPPORTUNITIES
        + f"o1,2025-01-05,2025-02-01,true,true,{spelled},USD,u1\n"})  # fmt: skip
    assert problems(store, "quarantine", "opportunities") == [
        ("o1", "amount", spelled, "not a finite number")
    ]
    assert store.count("opportunities") == 0


def test_amounts_beyond_any_currency_field_are_quarantined(tmp_path: Path, store: Store) -> None:
    pull(tmp_path, store, {
        "opportunities.csv": OPPORTUNITIES
        + "o1,2025-01-05,2025-02-01,true,true,1e308,USD,u1\n"
        + "o2,2025-01-05,2025-02-01,true,true,-1000000000000001,USD,u1\n"
        + "o3,2025-01-05,2025-02-01,true,true,999999999999999,USD,u1\n",
        "exchange_rates.csv": "currency,rate_to_reporting,valid_from\nEUR,inf,2025-01-01\n",
    })  # fmt: skip
    beyond = "beyond 1,000,000,000,000,000: more than any currency field holds"
    assert problems(store, "quarantine", "opportunities") == [
        ("o1", "amount", "1e308", beyond), ("o2", "amount", "-1000000000000001", beyond),
    ]  # fmt: skip
    assert store.fetch("SELECT id, amount FROM opportunities") == [("o3", 999999999999999.0)]
    assert problems(store, "quarantine", "exchange_rates")[0][1:] == (
        "rate_to_reporting", "inf", "not a finite number"
    )  # fmt: skip


def test_crm_numbers_of_every_kind_are_checked(store: Store) -> None:
    """Python floats as a CRM's JSON parser gives them (NaN, inf, 1e308) are staged as
    text and checked like an export's."""
    columns = ["id", "created_at", "close_date", "is_won", "amount", "cost"]
    crm_rows(store, "opportunities", columns, [
        ("006A", "2025-01-05T10:00:00Z", "2025-02-01", True, float("nan"), None),
        ("006B", "2025-01-05T10:00:00Z", "2025-02-01", True, float("-inf"), None),
        ("006C", "2025-01-05T10:00:00Z", "2025-02-01", True, 1e308, None),
        ("006D", "2025-01-05T10:00:00Z", "2025-02-01", True, 10.0, float("inf")),
        ("006E", "2025-01-05T10:00:00Z", "2025-02-01", True, 10.0, 2.5),
    ])  # fmt: skip
    assert [(r[0], r[1], r[2]) for r in problems(store, "quarantine", "opportunities")] == [
        ("006A", "amount", "nan"), ("006B", "amount", "-inf"), ("006C", "amount", "1e+308"),
        ("006D", "cost", "inf"),
    ]  # fmt: skip
    assert store.fetch("SELECT id, amount, cost FROM opportunities") == [("006E", 10.0, 2.5)]


@pytest.mark.parametrize("score", ["nan", "inf", "-Infinity", "1e10", "99999999999"])
def test_a_score_that_is_no_whole_number_is_quarantined_not_a_crash(
    store: Store, score: str
) -> None:
    crm_rows(store, "survey_responses", ["id", "score", "responded_at"],
             [("s1", score, "2025-01-05T10:00:00Z")])  # fmt: skip
    assert problems(store, "quarantine", "survey_responses")[0][1:3] == ("score", score)


@pytest.mark.parametrize(
    "stamp",
    ["294247-01-10 04:00:54", "294247-01-10T04:00:54Z", "290309-12-22 (BC) 00:00:00",
     "infinity", "-infinity", "epoch", "-2024-01-01", "0001-01-01T00:00:00+14:00",
     "9999-12-31T23:59:59-12:00", "9999-12-31 23:59:59"],
)  # fmt: skip
def test_extreme_timestamps_never_fail_the_typing(store: Store, stamp: str) -> None:
    """DuckDB reads far more than a CRM means (years past 9999, BC, 'epoch'); its time-zone
    conversion fails on some. Each is a quarantined row, whatever the org's time zone."""
    crm_rows(store, "activities", ["id", "method", "occurred_at"], [("t1", "phone", stamp)])
    assert [r[1:3] for r in problems(store, "quarantine", "activities")] == [
        ("occurred_at", stamp)
    ]


def test_a_far_off_optional_date_is_cleared_and_the_record_kept(store: Store) -> None:
    crm_rows(store, "accounts", ["id", "name", "created_at", "churned_at", "modified_at"], [
        ("001A", "Acme", "0001-01-01T00:00:00Z", "2025-03-01T00:00:00Z", "9999-12-31T00:00:00Z"),
    ])  # fmt: skip
    assert [r[:3] for r in problems(store, "findings", "accounts")] == [
        ("001A", "created_at", "0001-01-01T00:00:00Z"),
        ("001A", "modified_at", "9999-12-31T00:00:00Z"),
    ]
    assert store.fetch("SELECT created_at, churned_at, modified_at FROM accounts") == [
        (None, dt.datetime(2025, 3, 1), None)
    ]


def test_long_text_is_cut_with_a_finding(tmp_path: Path, store: Store) -> None:
    name = "R" * 1_000_000
    owners = f"id,name,email,team\nu1,{name},rep@example.com,{'T' * 300}\nu2,Kira Lee,k@e.com,T\n"
    pull(tmp_path, store, {"owners.csv": owners})
    assert store.fetch("SELECT id, length(name), length(team) FROM owners ORDER BY id") == [
        ("u1", MAX_TEXT, MAX_TEXT), ("u2", 8, 1),
    ]  # fmt: skip
    found = problems(store, "findings", "owners")
    assert [(r[0], r[1], r[3]) for r in found] == [
        ("u1", "name", "longer than 255 characters: kept as its first 255 characters"),
        ("u1", "team", "longer than 255 characters: kept as its first 255 characters"),
    ]
    assert found[0][2] == "R" * MAX_TEXT + "…"


def test_a_reference_is_never_cut(store: Store) -> None:
    """A cut id would name another record: a long id is quarantined (its value shown
    short, with its length), a long reference cleared, a long scope of a target
    quarantined (cleared, it would make the target the company's)."""
    long_id = "0" * 100_000
    crm_rows(store, "opportunities", ["id", "created_at", "owner_id", "account_id"], [
        (long_id, "2025-01-05T10:00:00Z", "u1", None),
        ("006B", "2025-01-05T10:00:00Z", "u" * 300, "001A"),
    ])  # fmt: skip
    (record, field, value, reason), = problems(store, "quarantine", "opportunities")
    assert (record, field, reason) == ("0" * MAX_TEXT + "… (100,000 characters)", "id",
                                       "longer than 255 characters: no record or person is "
                                       "named so")  # fmt: skip
    assert value == "0" * MAX_TEXT + "… (100,000 characters)"
    assert store.fetch("SELECT id, owner_id, account_id FROM opportunities") == [
        ("006B", None, "001A")
    ]
    assert problems(store, "findings", "opportunities")[0][:2] == ("006B", "owner_id")
    crm_rows(store, "targets", ["kpi", "period_type", "scope_type", "scope_id", "value", "origin"],
             [("total_revenue", "month", "owner", "x" * 300, 10, "quota")])  # fmt: skip
    assert problems(store, "quarantine", "targets")[0][1] == "scope_id"


def test_lone_surrogates_from_a_crm_load_as_replacement_characters(store: Store) -> None:
    crm_rows(store, "owners", ["id", "name"], [("u1", "Kira \ud800 Lee")])
    assert store.fetch("SELECT name FROM owners") == [("Kira \ufffd Lee",)]


def test_an_unknown_contact_method_of_any_length_is_reported_short(store: Store) -> None:
    crm_rows(store, "activities", ["id", "method", "occurred_at"],
             [("t1", "=" + "m" * 10_000, "2025-01-05T10:00:00Z")])  # fmt: skip
    (_, field, value, problem), = problems(store, "findings", "activities")
    assert field == "method"
    assert value.endswith("… (10,001 characters)")
    assert len(problem) < 2 * MAX_TEXT


def test_the_window_is_configurable(tmp_path: Path, store: Store) -> None:
    (tmp_path / "exports").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text("reporting:\n  currency: USD\n  timezone: UTC\n"
                      "  date_window: {earliest: 1950-01-01, years_ahead: 2}\n"
                      "sources:\n  - {name: e, type: files, path: exports}\n")  # fmt: skip
    window = load_config(config).reporting.window(dt.date(2025, 2, 28))
    assert window == DateWindow(dt.date(1950, 1, 1), dt.date(2027, 2, 28))
    leap = Reporting(currency="USD", timezone="UTC").window(dt.date(2024, 2, 29))
    assert leap == DateWindow(dt.date(1970, 1, 1), dt.date(2034, 2, 28))
    config.write_text(config.read_text().replace("1950-01-01", "2999-01-01"))
    with pytest.raises(ConfigError, match="earliest must be a day in the past"):
        load_config(config)


def test_a_config_target_beyond_any_currency_field_is_refused(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text("reporting: {currency: USD, timezone: UTC}\n"
                      "sources:\n  - {name: e, type: files, path: exports}\n"
                      "targets:\n  - {kpi: total_revenue, period_type: month, "
                      "value: 1e308}\n")  # fmt: skip
    with pytest.raises(ConfigError, match="more than any currency field holds"):
        load_config(config)
