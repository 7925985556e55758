"""The files source and the store's boundary typing: load, quarantine, upsert, delete."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connector.crms.files import FilesMapping, FilesSource
from connector.errors import ExportError
from connector.store import IngestResult, Store

OPPS_HEADER = "id,account_id,owner_id,created_at,close_date,is_closed,is_won,amount,currency"


def write(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pull(folder: Path, store: Store, mapping: dict[str, object] | None = None,
         timezone: str = "UTC", max_delete_share: float | None = None,
         ) -> dict[str, object]:  # fmt: skip
    source = FilesSource("crm", folder, FilesMapping.model_validate(mapping or {}), timezone,
                         max_delete_share)  # fmt: skip
    return {r.entity: r for r in source.pull(store)}


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def quarantine(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute(
        "SELECT origin, line, record_id, field, value, reason FROM quarantine ORDER BY line, field"
    ).fetchall()


def test_normalized_headers_load_with_types(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "opportunities.csv", OPPS_HEADER,
          "o1,a1,u1,2025-01-05T10:00:00Z,2025-02-01,true,true,1200.50,usd")  # fmt: skip
    results = pull(tmp_path, store)
    assert results["opportunities"].loaded == 1  # type: ignore[attr-defined]
    row = store.con.execute(
        "SELECT id, created_at, close_date, is_closed, is_won, amount, currency FROM opportunities"
    ).fetchone()
    assert row == (
        "o1",
        dt.datetime(2025, 1, 5, 10),
        dt.date(2025, 2, 1),
        True,
        True,
        1200.5,
        "USD",
    )


def test_missing_optional_file_is_an_empty_table(tmp_path: Path, store: Store) -> None:
    results = pull(tmp_path, store)
    assert all(r.loaded == 0 for r in results.values())  # type: ignore[attr-defined]
    assert store.count("activities") == 0


def test_missing_folder_is_an_export_error(tmp_path: Path, store: Store) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        pull(tmp_path / "nope", store)


def test_bad_rows_are_quarantined_with_file_line_field_and_reason(
    tmp_path: Path, store: Store
) -> None:
    write(tmp_path, "opportunities.csv", OPPS_HEADER,
          "o1,a1,u1,2025-01-05,2025-02-01,true,true,100,USD",
          "o2,a1,u1,2025-01-05,31/02/2025,true,true,100,USD",
          "o3,a1,u1,2025-01-05,2025-02-01,true,true,abc,USD",
          "o4,a1,u1,2025-01-05,,true,true,100,USD",
          "o5,a1,u1,,2025-02-01,false,false,100,USD")  # fmt: skip
    write(tmp_path, "survey_responses.csv", "id,account_id,score,responded_at",
          "s1,a1,10,2025-01-10", "s2,a1,11,2025-01-11", "s3,a1,7.5,2025-01-12")  # fmt: skip
    results = pull(tmp_path, store)
    assert results["opportunities"].loaded == 1  # type: ignore[attr-defined]
    assert results["opportunities"].quarantined == 4  # type: ignore[attr-defined]
    assert results["survey_responses"].quarantined == 2  # type: ignore[attr-defined]
    rows = quarantine(store)
    assert ("opportunities.csv", 3, "o2", "close_date", "31/02/2025",
            "not a valid date (expected YYYY-MM-DD)") in rows  # fmt: skip
    assert ("opportunities.csv", 4, "o3", "amount", "abc", "not a number") in rows
    assert ("opportunities.csv", 5, "o4", "close_date", None, "won deal without close date") in rows
    assert ("opportunities.csv", 6, "o5", "created_at", None, "required field is empty") in rows
    assert ("survey_responses.csv", 3, "s2", "score", "11",
            "NPS score must be between 0 and 10") in rows  # fmt: skip
    assert ("survey_responses.csv", 4, "s3", "score", "7.5", "not a whole number") in rows
    assert store.count("opportunities") == 1


def test_malformed_csv_rows_are_quarantined_with_their_line(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "owners.csv", "id,name,team", "u1,Ann,T1", "u2,Bob,T1,extra", "u3,Cid,T2")
    results = pull(tmp_path, store)
    assert results["owners"].loaded == 2  # type: ignore[attr-defined]
    rows = quarantine(store)
    assert [(r[0], r[1]) for r in rows] == [("owners.csv", 3)]
    assert rows[0][5] == "expected 3 columns, found 4"
    # Good rows after a rejected one keep their real line numbers.
    write(tmp_path, "owners.csv", "id,name,team,active", "u1,Ann,T1,true", "u2,Bob,T1,x,y",
          "u3,Cid,T2,maybe")  # fmt: skip
    pull(tmp_path, store)
    assert ("owners.csv", 4, "u3", "active", "maybe", "not a boolean (true/false)") in quarantine(
        store
    )


def test_lines_stay_right_around_excluded_and_rejected_rows(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "owners.csv", "id,name,team,active", "u1,Ann,Test,true", "u2,Bob,T1,x,y",
          "u3,Cid,Test,true", "u4,Dee,T2,maybe", "u5,Eve,T2,true")  # fmt: skip
    mapping = {"entities": {"owners": {"file": "owners.csv", "exclude": {"team": ["Test"]}}}}
    results = pull(tmp_path, store, mapping)
    assert results["owners"].loaded == 1  # type: ignore[attr-defined]
    assert [r[1:4] for r in quarantine(store)] == [(3, None, None), (5, "u4", "active")]
    assert store.con.execute("SELECT id FROM owners").fetchall() == [("u5",)]


def test_a_reload_replaces_keeps_and_deletes_the_right_records(
    tmp_path: Path, store: Store
) -> None:
    write(tmp_path, "owners.csv", "id,name,active", "u1,Ann,true", "u2,Bob,true", "u3,Cid,true")
    pull(tmp_path, store)
    # u1 changes, u2 comes back broken (kept as it was), u3 is gone, u4 is new.
    write(tmp_path, "owners.csv", "id,name,active", "u1,Ann B,true", "u2,Bob,maybe", "u4,Dee,")
    result = pull(tmp_path, store)["owners"]
    assert (result.loaded, result.quarantined, result.deleted) == (2, 1, 1)  # type: ignore[attr-defined]
    rows = store.con.execute("SELECT id, name, is_deleted FROM owners ORDER BY id").fetchall()
    assert rows == [("u1", "Ann B", False), ("u2", "Bob", False), ("u3", "Cid", True),
                    ("u4", "Dee", False)]  # fmt: skip


def test_mapping_renames_maps_values_and_excludes(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "opps.csv", "Opportunity ID,Created Date,Lead Source,Type",
          "o1,2025-01-05,Cold Call,New", "o2,2025-01-05,Carrier Pigeon,New",
          "o3,2025-01-05,Web,Test Account")  # fmt: skip
    mapping = {"entities": {"opportunities": {
        "file": "opps.csv",
        "columns": {"id": "Opportunity ID", "created_at": "Created Date",
                    "contact_method": "Lead Source", "type": "Type"},
        "values": {"contact_method": {"cold call": "phone", "Web": "web"}},
        "exclude": {"Type": ["Test Account"]},
    }}}  # fmt: skip
    results = pull(tmp_path, store, mapping)
    assert results["opportunities"].findings == 1  # type: ignore[attr-defined]
    rows = store.con.execute("SELECT id, contact_method FROM opportunities ORDER BY id").fetchall()
    assert rows == [("o1", "phone"), ("o2", "other")]
    finding = store.con.execute("SELECT record_id, value, problem FROM findings").fetchone()
    assert finding == (
        "o2",
        "Carrier Pigeon",
        "unknown contact method 'Carrier Pigeon' counted as other",
    )


def test_an_exclusion_is_compared_trimmed_as_validate_compares_it(
    tmp_path: Path, store: Store
) -> None:
    write(tmp_path, "opportunities.csv", "id,created_at,type",
          "o1,2025-01-05,New", "o2,2025-01-05, Test Account ")  # fmt: skip
    pull(tmp_path, store, {"entities": {"opportunities": {"exclude": {"type": [" Test Account"]}}}})
    assert store.con.execute("SELECT id FROM opportunities WHERE NOT is_deleted").fetchall() == [
        ("o1",)
    ]


def test_mapped_column_missing_from_file_is_an_error(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "opportunities.csv", "id,created_at", "o1,2025-01-05")
    mapping = {"entities": {"opportunities": {"columns": {"amount": "Amount"}}}}
    with pytest.raises(ExportError, match=r"column 'Amount' mapped to opportunities\.amount"):
        pull(tmp_path, store, mapping)


def test_missing_required_column_is_an_error(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "leads.csv", "id,owner_id", "l1,u1")
    with pytest.raises(ExportError, match=r"leads.csv:1 required column\(s\) created_at missing"):
        pull(tmp_path, store)


def test_mapping_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="amout is not a field of opportunities"):
        FilesMapping.model_validate({"entities": {"opportunities": {"columns": {"amout": "A"}}}})


def test_custom_date_format(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "opportunities.csv", "id,created_at,close_date",
          "o1,2025-01-05,01/02/2025", "o2,2025-01-05,31/02/2025")  # fmt: skip
    pull(tmp_path, store, {"entities": {"opportunities": {"date_format": "%d/%m/%Y"}}})
    assert store.con.execute("SELECT close_date FROM opportunities").fetchall() == [
        (dt.date(2025, 2, 1),)
    ]
    assert quarantine(store)[0][5] == "not a valid date (expected format %d/%m/%Y)"


def test_naive_timestamps_are_org_local_and_offsets_are_respected(
    tmp_path: Path, store: Store
) -> None:
    write(tmp_path, "leads.csv", "id,created_at", "l1,2025-01-31 23:30:00",
          "l2,2025-01-31T23:30:00+01:00", "l3,2025-01-31T23:30:00.000+0000",
          "l4,2025-01-31")  # fmt: skip
    pull(tmp_path, store, timezone="Europe/Paris")
    rows = dict(store.con.execute("SELECT id, created_at FROM leads").fetchall())
    assert rows["l1"] == dt.datetime(2025, 1, 31, 22, 30)  # Paris is UTC+1 in winter
    assert rows["l2"] == dt.datetime(2025, 1, 31, 22, 30)
    assert rows["l3"] == dt.datetime(2025, 1, 31, 23, 30)
    assert rows["l4"] == dt.datetime(2025, 1, 30, 23, 0)


def test_derived_ids_for_rates_and_costs(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "exchange_rates.csv", "currency,rate_to_reporting,valid_from",
          "eur,1.1,2025-01-01", "EUR,0,2025-02-01")  # fmt: skip
    pull(tmp_path, store)
    assert store.con.execute("SELECT id, currency FROM exchange_rates").fetchall() == [
        ("eur|2025-01-01", "EUR")
    ]
    assert quarantine(store)[0][5] == "rate must be positive"


def test_duplicate_ids_last_line_wins(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "owners.csv", "id,name", "u1,Old", "u1,New")
    pull(tmp_path, store)
    assert store.con.execute("SELECT name FROM owners").fetchall() == [("New",)]
    assert quarantine(store)[0][1:] == (2, "u1", "id", "u1", "duplicate id: line 3 wins")


def test_pulling_the_same_export_twice_changes_nothing(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "owners.csv", "id,name,team", "u1,Ann,T1", "u2,Bob,T2", "u3,,T2,x")
    pull(tmp_path, store)
    before = store.con.execute("SELECT * FROM owners ORDER BY id").fetchall()
    q_before = [r[:6] for r in quarantine(store)]
    results = pull(tmp_path, store)
    assert store.con.execute("SELECT * FROM owners ORDER BY id").fetchall() == before
    assert [r[:6] for r in quarantine(store)] == q_before
    assert results["owners"].deleted == 0  # type: ignore[attr-defined]


def test_record_missing_from_later_export_is_deleted_then_revived(
    tmp_path: Path, store: Store
) -> None:
    write(tmp_path, "owners.csv", "id,name", "u1,Ann", "u2,Bob")
    pull(tmp_path, store)
    write(tmp_path, "owners.csv", "id,name", "u1,Ann")
    results = pull(tmp_path, store)
    assert results["owners"].deleted == 1  # type: ignore[attr-defined]
    assert store.count("owners") == 1
    assert store.count("owners", live_only=False) == 2
    write(tmp_path, "owners.csv", "id,name", "u1,Ann", "u2,Bob")
    pull(tmp_path, store)
    assert store.count("owners") == 2


def test_quarantined_record_keeps_its_last_good_version(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "owners.csv", "id,name,active", "u1,Ann,true")
    pull(tmp_path, store)
    write(tmp_path, "owners.csv", "id,name,active", "u1,Ann,perhaps")
    results = pull(tmp_path, store)
    assert results["owners"].deleted == 0  # type: ignore[attr-defined]
    assert store.con.execute("SELECT active, is_deleted FROM owners").fetchall() == [(True, False)]


def test_unterminated_quote_is_quarantined_not_fatal(tmp_path: Path, store: Store) -> None:
    (tmp_path / "owners.csv").write_bytes(b'id,name\nu1,Ann\nu2,"unterminated\n')
    results = pull(tmp_path, store)
    assert results["owners"].loaded == 1  # type: ignore[attr-defined]
    assert [(r[0], r[1]) for r in quarantine(store)] == [("owners.csv", 3)]


def test_undecodable_file_names_the_file(tmp_path: Path, store: Store) -> None:
    (tmp_path / "owners.csv").write_bytes(b"id,name\nu1,\xff\xfe\n")
    with pytest.raises(ExportError, match=r"owners\.csv"):
        pull(tmp_path, store)


def opportunities(folder: Path, store: Store, mapping: dict[str, object] | None = None
                  ) -> IngestResult:  # fmt: skip
    result = pull(folder, store, mapping)["opportunities"]
    assert isinstance(result, IngestResult)
    return result


def test_a_mapping_edit_is_said_and_its_exclusions_counted(tmp_path: Path) -> None:
    write(tmp_path, "opportunities.csv", OPPS_HEADER + ",type",
          "o1,a1,u1,2025-01-05T10:00:00Z,2025-02-01,true,true,10,USD,Test Account",
          "o2,a1,u1,2025-01-05T10:00:00Z,2025-02-01,true,true,20,USD,New",
          "o3,a1,u1,2025-01-05T10:00:00Z,2025-02-01,true,true,30,USD,Test Account")  # fmt: skip
    excluding = {"entities": {"opportunities": {"exclude": {"type": ["Test Account"]}}}}
    with Store(":memory:") as store, Store(":memory:") as fresh:
        assert opportunities(tmp_path, store).notes == []
        edited = opportunities(tmp_path, store, excluding)
        assert edited.deleted == edited.excluded == 2  # left out, not a mass delete
        assert edited.notes == ["crm: mapping changed (exclude.type): opportunities derived "
                                "again from opportunities.csv, read whole as every run: 2 now "
                                "excluded"]  # fmt: skip
        assert opportunities(tmp_path, store, excluding).notes == []
        opportunities(tmp_path, fresh, excluding)
        live = "SELECT * EXCLUDE (source) FROM opportunities WHERE NOT is_deleted ORDER BY id"
        assert store.fetch(live) == fresh.fetch(live)
        assert [r[0] for r in store.fetch(live)] == ["o2"]


def test_constants_and_defaults_fill_what_the_export_lacks(tmp_path: Path, store: Store) -> None:
    """A constant holds for every row (a column of that name is ignored); a default for
    an empty or absent column; a required field may come from either."""
    write(tmp_path, "opps.csv", "Opportunity ID,Created Date,Amount,currency",
          "o1,2025-01-05,,eur", "o2,2025-01-06,250,eur", "o3,2025-01-07,  ,eur")  # fmt: skip
    mapping = {"streams": [{
        "entity": "opportunities", "file": "opps.csv",
        "fields": {"id": "Opportunity ID", "created_at": "Created Date", "amount": "Amount"},
        "constants": {"currency": "usd", "owner_id": "u9"},
        "defaults": {"amount": "100", "is_closed": "false"},
    }]}  # fmt: skip
    assert pull(tmp_path, store, mapping)["opportunities"].loaded == 3  # type: ignore[attr-defined]
    rows = store.con.execute(
        "SELECT id, amount, currency, owner_id, is_closed FROM opportunities ORDER BY id"
    ).fetchall()
    assert rows == [("o1", 100.0, "USD", "u9", False), ("o2", 250.0, "USD", "u9", False),
                    ("o3", 100.0, "USD", "u9", False)]  # fmt: skip
    # an edit of a constant is a mapping change, derived again on the next pull
    mapping["streams"][0]["constants"] = {"currency": "gbp", "owner_id": "u9"}  # type: ignore[index]
    pull(tmp_path, store, mapping)
    assert store.con.execute("SELECT DISTINCT currency FROM opportunities").fetchall() == [("GBP",)]


def test_a_required_field_the_mapping_gives_needs_no_column(tmp_path: Path, store: Store) -> None:
    write(tmp_path, "leads.csv", "id,owner_id", "l1,u1")
    mapping = {"streams": [{"entity": "leads", "defaults": {"created_at": "2025-03-01"}}]}
    assert pull(tmp_path, store, mapping)["leads"].loaded == 1  # type: ignore[attr-defined]
    created = store.con.execute("SELECT created_at FROM leads").fetchone()
    assert created == (dt.datetime(2025, 3, 1),)
