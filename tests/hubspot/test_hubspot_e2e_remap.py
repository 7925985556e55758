"""A mapping edit reaches every stored record (issue 21), through hubspot-api-client's
transport: an edit of what the raw rows hold re-derives the store at no API call, to what
a fresh pull under the new mapping gives; an edit reading a new property reads that
stream whole, and only it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hs_helpers import SCALE, TOKEN_ENV, hubspot_info, source_config, unlimited
from remap_helpers import Pulled, content, differences, pull_notes, upgraded_twin

from connector.crms.config import shipped_mapping
from connector.crms.hubspot import HubSpotSource
from connector.crms.hubspot.mapping import load_mapping
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e
SHIPPED = shipped_mapping("hubspot.yaml").read_text(encoding="utf-8")
DEALS_END = "      won_fallback: hs_is_closed_won\n"


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# Each kind of rule, as (mapping before, mapping after); every property they read is
# read by the mapping before, so the edit needs nothing the store lacks.
EDITS = {
    "fields": (SHIPPED, edit(SHIPPED, "      cost: deal_cost\n", "      cost: amount\n")),
    "values": (SHIPPED, edit(SHIPPED, "        Purchased List: other\n",
                             "        Purchased List: event\n")),
    "exclude": (SHIPPED, edit(SHIPPED, DEALS_END, DEALS_END + "    exclude:\n"
                              "      deal_type_detail: [New Customer]\n")),
    "constants": (SHIPPED, edit(SHIPPED, "      method: phone\n", "      method: in_person\n")),
    "defaults": (SHIPPED, edit(SHIPPED, "      contact_method: other\n\n",
                               "      contact_method: other\n      cost: '0'\n\n")),
}  # fmt: skip
NEW_PROPERTY = edit(SHIPPED, DEALS_END, DEALS_END + "    exclude:\n      dealtype: [newbusiness]\n")


@pytest.fixture(scope="module")
def org() -> Iterator[Sandbox]:
    """One small portal for the tests, which never change it."""
    with Sandbox(seed=7, scale=SCALE) as sb, pytest.MonkeyPatch.context() as patch:
        patch.setenv(TOKEN_ENV, hubspot_info(sb)["access_token"])
        unlimited(sb)
        yield sb


@pytest.fixture(scope="module")
def pulled(org: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Pulled[HubSpotSource]:
    def make(path: Path) -> HubSpotSource:
        config = source_config(org, mapping=str(path))
        return HubSpotSource(config, load_mapping(path), "UTC")

    return Pulled(tmp_path_factory.mktemp("pulled"), make)


UNCHANGED = {"hubspot.search": 5, "hubspot.recentEngagements": 1}  # a quiet night


@pytest.mark.parametrize("kind", EDITS)
def test_an_edit_rederives_every_stored_record_at_no_api_call(
    org: Sandbox, pulled: Pulled[HubSpotSource], tmp_path: Path, kind: str
) -> None:
    before, after = EDITS[kind]
    with pulled.copy(before, tmp_path / "store.duckdb") as store:
        org.reset_stats()
        said = pull_notes(pulled.source(after), store)
        assert dict(org.stats()["endpoints"]) == UNCHANGED
        assert said, "the run says what it re-derived"
        assert all("re-derived from the store, 0 API calls" in n for n in said), said
        assert differences(content(store), pulled.content(after)) == []
    assert differences(pulled.content(before), pulled.content(after)) != []  # a real edit


def test_an_exclusion_says_how_many_records_it_leaves_out(
    org: Sandbox, pulled: Pulled[HubSpotSource], tmp_path: Path
) -> None:
    before, after = EDITS["exclude"]
    with pulled.copy(before, tmp_path / "store.duckdb") as store:
        new = store.scalar("SELECT count(*) FROM opportunities WHERE type = 'New Customer' "
                           "AND NOT is_deleted")  # fmt: skip
        (said,) = pull_notes(pulled.source(after), store)
    assert new > 0
    assert said.startswith("hs: mapping changed (exclude.deal_type_detail): opportunities "
                           "from deals API re-derived from the store, 0 API calls: ")
    assert f", {new} now excluded, 0 changed" in said


def test_a_new_property_reads_that_stream_whole_and_only_it(
    org: Sandbox, pulled: Pulled[HubSpotSource], tmp_path: Path
) -> None:
    with pulled.copy(SHIPPED, tmp_path / "store.duckdb") as store:
        deals = store.scalar("SELECT count(*) FROM opportunities")
        org.reset_stats()
        said = pull_notes(pulled.source(NEW_PROPERTY), store)
        called = dict(org.stats()["endpoints"])
        assert said[0].startswith("hs: deals: the mapping now reads dealtype, not pulled yet: "
                                  f"read whole (~{deals:,} records, ~")  # fmt: skip
        assert len(said) == 2, said
        assert differences(content(store), pulled.content(NEW_PROPERTY)) == []
        live = store.scalar("SELECT count(*) FROM opportunities WHERE NOT is_deleted")
        assert 0 < live < deals
        assert said[1].endswith("derived from the records just read whole: "
                                f"{deals:,} records, {deals - live:,} left out by the "
                                "mapping"), said[1]  # fmt: skip
        # only the deals were read again: the other streams' quiet searches stay
        assert called.get("hubspot.recentEngagements") == 1
        # the property is now held: the next edit of its values costs no call
        both = edit(NEW_PROPERTY, "[newbusiness]", "[newbusiness, existingbusiness]")
        org.reset_stats()
        said = pull_notes(pulled.source(both), store)
        assert len(said) == 1, said
        assert "re-derived from the store, 0 API calls" in said[0]
        assert dict(org.stats()["endpoints"]) == UNCHANGED


def test_last_releases_mapping_gives_the_same_store_and_its_upgrade_derives_nothing(
    org: Sandbox, pulled: Pulled[HubSpotSource], tmp_path: Path
) -> None:
    """The shipped mapping as the previous release wrote it (`properties`,
    `company_properties`) pulls the same store as its upgraded twin; switching a store to
    the upgraded file re-derives and re-reads nothing (the same fingerprints)."""
    old, new = upgraded_twin("hubspot.yaml", tmp_path)
    assert "    properties:" in old
    assert "    properties:" not in new
    assert differences(pulled.content(old), pulled.content(new)) == []
    with pulled.copy(old, tmp_path / "store.duckdb") as store:
        org.reset_stats()
        said = pull_notes(pulled.source(new), store)
        assert dict(org.stats()["endpoints"]) == UNCHANGED
        assert not any("mapping changed" in n for n in said), said
        assert differences(content(store), pulled.content(new)) == []
