"""Broken exports as real admins produce them: stray quotes, extra columns, encodings,
empty files, partial exports. Nothing is lost silently and nothing is deleted by mistake."""

from __future__ import annotations

import csv
import io
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.cli import main
from connector.crms.files import FilesMapping, FilesSource
from connector.errors import ExportError, MassDeleteError
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult, ParseOptions, Store, csvfile

ACCOUNTS = "id,name,owner_id,territory,created_at,churned_at"


def account(i: int) -> str:
    return f"A{i},Account {i},U1,,2025-01-01T00:00:00Z,"


def write_accounts(folder: Path, lines: list[str]) -> Path:
    path = folder / "accounts.csv"
    path.write_text("\n".join([ACCOUNTS, *lines]) + "\n", encoding="utf-8")
    return path


def pull(
    folder: Path, store: Store, mapping: dict[str, object] | None = None,
    max_delete_share: float | None = 0.1,
) -> dict[str, IngestResult]:  # fmt: skip
    source = FilesSource("crm", folder, FilesMapping.model_validate(mapping or {}), "UTC",
                         max_delete_share)  # fmt: skip
    return {r.entity: r for r in source.pull(store)}


def quarantine(store: Store, entity: str = "accounts") -> list[tuple[object, ...]]:
    return store.fetch(
        "SELECT line, value, reason FROM quarantine WHERE entity = ? ORDER BY line", [entity]
    )


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "exports").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: exports, type: files, path: exports, mapping: files.yaml}\n"
    )
    (tmp_path / "files.yaml").write_text("delimiter: ','\n")
    return path


def test_a_stray_quote_is_one_quarantined_line_and_reading_resumes(
    tmp_path: Path, store: Store
) -> None:
    lines = [account(i) for i in range(600)]
    write_accounts(tmp_path, lines)
    pull(tmp_path, store)
    broken = 'A99999,"unterminated,U1,,2025-01-01T00:00:00Z,'
    write_accounts(tmp_path, [*lines[:2], broken, *lines[3:]])
    result = pull(tmp_path, store)["accounts"]
    assert (result.loaded, result.quarantined, result.deleted) == (599, 1, 0)
    assert quarantine(store) == [
        (4, broken, "a quoted value opened on this line is never closed (a stray quote?)")
    ]
    assert result.notes == [
        "accounts.csv: nothing marked deleted, as 1 line could not be read (see the quarantine)"
    ]
    # The record on the broken line keeps its last good version.
    assert store.count("accounts") == 600


def test_a_stray_quote_deep_in_a_big_file_loses_no_line(tmp_path: Path, store: Store) -> None:
    # Big enough for DuckDB to read it in parallel chunks, where an open quote makes it
    # drop a whole chunk of lines silently: the line count catches it.
    lines = [account(i) for i in range(400_000)]
    lines[1_000] = 'X1,"never closed,U1,,2025-01-01T00:00:00Z,'
    lines[300_000] = "X2,a,U1,,2025-01-01T00:00:00Z,,extra"
    write_accounts(tmp_path, lines)
    result = pull(tmp_path, store)["accounts"]
    assert (result.loaded, result.quarantined) == (399_998, 2)
    assert [row[0] for row in quarantine(store)] == [1_002, 300_002]
    assert store.scalar("SELECT count(*) FROM accounts WHERE id = 'A399999'") == 1


def test_a_quote_closed_lines_later_costs_only_its_own_line(
    tmp_path: Path, store: Store
) -> None:
    write_accounts(tmp_path, [account(1), 'A2,"Acme,U1,,2025-01-01T00:00:00Z,', account(3),
                              'A4,"Beta" Inc,U1,,2025-01-01T00:00:00Z,', account(5)])  # fmt: skip
    result = pull(tmp_path, store)["accounts"]
    assert result.loaded == 3
    assert [row[0] for row in quarantine(store)] == [3, 5]
    assert sorted(r[0] for r in store.fetch("SELECT id FROM accounts")) == ["A1", "A3", "A5"]


def test_extra_or_missing_columns_are_one_quarantine_row_each(
    tmp_path: Path, store: Store
) -> None:
    write_accounts(tmp_path, [account(1), account(2) + ",x,y,z", "A3,short", account(4)])
    result = pull(tmp_path, store)["accounts"]
    assert (result.loaded, result.quarantined) == (2, 2)
    assert [(r[0], r[2]) for r in quarantine(store)] == [
        (3, "expected 6 columns, found 9"),
        (4, "expected 6 columns, found 2"),
    ]


def test_multi_line_values_blank_lines_and_crlf_keep_physical_lines(
    tmp_path: Path, store: Store
) -> None:
    body = [ACCOUNTS, 'A1,"Acme\r\nHolding",U1,,2025-01-01,', "", "A2,Beta,U1,,2025-01-01,",
            "A3,Gamma,U1,,not a date,"]  # fmt: skip
    (tmp_path / "accounts.csv").write_bytes("\r\n".join(body).encode() + b"\r\n")
    result = pull(tmp_path, store)["accounts"]
    assert (result.loaded, result.quarantined) == (2, 1)
    assert store.scalar("SELECT name FROM accounts WHERE id = 'A1'") == "Acme\r\nHolding"
    assert quarantine(store) == [(6, "not a date", "not a valid timestamp (expected ISO 8601)")]


def test_both_readers_give_a_line_the_same_verdict(tmp_path: Path, store: Store) -> None:
    lines = [account(1), 'A2,5" screen,U1,,2025-01-01,', 'A3,"Beta" Inc,U1,,2025-01-01,']
    write_accounts(tmp_path, lines)
    fast = pull(tmp_path, store)["accounts"]
    fast_quarantine = quarantine(store)
    write_accounts(tmp_path, [*lines, ""])  # a blank line: read by the careful reader
    careful = pull(tmp_path, store)["accounts"]
    assert (fast.loaded, fast.quarantined) == (careful.loaded, careful.quarantined) == (2, 1)
    assert quarantine(store) == fast_quarantine == [
        (4, lines[2], "a quoted value is followed by more text before the delimiter "
         "(a stray quote?)")
    ]  # fmt: skip


def test_a_mass_delete_stops_with_file_entity_and_counts(tmp_path: Path, store: Store) -> None:
    write_accounts(tmp_path, [account(i) for i in range(600)])
    pull(tmp_path, store)
    write_accounts(tmp_path, [account(0), account(1)])
    with pytest.raises(MassDeleteError) as caught:
        pull(tmp_path, store)
    assert str(caught.value).startswith(
        "accounts.csv: this load would mark 598 of the 600 accounts of source crm deleted "
        "(99.7%), more than max_delete_share (10%) allows; nothing of accounts was changed."
    )
    assert store.count("accounts") == 600
    # Up to the share is a normal load; past it only when allowed.
    write_accounts(tmp_path, [account(i) for i in range(540)])
    assert pull(tmp_path, store)["accounts"].deleted == 60
    write_accounts(tmp_path, [account(0)])
    assert pull(tmp_path, store, max_delete_share=None)["accounts"].deleted == 539


def test_a_missing_file_is_a_mass_delete_too(tmp_path: Path, store: Store) -> None:
    write_accounts(tmp_path, [account(i) for i in range(10)]).parent.joinpath("x").touch()
    pull(tmp_path, store)
    (tmp_path / "accounts.csv").unlink()
    with pytest.raises(MassDeleteError, match=r"\(accounts\.csv is not in "):
        pull(tmp_path, store)


def test_mass_delete_through_the_cli_exits_2_unless_allowed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = config.parent / "exports"
    write_accounts(exports, [account(i) for i in range(20)])
    assert main(["pull", "--config", str(config)]) == 0
    write_accounts(exports, [account(0)])
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 2
    err = capsys.readouterr().err
    assert "accounts.csv: this load would mark 19 of the 20 accounts" in err
    assert "Traceback" not in err
    assert main(["pull", "--config", str(config)]) == 2
    assert main(["pull", "--config", str(config), "--allow-mass-delete"]) == 0
    assert "exports.accounts: 1 loaded, 0 quarantined, 19 deleted" in capsys.readouterr().out


def test_the_share_is_a_config_key(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exports = config.parent / "exports"
    write_accounts(exports, [account(i) for i in range(4)])
    assert main(["pull", "--config", str(config)]) == 0
    config.write_text(config.read_text().replace("files.yaml}", "files.yaml, "
                                                 "max_delete_share: 0.5}"))  # fmt: skip
    write_accounts(exports, [account(0), account(1)])
    assert main(["pull", "--config", str(config)]) == 0
    assert "2 deleted" in capsys.readouterr().out


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom(tmp_path: Path, store: Store, bom: bytes) -> None:
    text = f"{ACCOUNTS}\nA1,Société Générale,U1,,2025-01-01,\n"
    (tmp_path / "accounts.csv").write_bytes(bom + text.encode())
    assert pull(tmp_path, store)["accounts"].loaded == 1
    assert store.scalar("SELECT name FROM accounts") == "Société Générale"


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16", "shift_jis"])
def test_encodings_named_in_the_mapping(tmp_path: Path, store: Store, encoding: str) -> None:
    name = "東京商事" if encoding == "shift_jis" else "Société Générale"
    text = f"{ACCOUNTS}\nA1,{name},U1,,2025-01-01,\nA2,B,U1,,2025-01-01,\n"
    (tmp_path / "accounts.csv").write_bytes(text.encode(encoding))
    assert pull(tmp_path, store, {"encoding": encoding})["accounts"].loaded == 2
    assert store.scalar("SELECT name FROM accounts WHERE id = 'A1'") == name


def test_a_latin1_file_read_as_utf8_names_file_line_and_byte(tmp_path: Path, store: Store) -> None:
    head = f"{ACCOUNTS}\nA1,Acme,U1,,2025-01-01,\n".encode()
    (tmp_path / "accounts.csv").write_bytes(head + "A2,Société,U1,,2025-01-01,\n".encode("latin-1"))
    offset = len(head) + len("A2,Soci")
    with pytest.raises(ExportError) as caught:
        pull(tmp_path, store)
    assert str(caught.value) == (
        f"accounts.csv: not valid utf-8 at byte {offset} (line 3): the file is probably "
        "latin-1 or cp1252 (Excel on Windows); set `encoding: cp1252` in the mapping"
    )
    assert store.count("accounts") == 0


def test_a_bad_byte_in_a_big_file_is_located_exactly(tmp_path: Path, store: Store) -> None:
    lines = [account(i) for i in range(300_000)]
    lines[250_000] = "A250000,Caf\xe9,U1,,2025-01-01,"
    body = "\n".join([ACCOUNTS, *lines]) + "\n"
    data = body.encode("utf-8").replace("Caf\xe9".encode(), b"Caf\xe9")
    (tmp_path / "accounts.csv").write_bytes(data)
    offset = data.index(bytes([0xE9]))
    with pytest.raises(ExportError, match=rf"at byte {offset:,} \(line 250,002\)"):
        pull(tmp_path, store)


def test_a_utf16_file_read_as_utf8(tmp_path: Path, store: Store) -> None:
    (tmp_path / "accounts.csv").write_bytes(f"{ACCOUNTS}\n".encode("utf-16"))
    with pytest.raises(ExportError, match=r"not UTF-8 at byte 0 \(line 1\).*encoding: utf-16"):
        pull(tmp_path, store)
    (tmp_path / "accounts.csv").write_bytes(f"{ACCOUNTS}\n".encode("utf-16-le"))
    with pytest.raises(ExportError, match="NUL characters: the file is probably UTF-16"):
        pull(tmp_path, store)


def test_a_wrong_byte_in_another_encoding_names_its_offset(tmp_path: Path, store: Store) -> None:
    # 0x81 is one of the five bytes cp1252 leaves undefined.
    (tmp_path / "accounts.csv").write_bytes(f"{ACCOUNTS}\nA1,x".encode() + b"\x81\n")
    with pytest.raises(ExportError, match=rf"not valid cp1252 at byte {len(ACCOUNTS) + 5} "
                       r"\(line 2\)"):  # fmt: skip
        pull(tmp_path, store, {"encoding": "cp1252"})


@pytest.mark.parametrize(
    ("encoding", "problem"),
    [("klingon", "unknown text encoding 'klingon'"), ("base64", "unknown text encoding")],
)
def test_the_mapping_accepts_only_text_codecs(
    config: Path, capsys: pytest.CaptureFixture[str], encoding: str, problem: str
) -> None:
    (config.parent / "files.yaml").write_text(f"delimiter: ','\nencoding: {encoding}\n")
    assert main(["validate", "--config", str(config)]) == 2
    assert f"files.yaml:2 encoding: {problem}" in capsys.readouterr().err


def test_export_problems_exit_2_with_a_sentence(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = config.parent / "exports"
    (exports / "accounts.csv").write_bytes(b"")
    assert main(["pull", "--config", str(config)]) == 2
    assert "accounts.csv is empty (0 bytes)" in capsys.readouterr().err
    write_accounts(exports, [account(1)])
    (config.parent / "files.yaml").write_text(textwrap.dedent("""\
        entities:
          accounts: {columns: {territory: Region}}
        """))
    for command in ("pull", "run", "validate"):
        assert main([command, "--config", str(config)]) == 2
        err = capsys.readouterr().err
        assert "accounts.csv:1 column 'Region' mapped to accounts.territory" in err
        assert "Traceback" not in err


_CELL = st.text(alphabet=st.sampled_from(list('ab ,"é;')), max_size=6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(rows=st.lists(st.lists(_CELL, min_size=2, max_size=4), min_size=1, max_size=12))
def test_the_fast_reader_and_the_careful_one_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[str]]
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "name", "team"])
    writer.writerows([f"u{i}", *cells] for i, cells in enumerate(rows))
    (tmp_path / "owners.csv").write_text(buffer.getvalue(), encoding="utf-8")

    def loaded() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        with Store(":memory:") as store:
            csvfile.load_csv(store, source="crm", entity=ENTITY_BY_NAME["owners"],
                             path=tmp_path / "owners.csv", layout=csvfile.CsvLayout(),
                             opts=ParseOptions())  # fmt: skip
            return (store.fetch("SELECT id, name, team FROM owners ORDER BY id"),
                    quarantine(store, "owners"))  # fmt: skip

    fast = loaded()
    with monkeypatch.context() as patched:
        patched.setattr(csvfile, "_read_fast", lambda *args: False)
        assert loaded() == fast


def test_windows_line_ends_with_a_rejected_line_stay_on_the_fast_reader(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = [ACCOUNTS, account(1), account(2) + ",x", account(3)]
    (tmp_path / "accounts.csv").write_bytes("\r\n".join(body).encode() + b"\r\n")
    monkeypatch.setattr(csvfile, "_read_carefully", None)  # called, it would fail
    result = pull(tmp_path, store)["accounts"]
    assert (result.loaded, result.quarantined) == (2, 1)
    assert quarantine(store) == [(3, account(2) + ",x", "expected 6 columns, found 7")]
