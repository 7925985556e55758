"""The push state: values the CRMs accepted, kept in one table for every CRM."""

from __future__ import annotations

import datetime as dt

from connector.kpi.accounts import FIGURES_DDL
from connector.kpi.engine import RESULTS_DDL
from connector.store import Store
from connector.store.push import (
    AccountValues,
    Change,
    Column,
    KpiRecords,
    PushPlan,
    RepValues,
    changes,
    ensure_state,
    pushed,
    remember,
)


def test_the_per_crm_state_tables_of_earlier_versions_move_into_push_state() -> None:
    with Store(":memory:") as store:
        store.con.execute(
            "CREATE TABLE sf_push_state (source VARCHAR, target VARCHAR, record_key VARCHAR, "
            "field VARCHAR, value VARCHAR, pushed_at TIMESTAMP)"
        )
        store.con.execute(
            "CREATE TABLE hubspot_push_state (source VARCHAR, target VARCHAR, "
            "record_key VARCHAR, property VARCHAR, value VARCHAR, pushed_at TIMESTAMP)"
        )
        store.con.execute("INSERT INTO sf_push_state VALUES ('sf', 'User', '005A', "
                          "'KPI_Revenue__c', '10.0', now())")  # fmt: skip
        store.con.execute(
            "INSERT INTO hubspot_push_state VALUES "
            "('hs', 'kpi', 'month|2024-01|company|-', 'nps_value', '30.0', now()), "
            "('hs', 'company', '900', 'crm_kpi_nps', '31.0', now())"
        )
        ensure_state(store)
        rows = store.con.execute(
            "SELECT source, target, record_key, field, value FROM push_state ORDER BY 1, 2"
        ).fetchall()
        assert rows == [
            ("hs", "companies", "900", "crm_kpi_nps", "31.0"),
            ("hs", "sales_kpi", "month|2024-01|company|-", "nps_value", "30.0"),
            ("sf", "User", "005A", "KPI_Revenue__c", "10.0"),
        ]
        left = store.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%_push_state'"
        ).fetchall()
        assert left == [(0,)]


def test_remembered_values_replace_the_earlier_ones() -> None:
    with Store(":memory:") as store:
        remember(store, "sf", [Change("User", "005A", "KPI_Revenue__c", "number", None, "1")])
        remember(store, "sf", [Change("User", "005A", "KPI_Revenue__c", "number", "1", "2")])
        remember(store, "hs", [Change("companies", "9", "crm_kpi_nps", "number", None, "3")])
        values = store.con.execute("SELECT source, value FROM push_state ORDER BY 1").fetchall()
        assert values == [("hs", "3"), ("sf", "2")]
        assert pushed(store) == [("hs", "companies", 1, 1), ("sf", "User", 1, 1)]


# --- the desired values of a plan -------------------------------------------------------

TODAY = dt.date.today()
MONTH_START = TODAY.replace(day=1)
NEXT_MONTH = (MONTH_START + dt.timedelta(days=32)).replace(day=1)
CURRENT = f"{MONTH_START:%Y-%m}"
PERCENT = Column("Closing__c", "number", 100.0, 1, 1e17)
PLAN = PushPlan(
    "month",
    KpiRecords(
        "Sales_KPI__c",
        {
            ("closing_ratio", None, None, "value"): PERCENT,
            ("closing_ratio", None, None, "pace"): Column("Closing_Pace__c", "number", 100.0, 1),
            ("total_revenue", None, None, "target"): Column("Revenue_Target__c", "number", 1, 0),
            ("sales_by_contact_method", "contact_method", "phone", "value"): Column("Phone__c"),
        },
        {c: Column(f"{c}__c", "date" if c.startswith("period_") and c != "period_type"
                   else "text") for c in ("period_end", "scope_name", "name", "period")},
        "OwnerId",
        default_owner="default owner:x",
    ),
    RepValues("User", {("closing_ratio", "value"): Column("User_Closing__c", "number", 100, 1)}),
    AccountValues("Account", {"revenue_this_year": Column("Rev__c", "number", 1, 0),
                              "customer_since": Column("Since__c", "date")}),
)  # fmt: skip


def _results(store: Store) -> None:
    store.execute(RESULTS_DDL)
    rows = [
        ("closing_ratio", CURRENT, MONTH_START, NEXT_MONTH, "owner", "r1", None, None,
         0.45678, None, 0.91),
        ("closing_ratio", CURRENT, MONTH_START, NEXT_MONTH, "owner", "gone", None, None,
         0.5, None, None),
        ("closing_ratio", CURRENT, MONTH_START, NEXT_MONTH, "team", "West", None, None,
         0.25, None, None),
        ("total_revenue", CURRENT, MONTH_START, NEXT_MONTH, "owner", "r1", None, None,
         1000.0, 1234.567, None),
        ("sales_by_contact_method", CURRENT, MONTH_START, NEXT_MONTH, "owner", "r1",
         "contact_method", "phone", 0.2, None, None),
        ("closing_ratio", "2020-01", dt.date(2020, 1, 1), dt.date(2020, 2, 1), "owner", "r1",
         None, None, 0.1, None, None),
    ]  # fmt: skip
    for row in rows:
        store.execute(
            "INSERT INTO kpi_results (kpi, period, period_start, period_end, scope_type, "
            "scope_id, breakdown_type, breakdown_value, value, target, pace, period_type) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'month')",
            list(row),
        )
    store.execute(
        "INSERT INTO owners (source, id, name, active, is_deleted) VALUES "
        "('sf', 'r1', 'Kira Lee', true, false), ('sf', 'gone', 'Old Rep', false, false)"
    )
    store.execute(FIGURES_DDL)
    store.execute("INSERT INTO account_figures (source, account_id, revenue_this_year, "
                  "customer_since) VALUES ('sf', 'a1', 1234.5, DATE '2024-03-01'), "
                  "('other', 'a2', 9.0, NULL)")  # fmt: skip


def _desired(store: Store) -> dict[tuple[str, str, str], str | None]:
    todo, _ = changes(store, "sf", PLAN, 1e-9)
    return {(c.target, c.key, c.field): c.new for c in todo}


def test_values_are_sent_as_their_fields_show_them() -> None:
    with Store(":memory:") as store:
        _results(store)
        got = _desired(store)
    rep = f"month|{CURRENT}|owner|r1"
    assert got[("Sales_KPI__c", rep, "Closing__c")] == "45.7"  # a percent, 1 decimal
    assert got[("Sales_KPI__c", rep, "Closing_Pace__c")] == "91.0"
    assert got[("Sales_KPI__c", rep, "Revenue_Target__c")] == "1235.0"
    assert got[("Sales_KPI__c", rep, "Phone__c")] == "0.2"  # one field per contact method
    assert got[("User", "r1", "User_Closing__c")] == "45.7"
    assert ("User", "gone", "User_Closing__c") not in got  # inactive reps: no User values
    assert ("User", "r1", "User_Closing__c") in got  # the current month only, not 2020-01


def test_records_say_their_period_scope_name_and_owner() -> None:
    with Store(":memory:") as store:
        _results(store)
        got = _desired(store)
    rep, gone = f"month|{CURRENT}|owner|r1", f"month|{CURRENT}|owner|gone"
    team = f"month|{CURRENT}|team|West"
    last_day = NEXT_MONTH - dt.timedelta(days=1)
    assert got[("Sales_KPI__c", rep, "period_end__c")] == str(last_day)
    assert got[("Sales_KPI__c", rep, "scope_name__c")] == "Kira Lee"
    assert got[("Sales_KPI__c", rep, "name__c")] == f"Kira Lee · {MONTH_START:%b %Y}"
    assert got[("Sales_KPI__c", team, "name__c")] == f"West (team) · {MONTH_START:%b %Y}"
    assert got[("Sales_KPI__c", rep, "OwnerId")] == "r1"
    assert got[("Sales_KPI__c", gone, "OwnerId")] == "default owner:x"  # inactive rep
    assert got[("Sales_KPI__c", team, "OwnerId")] == "default owner:x"


def test_record_names_say_the_period_in_words_within_80_characters() -> None:
    with Store(":memory:") as store:
        _results(store)
        store.execute("UPDATE owners SET name = repeat('Very Long Name ', 20) WHERE id = 'r1'")
        rows = [("quarter", "2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 10, 1)),
                ("year", "2026", dt.date(2026, 1, 1), dt.date(2027, 1, 1))]  # fmt: skip
        for period_type, period, start, end in rows:
            store.execute(
                "INSERT INTO kpi_results (kpi, period, period_start, period_end, scope_type, "
                "scope_id, value, period_type) VALUES ('closing_ratio', ?, ?, ?, 'company', "
                "NULL, 0.5, ?)", [period, start, end, period_type])  # fmt: skip
        got = _desired(store)
    long_name = got[("Sales_KPI__c", f"month|{CURRENT}|owner|r1", "name__c")]
    assert long_name is not None
    assert len(long_name) == 80
    assert long_name.startswith("Very Long Name Very")
    assert long_name.endswith(f" · {MONTH_START:%b %Y}")
    assert got[("Sales_KPI__c", "quarter|2026-Q3|company|-", "name__c")] == "Company · Q3 2026"
    assert got[("Sales_KPI__c", "year|2026|company|-", "name__c")] == "Company · 2026"


def test_each_account_gets_its_own_figures_of_this_source() -> None:
    with Store(":memory:") as store:
        _results(store)
        got = _desired(store)
    assert got[("Account", "a1", "Rev__c")] == "1235.0"
    assert got[("Account", "a1", "Since__c")] == "2024-03-01"
    assert not [k for k in got if k[1] == "a2"]


def test_the_state_of_fields_no_longer_planned_is_forgotten() -> None:
    with Store(":memory:") as store:
        _results(store)
        kept = Change("User", "r1", "User_Closing__c", "number", None, "45.7")
        old = [Change("User", "r1", "Old_Field__c", "number", None, "1"),
               Change("Gone__c", "k", "X__c", "number", None, "1")]  # fmt: skip
        remember(store, "sf", [*old, kept])
        remember(store, "hs", [Change("companies", "9", "p", "number", None, "3")])
        changes(store, "sf", PLAN, 1e-9)
        left = store.fetch("SELECT source, target, field FROM push_state ORDER BY 1, 2")
    assert left == [("hs", "companies", "p"), ("sf", "User", "User_Closing__c")]


# --- "as of": when the figures were computed ---------------------------------------------

STAMPED = PushPlan(
    "month",
    KpiRecords(
        "Sales_KPI__c",
        {("closing_ratio", None, None, "value"): PERCENT,
         ("total_revenue", None, None, "pace"): Column("Revenue_Pace__c", "number", 100.0, 1)},
        {c: Column(f"{c}__c", "datetime" if c == "as_of" else "text")
         for c in ("period_status", "pace_note", "as_of")},
        "OwnerId",
    ),
    RepValues("User", {("closing_ratio", "value"): Column("User_Closing__c", "number", 100, 1)},
              as_of=Column("KPI_As_Of__c", "datetime")),
)  # fmt: skip
REP, OLD = f"month|{CURRENT}|owner|r1", "month|2020-01|owner|r1"


def _night(store: Store, at: str, **statuses: str) -> dict[tuple[str, str, str], str | None]:
    """The results as a run at `at` (UTC) leaves them, and what the push sends; then the
    CRM accepts it all. `statuses`: the period_status of periods ("current", "old")."""
    store.execute("UPDATE kpi_results SET computed_at = ?", [dt.datetime.fromisoformat(at)])
    for which, status in statuses.items():
        period = CURRENT if which == "current" else "2020-01"
        store.execute("UPDATE kpi_results SET period_status = ? WHERE period = ?",
                      [status, period])  # fmt: skip
    todo, _ = changes(store, "sf", STAMPED, 1e-9)
    remember(store, "sf", todo)
    return {(c.target, c.key, c.field): c.new for c in todo}


def test_the_period_in_progress_is_stamped_every_run_a_closed_one_only_with_a_change() -> None:
    with Store(":memory:") as store:
        _results(store)
        store.execute("UPDATE kpi_results SET pace_note = 'pace from day 8 of the month "
                      "(today is day 6)' WHERE kpi = 'total_revenue'")  # fmt: skip
        first = _night(store, "2026-12-06T02:13:05", current="in progress", old="closed")
        assert first[("Sales_KPI__c", REP, "as_of__c")] == "2026-12-06T02:13:05.000Z"
        assert first[("Sales_KPI__c", OLD, "as_of__c")] == "2026-12-06T02:13:05.000Z"
        assert first[("Sales_KPI__c", REP, "period_status__c")] == "in progress"
        assert first[("Sales_KPI__c", OLD, "period_status__c")] == "closed"
        assert first[("Sales_KPI__c", REP, "pace_note__c")] == (
            "pace from day 8 of the month (today is day 6)")
        assert first[("User", "r1", "KPI_As_Of__c")] == "2026-12-06T02:13:05.000Z"
        # the next night, nothing changed: the period in progress and the reps' current
        # figures get the new stamp (and nothing else); the closed period nothing at all
        second = _night(store, "2026-12-07T02:10:00")
        assert second == {
            ("Sales_KPI__c", REP, "as_of__c"): "2026-12-07T02:10:00.000Z",
            ("Sales_KPI__c", f"month|{CURRENT}|owner|gone", "as_of__c"):
                "2026-12-07T02:10:00.000Z",
            ("Sales_KPI__c", f"month|{CURRENT}|team|West", "as_of__c"):
                "2026-12-07T02:10:00.000Z",
            ("User", "r1", "KPI_As_Of__c"): "2026-12-07T02:10:00.000Z",
        }  # fmt: skip
        # a figure of the closed period changes (a deal backdated): it is stamped with it
        store.execute("UPDATE kpi_results SET value = 0.2 WHERE period = '2020-01'")
        third = _night(store, "2026-12-08T02:00:00", current="in progress")
        assert third[("Sales_KPI__c", OLD, "Closing__c")] == "20.0"
        assert third[("Sales_KPI__c", OLD, "as_of__c")] == "2026-12-08T02:00:00.000Z"
        # the first run after the month ends says so, with its stamp; then it rests
        closing = _night(store, "2027-01-01T02:00:00", current="closed")
        assert closing[("Sales_KPI__c", REP, "period_status__c")] == "closed"
        assert closing[("Sales_KPI__c", REP, "as_of__c")] == "2027-01-01T02:00:00.000Z"
        assert _night(store, "2027-01-02T02:00:00") == {}


def test_rows_of_earlier_versions_without_a_status_are_in_progress_by_the_date() -> None:
    with Store(":memory:") as store:
        _results(store)  # period_status NULL: the current month is today's
        first = _night(store, "2026-12-06T02:13:05")
        assert first[("Sales_KPI__c", REP, "period_status__c")] == "in progress"
        assert first[("Sales_KPI__c", OLD, "period_status__c")] == "closed"
        again = _night(store, "2026-12-07T02:13:05")
        assert ("Sales_KPI__c", REP, "as_of__c") in again
        assert ("Sales_KPI__c", OLD, "as_of__c") not in again
