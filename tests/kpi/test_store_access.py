"""The store methods the engine, the report and the dashboard use instead of the raw
connection: bound values, checked names, all-or-nothing transactions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connector.store import Store
from connector.store.db import ident


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:") as opened:
        yield opened


def test_load_rows_creates_a_typed_table_from_python_rows(store: Store) -> None:
    columns = [("day", "DATE"), ("label", "VARCHAR"), ("n", "BIGINT"), ("ok", "BOOLEAN")]
    rows = [(dt.date(2025, 1, 1), "a", 1, True), (dt.date(2025, 1, 2), None, None, False)]
    store.load_rows("calendar", columns, rows)
    assert store.fetch("SELECT * FROM calendar ORDER BY day") == rows
    types = store.fetch("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = 'calendar'")  # fmt: skip
    assert sorted(types) == sorted(columns)
    # Loading again replaces the table; no rows leaves it empty but typed.
    store.load_rows("calendar", columns, [])
    assert store.scalar("SELECT count(*) FROM calendar") == 0


@pytest.mark.parametrize(
    ("table", "column", "kind"),
    [("t; DROP TABLE owners", "a", "VARCHAR"), ("t", "a b", "VARCHAR"), ("t", "a", "TEXT)--")],
)
def test_load_rows_refuses_names_and_types_it_cannot_check(
    store: Store, table: str, column: str, kind: str
) -> None:
    with pytest.raises(ValueError, match=r"not an SQL identifier|not a column type"):
        store.load_rows(table, [(column, kind)], [("x",)])
    assert store.count("owners") == 0  # still there


@pytest.mark.parametrize("name", ["", "1st", "a-b", "a.b", "owners'", "ünï"])
def test_ident_accepts_plain_identifiers_only(name: str) -> None:
    with pytest.raises(ValueError, match="not an SQL identifier"):
        ident(name)
    assert ident("kpi_results_2") == "kpi_results_2"


def test_values_are_bound_not_spliced(store: Store) -> None:
    evil = "x'); DROP TABLE owners; --"
    store.execute("INSERT INTO owners (source, id, is_deleted, name) VALUES (?, ?, false, ?)",
                  ["s", "u1", evil])  # fmt: skip
    assert store.fetch_dicts("SELECT id, name FROM owners WHERE name = $name", {"name": evil}) == [
        {"id": "u1", "name": evil}
    ]
    assert store.scalar("SELECT name FROM owners WHERE id = 'none'") is None


def test_a_transaction_commits_together_or_not_at_all(store: Store) -> None:
    store.execute("CREATE TABLE t (n BIGINT)")
    with store.transaction():
        store.execute("INSERT INTO t VALUES (1)")
        store.execute("INSERT INTO t VALUES (2)")

    def interrupted_delete() -> None:
        with store.transaction():
            store.execute("DELETE FROM t")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        interrupted_delete()
    assert store.fetch("SELECT n FROM t ORDER BY n") == [(1,), (2,)]
