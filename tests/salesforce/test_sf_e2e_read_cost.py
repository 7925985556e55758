"""End to end: what a nightly Salesforce pull costs when little or nothing changed.

Calls are counted by the sandbox (its DailyApiRequests usage), records by the source.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sf_helpers import grant_fields, make_source

from connector.crms.salesforce.read import SalesforceSource
from connector.errors import ConfigError
from connector.store import Store
from connector.store.metadata import cached_metadata, save_metadata
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e

TABLES = ("owners", "accounts", "leads", "opportunities", "line_items", "activities",
          "survey_responses", "costs", "exchange_rates")  # fmt: skip
CHANGED = (("opportunities", "amount", 42.0), ("leads", "status", "Working - Contacted"),
           ("activities", "subject", "changed"))  # fmt: skip


def used(sb: Sandbox) -> int:
    return sb.salesforce.ctx.usage.snapshot()[0]


def pulled(sb: Sandbox, source: SalesforceSource, store: Store) -> tuple[int, int]:
    """(API calls the org counted, records the source read) of one pull."""
    before = used(sb)
    source.pull(store)
    return used(sb) - before, source.records_read


def change_one_percent(sb: Sandbox) -> int:
    changed = 0
    for table, column, value in CHANGED:
        keys = sb.org.keys(table, "NOT is_deleted")[::100]
        sb.org.update_many(table, [(k, {column: value}) for k in keys])
        changed += len(keys)
    return changed


def whole_each_run(sb: Sandbox) -> int:
    """Records of the streams the shipped mapping pulls whole every run (rates)."""
    return sb.org.count("dated_rates")


def rows(store: Store, table: str) -> list[tuple[object, ...]]:
    return store.fetch(f"SELECT * EXCLUDE (source) FROM {table} ORDER BY id")


def test_an_unchanged_org_costs_two_calls(sandbox: Sandbox, store: Store) -> None:
    source = make_source(sandbox)
    source.pull(store)
    sandbox.reset_stats()
    calls, read = pulled(sandbox, source, store)
    assert calls <= 2
    assert read == whole_each_run(sandbox)
    assert sandbox.stats()["endpoints"] == {"salesforce.composite": calls,
                                            "salesforce.oauth.token": 1}


def test_one_percent_changed_reads_only_the_changes(sandbox: Sandbox, store: Store) -> None:
    source = make_source(sandbox)
    source.pull(store)
    changed = change_one_percent(sandbox)
    calls, read = pulled(sandbox, source, store)
    assert calls <= 5
    assert read - whole_each_run(sandbox) <= 1.1 * changed
    assert read - whole_each_run(sandbox) >= changed
    with Store(":memory:") as fresh:
        make_source(sandbox).pull(fresh)
        for table in TABLES:
            assert rows(store, table) == rows(fresh, table), table


def closed(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM leads WHERE status = 'Closed - Not Converted' "
                            "AND NOT is_deleted"))  # fmt: skip


def test_a_change_committed_late_within_the_overlap_is_read(
    sandbox: Sandbox, store: Store
) -> None:
    source = make_source(sandbox)
    source.pull(store)
    settled = store.get_state("sf", "leads:Lead")["settled"]  # type: ignore[index]
    late = dt.datetime.fromisoformat(settled).replace(tzinfo=None) + dt.timedelta(seconds=30)
    key = sandbox.org.keys("leads", "NOT is_deleted AND status != 'Closed - Not Converted'",
                           limit=1)[0]  # fmt: skip
    before = closed(store)
    sandbox.org.update("leads", key, {"status": "Closed - Not Converted"})
    sandbox.org.touch("leads", [key], at=late)  # stamped before the previous pull ran
    source.pull(store)
    assert closed(store) == before + 1


def test_without_a_settled_time_the_overlap_before_the_cursor_is_read_again(
    sandbox: Sandbox, store: Store
) -> None:
    sandbox.faults.add({"kind": "status", "status": 400, "path": "/updated"})
    source = make_source(sandbox)
    source.pull(store)
    assert store.get_state("sf", "leads:Lead")["settled"] is None  # type: ignore[index]
    changed = change_one_percent(sandbox)
    _, read = pulled(sandbox, source, store)
    assert read >= changed
    won = "status = 'Working - Contacted' AND NOT is_deleted"
    assert store.scalar(f"SELECT count(*) FROM leads WHERE {won}") == sandbox.org.count(
        "leads", won)  # fmt: skip


def test_describes_are_kept_and_revalidated_in_the_same_call(
    sandbox: Sandbox, store: Store
) -> None:
    source = make_source(sandbox)
    source.pull(store)
    cached = cached_metadata(store, "sf", "describe:")
    assert {"describe:lead", "describe:userrole", "describe:product2"} <= set(cached)
    with source.transport() as transport:
        transport.restful("tooling/sobjects/CustomField", "POST", json={
            "FullName": "Lead.Nightly_Note__c",
            "Metadata": {"label": "Nightly note", "type": "Text", "length": 40}})
    grant_fields(sandbox, ["Lead.Nightly_Note__c"])  # made through an API: no FLS until granted
    calls, _ = pulled(sandbox, source, store)
    assert calls <= 2  # the changed describe came back in the probing request
    fields = {f["name"] for f in cached_metadata(store, "sf", "describe:lead")
              ["describe:lead"].body["fields"]}  # fmt: skip
    assert "Nightly_Note__c" in fields


def test_a_cached_describe_the_org_no_longer_matches_is_read_again(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    mapping_file = tmp_path / "sf.yaml"
    shipped = (Path(__file__).parents[2] / "connector" / "mappings" / "salesforce.yaml")
    mapping_file.write_text(shipped.read_text().replace("status: Status", "status: Ghost__c"))
    make_source(sandbox).pull(store)
    lead = cached_metadata(store, "sf", "describe:lead")["describe:lead"]
    body = dict(lead.body)
    body["fields"] = [*body["fields"], {**body["fields"][0], "name": "Ghost__c"}]
    save_metadata(store, "sf", "describe:lead", body, last_modified=lead.last_modified)
    source = make_source(sandbox, mapping=str(mapping_file))
    with pytest.raises(ConfigError, match="Ghost__c") as err:
        source.pull(store)
    assert err.value.exit_code == 2


def test_a_large_change_set_goes_to_bulk_without_reading_the_first_page_twice(
    sandbox: Sandbox, store: Store
) -> None:
    source = make_source(sandbox, pull={"bulk_poll_seconds": 0, "bulk_threshold": 5})
    source.pull(store)
    changed = change_one_percent(sandbox)
    sandbox.reset_stats()
    _, read = pulled(sandbox, source, store)
    assert sandbox.stats()["endpoints"].get("salesforce.bulk.query.create", 0) >= 2
    assert read - whole_each_run(sandbox) == changed  # the probe's page is not read again
    with Store(":memory:") as fresh:
        make_source(sandbox).pull(fresh)
        for table in TABLES:
            assert rows(store, table) == rows(fresh, table), table


def test_a_bulk_read_polls_each_job_once_when_it_is_done_by_then(sandbox: Sandbox) -> None:
    with Store(":memory:") as store:
        make_source(sandbox, pull={"bulk_poll_seconds": 1, "bulk_threshold": 10}).pull(store)
    endpoints = sandbox.stats()["endpoints"]
    created = endpoints["salesforce.bulk.query.create"]
    assert created > 1
    assert endpoints["salesforce.bulk.query.get"] == created



def test_the_pages_of_several_changed_streams_are_read_together() -> None:
    with Sandbox(seed=7, scale=0.1) as sandbox, Store(":memory:") as store:
        source = make_source(sandbox)
        source.pull(store)
        keys = sandbox.org.keys("activities", "NOT is_deleted")
        sandbox.org.update_many("activities", [(k, {"subject": "changed"}) for k in keys])
        sandbox.reset_stats()
        calls, read = pulled(sandbox, source, store)
        # Task and Event: their first pages in the probes, every following page (up to
        # five, both streams) in one Composite call
        assert read - whole_each_run(sandbox) == len(keys) > 3 * 2000
        assert calls == 3
        assert sandbox.stats()["endpoints"] == {"salesforce.composite": 3,
                                                "salesforce.oauth.token": 1}  # fmt: skip
        with Store(":memory:") as fresh:
            make_source(sandbox).pull(fresh)
            assert rows(store, "activities") == rows(fresh, "activities")
