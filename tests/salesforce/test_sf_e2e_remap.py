"""A mapping edit reaches every stored record (issue 21), through simple-salesforce:
an edit of what the raw rows hold re-derives the store at no API call, to what a fresh
pull under the new mapping gives; an edit reading a new field reads that stream whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from remap_helpers import Pulled, content, differences, pull_notes, upgraded_twin
from sf_helpers import make_source

from connector.crms.config import shipped_mapping
from connector.crms.salesforce.read import SalesforceSource
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
SHIPPED = shipped_mapping("salesforce.yaml").read_text(encoding="utf-8")
OPPORTUNITY_END = "      contact_method: other\n    # include:"


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


# Each kind of rule, as (mapping before, mapping after); every field they read is read
# by the mapping before, so the edit needs nothing the store lacks.
EDITS = {
    "fields": (SHIPPED, edit(SHIPPED, "      cost: Cost__c\n", "      cost: Amount\n")),
    "fields_unquarantine": (
        edit(SHIPPED, "      cost: Cost__c\n", "      cost: Type\n"),  # text: quarantined
        edit(SHIPPED, "      cost: Cost__c\n", "      cost: Amount\n"),
    ),
    "values": (SHIPPED, edit(SHIPPED, "    Purchased List: other\n",
                             "    Purchased List: other\n    Webinar (legacy): event\n")),
    "exclude": (SHIPPED, edit(SHIPPED, OPPORTUNITY_END,
                              "      contact_method: other\n    exclude:\n"
                              "      Type: [New Customer]\n    #")),
    "exclude_removed": (edit(SHIPPED, OPPORTUNITY_END,
                             "      contact_method: other\n    exclude:\n"
                             "      LeadSource: [Web]\n    #"),
                        SHIPPED),
    "constants": (SHIPPED, edit(SHIPPED, "      category: marketing\n", "      category: sales\n")),
    "defaults": (SHIPPED, edit(SHIPPED, "      cost: Cost__c\n",
                               "      cost: {field: Cost__c, default: '0'}\n")),
}  # fmt: skip


@pytest.fixture(scope="module")
def org() -> Iterator[Sandbox]:
    """One small org for the tests that do not change it."""
    with Sandbox(seed=7, scale=0.01) as sb:
        yield sb


def pulled_from(sb: Sandbox, folder: Path) -> Pulled[SalesforceSource]:
    return Pulled(folder, lambda path, **changes: make_source(sb, mapping=str(path), **changes))


@pytest.fixture(scope="module")
def pulled(org: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Pulled[SalesforceSource]:
    return pulled_from(org, tmp_path_factory.mktemp("pulled"))


def calls(sb: Sandbox) -> dict[str, int]:
    return {k: v for k, v in sb.stats()["endpoints"].items() if k != "salesforce.oauth.token"}


UNCHANGED = {"salesforce.composite": 2}  # a pull with nothing to read: its probes


@pytest.mark.parametrize("kind", EDITS)
def test_an_edit_rederives_every_stored_record_at_no_api_call(
    org: Sandbox, pulled: Pulled[SalesforceSource], tmp_path: Path, kind: str
) -> None:
    before, after = EDITS[kind]
    with pulled.copy(before, tmp_path / "store.duckdb") as store:
        org.reset_stats()
        said = pull_notes(pulled.source(after), store)
        assert calls(org) == UNCHANGED
        assert said, "the run says what it re-derived"
        assert all("re-derived from the store, 0 API calls" in n for n in said), said
        assert differences(content(store), pulled.content(after)) == []
    assert differences(pulled.content(before), pulled.content(after)) != []  # a real edit


def test_an_edit_names_what_it_changed(
    org: Sandbox, pulled: Pulled[SalesforceSource], tmp_path: Path
) -> None:
    before, after = EDITS["values"]
    with pulled.copy(before, tmp_path / "values.duckdb") as store:
        webinar = store.scalar("SELECT count(*) FROM findings WHERE value = 'Webinar (legacy)'")
        said = pull_notes(pulled.source(after), store)
    leads = next(n for n in said if "leads from Lead" in n)
    assert leads.startswith("sf: mapping changed (value_maps.lead_source): leads from Lead "
                            "re-derived from the store, 0 API calls: ")  # fmt: skip
    assert f", {webinar} changed" in leads
    before, after = EDITS["exclude"]
    with pulled.copy(before, tmp_path / "exclude.duckdb") as store:
        new = store.scalar("SELECT count(*) FROM opportunities WHERE type = 'New Customer'")
        (said_once,) = pull_notes(pulled.source(after), store)
    assert new > 0
    assert "mapping changed (exclude.Type): opportunities from Opportunity" in said_once
    assert f", {new} now excluded, 0 changed" in said_once


def test_a_new_field_reads_that_stream_whole_and_only_it(
    org: Sandbox, pulled: Pulled[SalesforceSource], tmp_path: Path
) -> None:
    closed_lost = edit(SHIPPED, OPPORTUNITY_END,
                       "      type: Type\n    exclude:\n      StageName: [Closed Lost]\n    #")
    with pulled.copy(SHIPPED, tmp_path / "store.duckdb") as store:
        unchanged = pulled.source(SHIPPED)
        unchanged.pull(store)
        edited = pulled.source(closed_lost)
        said = pull_notes(edited, store)
        opportunities = org.org.count("opportunities")
        assert edited.records_read == unchanged.records_read + opportunities
        assert said[0] == ("sf: Opportunity: the mapping now reads StageName, not pulled "
                           f"yet: read whole ({opportunities:,} records, ~0 API calls after "
                           "the first page, which the run's probe read)")  # fmt: skip
        assert len(said) == 2, said
        assert differences(content(store), pulled.content(closed_lost)) == []
        live = store.scalar("SELECT count(*) FROM opportunities WHERE NOT is_deleted")
        assert live < opportunities
        assert said[1].endswith("derived from the records just read whole: "
                                f"{opportunities:,} records, {opportunities - live:,} left "
                                "out by the mapping"), said[1]  # fmt: skip
        # The field is now held: the next edit of its values costs no call.
        both = edit(closed_lost, "[Closed Lost]", "[Closed Lost, Closed Won]")
        org.reset_stats()
        said = pull_notes(pulled.source(both), store)
        assert len(said) == 1, said
        assert "re-derived from the store, 0 API calls" in said[0]
        assert calls(org) == UNCHANGED


@pytest.mark.slow
def test_deletes_stay_deleted_through_a_rederivation(tmp_path: Path) -> None:
    before, after = EDITS["exclude"]
    reconcile = {"bulk_poll_seconds": 0, "reconcile_every_hours": 0}
    with Sandbox(seed=7, scale=0.01) as sb, Store(":memory:") as store, \
            Store(":memory:") as fresh:  # fmt: skip
        files = pulled_from(sb, tmp_path)
        files.source(before, pull=reconcile).pull(store)
        soft, hard = sb.org.keys("opportunities", limit=2)
        sb.org.advance_clock(dt.timedelta(minutes=10))
        sb.org.soft_delete("opportunities", [soft])
        sb.org.purge("opportunities", [hard])
        files.source(before, pull=reconcile).pull(store)
        live = store.scalar("SELECT count(*) FROM opportunities WHERE NOT is_deleted")
        assert live == sb.org.count("opportunities")
        said = pull_notes(files.source(after, pull=reconcile), store)
        assert any("re-derived from the store" in n for n in said), said
        files.source(after).pull(fresh)
        assert differences(content(store), content(fresh)) == []


def test_last_releases_mapping_gives_the_same_store_and_its_upgrade_derives_nothing(
    org: Sandbox, pulled: Pulled[SalesforceSource], tmp_path: Path
) -> None:
    """The shipped mapping as the previous release wrote it (`fields: {X: {field, values,
    default}}`, `{const}`) pulls the same store as its upgraded twin; switching a store to
    the upgraded file re-derives and re-reads nothing (the same fingerprints)."""
    old, new = upgraded_twin("salesforce.yaml", tmp_path)
    spec = "contact_method: {field: LeadSource"
    assert spec in old
    assert spec not in new
    assert differences(pulled.content(old), pulled.content(new)) == []
    with pulled.copy(old, tmp_path / "store.duckdb") as store:
        org.reset_stats()
        said = pull_notes(pulled.source(new), store)
        assert calls(org) == UNCHANGED
        assert not any("mapping changed" in n for n in said), said
        assert differences(content(store), pulled.content(new)) == []
