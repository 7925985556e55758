"""Opening the store and writing the dashboard: a user's wrong path is a sentence with the
path and exit 2 (3 when another process holds the store), files are private."""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli import main
from connector.errors import LockedError, StoreError
from connector.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "owners.csv").write_text("id,name,email\nu1,Ann,ann@example.com\n")
    return write_config(tmp_path, "store/crm-kpi.duckdb")


def write_config(folder: Path, store: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        f"store: {{path: '{store}'}}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\n"
    )
    return path


def test_a_new_store_and_its_missing_folder_are_created_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "crm-kpi.duckdb"
    with Store(path) as store:
        store.execute("CREATE TABLE t (a INTEGER)")
    assert mode(path) == 0o600


def test_an_existing_store_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "crm-kpi.duckdb"
    Store(path).close()
    path.chmod(0o640)
    Store(path).close()
    assert mode(path) == 0o640


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("exports", "is a folder: name a file in it, like"),
        ("exports/owners.csv/crm-kpi.duckdb", "owners.csv"),
        ("/proc/crm-kpi-test/crm-kpi.duckdb", "/proc/crm-kpi-test"),
        ("exports/owners.csv", "is not a DuckDB database: point store.path in the config"),
    ],
)
def test_a_path_that_cannot_be_a_store_exits_2_naming_it(
    config: Path, capsys: pytest.CaptureFixture[str], store: str, message: str
) -> None:
    write_config(config.parent, store)
    commands = [["pull"], ["run"], ["dashboard", "--out", "x.html"]]
    if (config.parent / store).exists():
        commands.append(["status"])  # (without a store, status says there are no runs)
    for command in commands:
        assert main([*command, "--config", str(config)]) == 2, command
        err = capsys.readouterr().err
        assert message in err, command
        assert "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder_exits_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = config.parent / "locked"
    locked.mkdir(mode=0o500)
    write_config(config.parent, "locked/sub/crm-kpi.duckdb")
    assert main(["pull", "--config", str(config)]) == 2
    assert "cannot create its folder" in capsys.readouterr().err


def test_a_store_held_by_another_process_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "crm-kpi.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(LockedError, match=rf"in use by another process \(pid {holder.pid}\)"):
            Store(path)
    finally:
        holder.kill()
        holder.communicate()


def test_store_error_is_exit_2() -> None:
    assert StoreError("x").exit_code == 2


def test_the_dashboard_is_private_unless_asked(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pull", "--config", str(config)]) == 0
    out = config.parent / "site" / "kpis.html"
    assert main(["dashboard", "--config", str(config), "--out", str(out)]) == 0
    assert mode(out) == 0o600
    assert main(["dashboard", "--config", str(config), "--out", str(out), "--mode", "644"]) == 0
    assert mode(out) == 0o644
    assert [p.name for p in out.parent.iterdir()] == ["kpis.html"]  # no temp file left
    capsys.readouterr()
    with pytest.raises(SystemExit) as caught:
        main(["dashboard", "--config", str(config), "--mode", "999"])
    assert caught.value.code == 2
    assert "not an octal file mode like 600 or 644: '999'" in capsys.readouterr().err


def test_dashboard_into_a_folder_exits_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = config.parent / "site"
    folder.mkdir()
    assert main(["dashboard", "--config", str(config), "--out", str(folder)]) == 2
    assert f"{folder} is a folder: name the HTML file, like {folder / 'kpis.html'}" in (
        capsys.readouterr().err
    )


def test_files_a_command_creates_are_private(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DuckDB creates and removes the store's write-ahead log by itself: only the
    # process umask reaches it, so the command sets one.
    created = config.parent / "made-during-the-command"

    def pull(*args: object, **kwargs: object) -> object:
        created.write_text("x")
        raise StoreError("stop here")

    monkeypatch.setattr("connector.pipeline.pull", pull)
    before = os.umask(0o022)
    os.umask(before)
    assert main(["pull", "--config", str(config)]) == 2
    assert mode(created) == 0o600
    assert os.umask(before) == before  # the caller's umask is back


def test_duckdb_write_ahead_log_follows_the_umask(tmp_path: Path) -> None:
    before = os.umask(0o077)
    try:
        with Store(tmp_path / "s.duckdb") as store:
            store.execute("CREATE TABLE t AS SELECT 1 AS a")
            assert mode(tmp_path / "s.duckdb.wal") == 0o600
    finally:
        os.umask(before)


def test_an_os_error_about_a_users_path_is_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["init", "--crm", "files", "--dir", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {blocker / 'sub'}") or err.startswith(f"error: {blocker}")
    assert "Traceback" not in err


def test_a_bug_exits_70_with_one_sentence_and_its_traceback_in_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise OSError("internal state went wrong")  # no file name: not the user's path

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("connector.commands.admin.cmd_init", broken)
    assert main(["init", "--crm", "files"]) == 70
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "crm-kpi failed unexpectedly (OSError during crm-kpi init)" in err
    assert "Traceback" not in err
    report = next(tmp_path.glob("crm-kpi-crash-*.txt"))
    assert str(report) in err
    assert "internal state went wrong" in report.read_text()
    assert "Traceback" in report.read_text()
    assert mode(report) == 0o600
