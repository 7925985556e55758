"""The generated org: determinism, shape, dirty data, export, mutation helpers, cleanup."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import threading
from pathlib import Path

import pytest

from connector.schema import CONTACT_METHODS, ENTITIES
from crm_sandbox import Sandbox
from crm_sandbox.ids import parse_sf_id, sf_id
from crm_sandbox.org import Org
from crm_sandbox.org.tables import LEAD_SOURCE_METHOD

# Every entity but targets: the org has no Salesforce quotas or HubSpot goals yet.
EXPORTED = [e for e in ENTITIES if e.name != "targets"]

NOW = dt.datetime(2026, 6, 1, 12, 0)


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    from crm_sandbox.clock import Clock

    o = Org(tmp_path_factory.mktemp("org") / "org.duckdb", seed=5, scale=0.2, clock=Clock(NOW))
    yield o  # type: ignore[misc]
    o.close()


def test_ids_round_trip() -> None:
    for prefix, n in [("006", 0), ("00Q", 123456789), ("a0B", 62**7)]:
        value = sf_id(prefix, n)
        assert len(value) == 18
        assert parse_sf_id(value) == (prefix, n)
    assert parse_sf_id("0068d0000000000AAB") is None  # wrong checksum


def test_same_seed_same_org(tmp_path: Path, org: Org) -> None:
    from crm_sandbox.clock import Clock

    again = Org(tmp_path / "o.duckdb", seed=5, scale=0.2, clock=Clock(NOW))
    other = Org(tmp_path / "p.duckdb", seed=6, scale=0.2, clock=Clock(NOW))
    try:
        a, b, c = (x.export_files(tmp_path / name) for x, name in
                   ((org, "a"), (again, "b"), (other, "c")))
        assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")
        assert len(a) == len(b) == len(c) == len(EXPORTED)
    finally:
        again.close()
        other.close()


def read(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_export_matches_the_normalized_schema(tmp_path: Path, org: Org) -> None:
    org.export_files(tmp_path)
    for entity in EXPORTED:
        rows = read(tmp_path / entity.file)
        assert rows
        assert list(rows[0]) == list(entity.data_fields)
    leads = read(tmp_path / "leads.csv")
    assert {r["contact_method"] for r in leads} <= set(CONTACT_METHODS)
    assert len(leads) == org.count("leads")
    acts = read(tmp_path / "activities.csv")
    assert {r["method"] for r in acts} <= set(CONTACT_METHODS)
    assert acts[0]["occurred_at"].endswith("Z")
    rates = read(tmp_path / "exchange_rates.csv")
    usd = {float(r["rate_to_reporting"]) for r in rates if r["currency"] == "USD"}
    assert usd == {1.0}


def test_funnel_and_dirty_data(org: Org) -> None:
    s = org.sizes
    assert org.count("leads", "true") == s.leads
    assert org.count("opportunities", "true") == \
        s.opportunities
    assert org.count("leads", "is_converted AND converted_opportunity_n IS NOT NULL") == \
        s.opportunities_from_leads
    assert org.count("opportunities", "is_won") > 0
    assert org.count("opportunities", "amount IS NULL") > 0
    assert org.count("leads", f"source NOT IN {tuple(LEAD_SOURCE_METHOD)}") > 0
    assert org.count("activities", "is_deleted") > 0
    first, last = org.cursor().execute(
        "SELECT min(created_at), max(created_at) FROM opportunities").fetchone()  # type: ignore[misc]
    assert (last - first).days > 700
    assert last <= NOW


def test_mutation_helpers(org: Org) -> None:
    n = org.insert("accounts", {"name": "New Co", "owner_n": 2})
    org.update("accounts", n, {"name": "Renamed Co"})
    assert org.keys("accounts", "name = 'Renamed Co'") == [n]
    keys = org.keys("leads", "NOT is_deleted", limit=5)
    stamp = org.touch("leads", keys)
    assert org.count("leads", f"system_modstamp = TIMESTAMP '{stamp}'") == 5
    org.soft_delete("accounts", [n])
    assert org.count("accounts", f"n = {n} AND is_deleted") == 1
    org.undelete("accounts", [n])
    org.purge("accounts", [n])
    assert org.count("accounts", f"n = {n}") == 0
    before = org.clock.now()
    assert org.advance_clock(dt.timedelta(days=2)) - before >= dt.timedelta(days=2)


def test_atomic_undoes_every_write_of_a_failed_block(org: Org) -> None:
    def state() -> list[tuple[object, ...]]:
        return org.cursor().execute("SELECT * FROM leads ORDER BY n").fetchall()

    def failing_block(keys: list[int]) -> None:
        with org.atomic():
            org.insert("leads", {"owner_n": 2})
            org.update("leads", keys[0], {"status": "Changed"})
            org.update_many("leads", [(keys[1], {"status": "Changed too"})])
            org.soft_delete("leads", [keys[2]])
            org.purge("leads", [keys[3]])
            assert org.count("leads", f"n = {keys[3]}") == 0  # visible inside the block
            raise RuntimeError("roll back")

    before = state()
    with pytest.raises(RuntimeError, match="roll back"):
        failing_block(org.keys("leads", "NOT is_deleted", limit=4))
    assert state() == before
    with org.atomic():
        n = org.insert("leads", {"owner_n": 2})
    assert org.count("leads", f"n = {n}") == 1
    org.purge("leads", [n])


@pytest.mark.e2e
def test_stop_leaves_no_thread_or_file() -> None:
    before = set(threading.enumerate())
    with Sandbox(seed=1, scale=0.02) as sb:
        folder = Path(sb.info["ca_file"]).parent
        assert folder.exists()
    assert not folder.exists()
    assert set(threading.enumerate()) <= before
