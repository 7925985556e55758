"""The push state: values the CRMs accepted, kept in one table for every CRM."""

from __future__ import annotations

from connector.store import Store
from connector.store.push import Change, ensure_state, pushed, remember


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
