"""End to end through the real simple-salesforce against the sandbox: pulls."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from sf_helpers import compute_kpis, make_source

from connector.crms.files import FilesMapping, FilesSource
from connector.crms.salesforce.mapping import SalesforceMapping
from connector.crms.salesforce.read import SalesforceSource
from connector.errors import ConfigError, FatalError
from connector.store import Store
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e

ENTITIES = (
    "owners", "accounts", "leads", "opportunities", "line_items", "activities",
    "survey_responses", "costs", "exchange_rates",
)  # fmt: skip


NEW_DEAL = {
    "name": "New deal", "amount": 1234.0, "stage": "Prospecting", "is_closed": False,
    "is_won": False, "currency": "USD", "owner_n": 1, "account_n": 1,
    "close_date": dt.date(2026, 1, 1),
}  # fmt: skip


def live(store: Store, table: str) -> int:
    return store.count(table, source="sf")


def is_deleted(store: Store, table: str, record_id: str) -> bool:
    row = store.con.execute(f"SELECT is_deleted FROM {table} WHERE id = ?", [record_id]).fetchall()
    return bool(row[0][0])


def test_full_pull_loads_every_entity_like_the_org(sandbox: Sandbox, store: Store) -> None:
    make_source(sandbox).pull(store)
    org = sandbox.org
    assert live(store, "opportunities") == org.count("opportunities")
    assert live(store, "leads") == org.count("leads")
    assert live(store, "activities") == org.count("activities")
    assert live(store, "owners") == org.count("users")
    assert live(store, "exchange_rates") == org.count("dated_rates")
    assert store.con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0


def test_validate_lists_every_missing_field_with_a_hint(sandbox: Sandbox, tmp_path: Path) -> None:
    mapping_file = tmp_path / "sf.yaml"
    shipped = (Path(__file__).parents[2] / "mappings" / "salesforce.yaml").read_text()
    mapping_file.write_text(
        shipped.replace("territory: Territory__c", "territory: Territry__c").replace(
            "amount: Amount", "amount: Amount_Net__c"
        )
    )
    source = make_source(sandbox, mapping=str(mapping_file))
    problems = source.validate()
    assert any("Territry__c" in p and "did you mean Territory__c" in p for p in problems)
    assert any("Amount_Net__c" in p for p in problems)
    with Store(":memory:") as st, pytest.raises(ConfigError, match="does not fit the org") as err:
        source.pull(st)
    assert err.value.exit_code == 2  # the user's file, as validate says, not a CRM stop
    assert str(mapping_file) in err.value.messages[0]


def test_incremental_pull_sees_creates_updates_soft_and_hard_deletes(
    sandbox: Sandbox, store: Store
) -> None:
    source = make_source(sandbox, pull={"bulk_poll_seconds": 0, "reconcile_every_hours": 0})
    source.pull(store)
    org = sandbox.org
    org.advance_clock(dt.timedelta(minutes=10))
    new = org.insert("opportunities", NEW_DEAL)
    changed, soft, hard = org.keys("opportunities", limit=3)
    org.update("opportunities", changed, {"amount": 99.5})
    org.soft_delete("opportunities", [soft])
    org.purge("opportunities", [hard])
    ids = {n: sf_id(sandbox, "Opportunity", n) for n in (new, changed, soft, hard)}
    source.pull(store)
    amount = store.con.execute(
        "SELECT amount FROM opportunities WHERE id = ?", [ids[changed]]
    ).fetchall()
    assert amount == [(99.5,)]
    assert not is_deleted(store, "opportunities", ids[new])
    assert is_deleted(store, "opportunities", ids[soft])
    assert is_deleted(store, "opportunities", ids[hard])
    assert live(store, "opportunities") == org.count("opportunities")


def sf_id(sandbox: Sandbox, sobject: str, n: int) -> str:
    from crm_sandbox.ids import sf_id as make_id
    from crm_sandbox.salesforce.model import OBJECT_PREFIX

    return make_id(OBJECT_PREFIX[sobject], n)


def test_records_sharing_the_boundary_timestamp_are_never_skipped(
    sandbox: Sandbox, store: Store
) -> None:
    org = sandbox.org
    stamp = org.touch("leads")  # every lead on ONE SystemModstamp
    source = make_source(sandbox, pull={"bulk_poll_seconds": 0, "checkpoint_every": 50})
    source.pull(store)
    assert live(store, "leads") == org.count("leads")
    # More records committed later with the very same stamp (a long transaction).
    keys = org.keys("leads", limit=40)
    org.update_many("leads", [(n, {"status": "Working - Contacted"}) for n in keys])
    org.touch("leads", keys, at=stamp)
    source.pull(store)
    working = store.con.execute(
        "SELECT count(*) FROM leads WHERE status = 'Working - Contacted' AND NOT is_deleted"
    ).fetchall()[0][0]
    assert working == org.count("leads", "status = 'Working - Contacted' AND NOT is_deleted")


def test_bulk_path_above_the_threshold_gives_the_same_store(sandbox: Sandbox) -> None:
    with Store(":memory:") as rest, Store(":memory:") as bulk:
        make_source(sandbox).pull(rest)
        make_source(sandbox, pull={"bulk_poll_seconds": 0, "bulk_threshold": 10}).pull(bulk)
        for table in ENTITIES:
            query = f"SELECT * EXCLUDE (source) FROM {table} ORDER BY id"
            assert rest.con.execute(query).fetchall() == bulk.con.execute(query).fetchall(), table
    assert sandbox.stats()["endpoints"].get("salesforce.bulk.query.create", 0) > 0


def test_multi_currency_amounts_and_dated_rates(sandbox: Sandbox, store: Store) -> None:
    make_source(sandbox).pull(store)
    currencies = {r[0] for r in store.con.execute("SELECT currency FROM opportunities").fetchall()}
    assert len(currencies) > 1
    rates = store.con.execute(
        "SELECT DISTINCT currency FROM exchange_rates WHERE NOT is_deleted"
    ).fetchall()
    assert {r[0] for r in rates} >= currencies - {None}
    usd = store.con.execute(
        "SELECT min(rate_to_reporting), max(rate_to_reporting) FROM exchange_rates "
        "WHERE currency = 'USD'"
    ).fetchall()[0]
    assert usd == (1.0, 1.0)


def test_kpis_from_salesforce_equal_kpis_from_the_file_export(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.org.export_files(tmp_path)
    results = []
    for pull in (
        lambda st: make_source(sandbox).pull(st),
        lambda st: FilesSource("sf", tmp_path, FilesMapping(), "UTC").pull(st),
    ):
        with Store(":memory:") as st:
            pull(st)
            compute_kpis(st)
            st.con.complete()
            results.append(st.con.execute(
                "SELECT kpi, period_type, period, scope_type, scope_id, breakdown_type, "
                "breakdown_value, value, numerator, denominator FROM kpi_results ORDER BY ALL"
            ).fetchall())  # fmt: skip
    from_sf, from_files = results
    assert len(from_sf) == len(from_files) > 100
    for a, b in zip(from_sf, from_files, strict=True):
        assert a[:7] == b[:7]
        for x, y in zip(a[7:], b[7:], strict=True):
            assert (x is None and y is None) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


def test_mapping_errors_name_file_line_and_key(tmp_path: Path) -> None:
    from connector.errors import ConfigError
    from connector.yamlfile import load_model

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "streams:\n  - entity: leads\n    object: Lead; DELETE\n    fields:\n"
        "      created_at: CreatedDate\n"
    )
    with pytest.raises(ConfigError) as err:
        load_model(bad, SalesforceMapping)
    assert "bad.yaml:3 streams[0].object" in str(err.value)


def test_source_satisfies_the_protocol(sandbox: Sandbox) -> None:
    from connector.crms.base import Source

    source: Source = make_source(sandbox)
    assert isinstance(source, SalesforceSource)


def test_excluded_records_are_left_out_and_removed_when_they_start_matching(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    shipped = (Path(__file__).parents[2] / "mappings" / "salesforce.yaml").read_text()
    mapping_file = tmp_path / "sf.yaml"
    mapping_file.write_text(
        shipped.replace(
            "    # exclude:\n    #   Type: [Test Account]", "    exclude:\n      Type: [Partner]"
        )
    )
    source = make_source(sandbox, mapping=str(mapping_file))
    source.pull(store)
    org = sandbox.org
    kept = org.count("accounts", "NOT is_deleted AND coalesce(account_type, '') <> 'Partner'")
    assert live(store, "accounts") == kept
    org.advance_clock(dt.timedelta(minutes=10))
    (partner_to_be,) = org.keys("accounts", "coalesce(account_type, '') <> 'Partner'", limit=1)
    org.update("accounts", partner_to_be, {"account_type": "Partner"})
    source.pull(store)
    assert is_deleted(store, "accounts", sf_id(sandbox, "Account", partner_to_be))
    assert live(store, "accounts") == kept - 1


def test_a_released_query_cursor_is_asked_again_from_the_last_change_read() -> None:
    # An org keeps ten open query cursors a user; here one, so every stream's probe
    # releases the cursors of the streams probed before it.
    with Sandbox(seed=7, scale=0.1) as sb, Store(":memory:") as store:
        sb.salesforce.ctx.queries.open_cursors = 1
        messages: list[str] = []
        source = make_source(sb, pull={"bulk_poll_seconds": 0, "bulk_threshold": 1_000_000})
        source.pull(store, messages.append)
        assert any("released the query's cursor" in m for m in messages)
        sb.salesforce.ctx.queries.open_cursors = 10
        with Store(":memory:") as fresh:
            make_source(sb).pull(fresh)
            for table in ENTITIES:
                assert live(store, table) == live(fresh, table), table
                assert store.fetch(f"SELECT * FROM {table} ORDER BY id") == fresh.fetch(
                    f"SELECT * FROM {table} ORDER BY id"
                ), table


def test_with_every_cursor_released_each_page_is_asked_again_to_the_end() -> None:
    with Sandbox(seed=7, scale=0.05) as sb, Store(":memory:") as store:
        sb.salesforce.ctx.queries.open_cursors = 0  # released as soon as opened
        source = make_source(sb, pull={"bulk_poll_seconds": 0, "bulk_threshold": 1_000_000})
        source.pull(store)
        assert live(store, "activities") == sb.org.count("activities", "NOT is_deleted") > 2000


def test_a_cursor_released_before_anything_more_is_read_stops_the_pull() -> None:
    # More records share one SystemModstamp than a page holds: asking again from it
    # reads the same page, and the run stops rather than loop.
    with Sandbox(seed=7, scale=0.05) as sb, Store(":memory:") as store:
        sb.org.touch("activities")
        sb.salesforce.ctx.queries.open_cursors = 0
        source = make_source(sb, pull={"bulk_poll_seconds": 0, "bulk_threshold": 1_000_000})
        with pytest.raises(FatalError, match=r"Task: Salesforce released .* again before"):
            source.pull(store)
