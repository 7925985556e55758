"""End to end: full pulls through HubSpot's CRM exports API (`pull.exports: true`),
through hubspot-api-client against the sandbox's exports emulation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hs_helpers import TOKEN_ENV, hubspot_surface, source_config

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource, advice
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.mapping import load_mapping
from connector.store import Store
from crm_sandbox import Sandbox
from crm_sandbox.hubspot.auth import ALL_SCOPES

pytestmark = pytest.mark.e2e
SHIPPED = load_mapping(shipped_mapping("hubspot.yaml"))
# Goals are few and always read through list pages; these tests count the streams' calls.
MAPPING = SHIPPED.model_copy(update={"targets": SHIPPED.targets.model_copy(update={"goals": None})})
TABLES = ("owners", "opportunities", "leads", "accounts", "line_items", "activities",
          "survey_responses")  # fmt: skip


def source(sb: Sandbox, exports: bool | str = True, **pull: Any) -> HubSpotSource:
    config = source_config(sb, pull={"exports": exports, "export_poll_seconds": 0, **pull})
    return HubSpotSource(config, MAPPING, "UTC")


def rows(store: Store, table: str) -> list[tuple[object, ...]]:
    return store.fetch(f"SELECT * EXCLUDE (source) FROM {table} ORDER BY id")


def raw(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """The raw layer, per stream: what a mapping edit re-derives the tables from."""
    found = store.fetch("SELECT stream, raw_table, columns FROM raw_streams ORDER BY stream")
    assert len(found) >= len(MAPPING.streams)
    return {stream: [(columns,), *store.fetch(f"SELECT * FROM {table} ORDER BY id")]
            for stream, table, columns in found}  # fmt: skip


def assert_same(exported: Store, listed: Store) -> None:
    for table in TABLES:
        assert rows(exported, table) == rows(listed, table), table
    exported_raw, listed_raw = raw(exported), raw(listed)
    for stream, kept in listed_raw.items():
        assert exported_raw[stream] == kept, stream


def test_a_full_pull_through_exports_loads_what_list_paging_loads(sandbox: Sandbox) -> None:
    with Store(":memory:") as listed, Store(":memory:") as exported:
        source(sandbox, exports=False).pull(listed)
        sandbox.reset_stats()
        by_export = source(sandbox)
        by_export.pull(exported)
        assert_same(exported, listed)
        everything = sum(listed.count(t, source="hs", live_only=False) for t in TABLES[1:])
    assert by_export.records_read == everything
    calls = sandbox.stats()["endpoints"]
    streams = len(MAPPING.streams)
    assert calls["hubspot.exportStart"] == streams
    assert calls["hubspot.exportDownload"] == streams
    assert "hubspot.list" not in calls  # no list pages
    assert "hubspot.associationsBatchRead" not in calls  # associations came in the files


def test_every_export_starts_before_any_is_polled_and_a_quick_one_costs_one_status(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    hubspot_surface(sandbox).exports.limits.processing_seconds = 0.0  # HubSpot quick
    said: list[str] = []
    send = HubSpotClient.call

    def spy(self: HubSpotClient, path: str, method: str, *args: Any, what: str,
            **kwargs: Any) -> Any:  # fmt: skip
        said.append(what)
        return send(self, path, method, *args, what=what, **kwargs)

    monkeypatch.setattr(HubSpotClient, "call", spy)
    with Store(":memory:") as store:
        sandbox.reset_stats()
        source(sandbox).pull(store)
    calls = sandbox.stats()["endpoints"]
    streams = len(MAPPING.streams)
    assert calls["hubspot.exportStart"] == calls["hubspot.exportStatus"] == streams
    exports = [w for w in said if w.startswith("export ")]
    assert all("(status)" not in w for w in exports[:streams])  # all started, then polled
    assert all("(status)" in w for w in exports[streams:])


def test_exports_split_into_zipped_partitions_load_the_same(sandbox: Sandbox) -> None:
    limits = hubspot_surface(sandbox).exports.writer.limits
    limits.rows_per_file, limits.zip_over_bytes = 40, 1_000
    with Store(":memory:") as listed, Store(":memory:") as exported:
        source(sandbox, exports=False).pull(listed)
        source(sandbox).pull(exported)
        assert_same(exported, listed)


def test_after_an_export_the_next_pull_searches_what_changed(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        source(sandbox).pull(store)
        sandbox.org.advance_clock(dt.timedelta(minutes=5))
        keys = sandbox.org.keys("opportunities", "NOT is_deleted", limit=4)
        sandbox.org.update_many("opportunities", [(k, {"amount": 31.0}) for k in keys])
        sandbox.reset_stats()
        source(sandbox).pull(store)
        assert store.scalar("SELECT count(*) FROM opportunities WHERE amount = 31") == 4
    calls = sandbox.stats()["endpoints"]
    assert "hubspot.exportStart" not in calls
    # one search per object, but one call for the four engagement types
    assert calls["hubspot.search"] == len(MAPPING.streams) - 4
    assert calls["hubspot.recentEngagements"] == 1


def test_without_the_export_scope_validate_says_so_and_the_pull_lists(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = hubspot_surface(sandbox).tokens.issue(scopes=ALL_SCOPES - {"crm.export"})
    monkeypatch.setenv(TOKEN_ENV, token)
    problems = source(sandbox).validate()
    assert len(problems) == 1
    assert "crm.export" in problems[0]
    assert "pull.exports" in problems[0]
    assert source(sandbox, exports=False).validate() == []
    said: list[str] = []
    with Store(":memory:") as store:
        source(sandbox).pull(store, progress=said.append)
        assert store.count("opportunities", source="hs") == sandbox.org.count("opportunities")
    assert any("searching instead" in line and "crm.export" in line for line in said)


def test_past_the_days_exports_a_stream_is_listed_instead(sandbox: Sandbox) -> None:
    hubspot_surface(sandbox).exports.limits.per_day = 3
    said: list[str] = []
    with Store(":memory:") as listed, Store(":memory:") as exported:
        source(sandbox, exports=False).pull(listed)
        sandbox.reset_stats()
        source(sandbox).pull(exported, progress=said.append)
        assert_same(exported, listed)
    assert sandbox.stats()["endpoints"]["hubspot.exportStart"] == 4  # 3 exported, 1 refused
    assert sum("searching instead" in line for line in said) == len(MAPPING.streams) - 3


def test_auto_exports_with_the_scope_and_searches_quietly_without(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(":memory:") as store:
        sandbox.reset_stats()
        source(sandbox, exports="auto").pull(store)
        assert sandbox.stats()["endpoints"]["hubspot.exportStart"] == len(MAPPING.streams)
    token = hubspot_surface(sandbox).tokens.issue(scopes=ALL_SCOPES - {"crm.export"})
    monkeypatch.setenv(TOKEN_ENV, token)
    assert source(sandbox, exports="auto").validate() == []  # no problem: a note
    notes = source(sandbox, exports="auto").survey().notes
    assert any("pull.exports is auto" in n and "crm.export" in n for n in notes)
    said: list[str] = []
    with Store(":memory:") as store:
        sandbox.reset_stats()
        source(sandbox, exports="auto", purge_check_every_hours=0).pull(store, progress=said.append)
        assert store.count("opportunities", source="hs") == sandbox.org.count("opportunities")
    assert not [line for line in said if "export" in line]  # validate's note says it
    assert sandbox.stats()["endpoints"]["hubspot.exportStart"] == 1  # the refusal, once


def test_validate_and_a_first_pull_say_what_exports_would_save(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(advice, "WORTH", 10)  # a small portal: small figures
    notes = source(sandbox, exports=False).survey().notes
    (said,) = [n for n in notes if "crm.export" in n]
    assert "pull.exports: auto" in said
    assert f"where exports would cost about {2 * len(MAPPING.streams)}" in said
    lines: list[str] = []
    with Store(":memory:") as store:
        sandbox.reset_stats()
        first = source(sandbox, exports=False)
        first.pull(store, progress=lines.append)
        (note,) = [line for line in lines if "this first pull cost" in line]
        assert f"for {first.records_read:,} records in {len(MAPPING.streams)} objects" in note
        lines.clear()
        source(sandbox, exports=False).pull(store, progress=lines.append)  # no full pull
        assert not [line for line in lines if "crm.export" in line]
    token = hubspot_surface(sandbox).tokens.issue(scopes=ALL_SCOPES - {"crm.export"})
    monkeypatch.setenv(TOKEN_ENV, token)
    assert not [n for n in source(sandbox, exports=False).survey().notes if "crm.export" in n]
