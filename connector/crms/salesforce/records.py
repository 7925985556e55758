"""Salesforce records into raw rows, and the mapping's rules that derive entities from them.

REST answers nest relationship fields (``{"UserRole": {"Name": ...}}``); Bulk API 2.0
answers are flat CSV rows keyed by the path (``UserRole.Name``). Both become the same
raw row, kept in the store's raw layer; the store then derives the normalized entity
from it with the stream's rules (`derivation`), and types it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from connector.crms.language import translate
from connector.crms.salesforce.mapping import FieldSpec, SalesforceMapping, Stream
from connector.crms.salesforce.validate import Resolved
from connector.schema import ENTITY_BY_NAME
from connector.store.derive import Derivation

Record = dict[str, Any]
Getter = Callable[[Record], Any]

_TRUE = {"true", "1"}


def _nested(parts: list[str]) -> Getter:
    def get(record: Record) -> Any:
        value: Any = record
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return get


def _flat(path: str) -> Getter:
    key = path.lower()
    return lambda record: record.get(key)


@dataclass
class StreamReader:
    """Reads records of one stream into raw rows: (id, modstamp, deleted, *the values of
    `fields` as the org sent them); the mapping's rules apply later, in the store."""

    stream: Stream
    fields: list[str]
    key: Getter
    cursor: Getter
    values: list[Getter]
    deleted: Getter

    def split(self, records: list[Record]) -> tuple[list[list[Any]], str | None]:
        """(raw rows, highest cursor value) of one page of records.

        Bulk pages are unordered, so the highest value is computed, not the last one
        (values of one answer share one format, so text order is time order)."""
        rows: dict[str, list[Any]] = {}  # de-duplicated by id, the last answer wins
        high: str | None = None
        for record in records:
            key, stamp = self.key(record), self.cursor(record) or None
            if stamp is not None and (high is None or stamp > high):
                high = stamp
            gone = str(self.deleted(record)).lower() in _TRUE
            rows.pop(key, None)
            rows[key] = [key, stamp, gone, *(get(record) for get in self.values)]
        return list(rows.values()), high


def raw_fields(stream: Stream, resolved: Resolved) -> list[str]:
    """The org's fields a stream's raw rows hold besides key and cursor (canonical paths)."""
    ends = {resolved.path(stream, stream.key), resolved.path(stream, stream.cursor)}
    paths = [resolved.path(stream, p) for p in stream.crm_fields()]
    return [p for p in dict.fromkeys(paths) if p not in ends]


def compile_reader(stream: Stream, resolved: Resolved, *, flat: bool) -> StreamReader:
    """The reader of `stream` for REST (nested) or Bulk (flat) records."""

    def getter(canonical: str) -> Getter:
        return _flat(canonical) if flat else _nested(canonical.split("."))

    fields = raw_fields(stream, resolved)
    return StreamReader(
        stream=stream,
        fields=fields,
        key=getter(resolved.path(stream, stream.key)),
        cursor=getter(resolved.path(stream, stream.cursor)),
        values=[getter(f) for f in fields],
        deleted=_flat("isdeleted") if flat else _nested(["IsDeleted"]),
    )


def derivation(stream: Stream, mapping: SalesforceMapping, resolved: Resolved) -> Derivation:
    """The stream's rules, as the store derives its records from the raw rows: the shared
    sections' (`language.translate`), then Salesforce's transforms and `only_ids_of`."""

    def path(name: str) -> str:
        return resolved.path(stream, name)

    derived = translate(stream, path)
    for name, transform in stream.transforms.items():
        derived[name] = replace(derived[name], transform=transform)
    for name, target in stream.only_ids_of.items():
        derived[name] = replace(derived[name], prefix=resolved.prefixes.get(target))
    return Derivation(
        entity=ENTITY_BY_NAME[stream.entity],
        origin=stream.object,
        fields=[derived[name] for name in stream.names()],
        exclude={path(p): v for p, v in stream.exclude.items()},
        include={path(p): v for p, v in stream.include.items()},
        require=[path(p) for p in stream.require],
        value_maps=mapping.value_maps_of(stream),
    )


def shape(stream: Stream, mapping: SalesforceMapping, timezone: str) -> dict[str, Any]:
    """What shapes the stream's records, for the store's record of what derived them."""
    maps = sorted(set(stream.value_map_names()))
    return {
        "object": stream.object, "key": stream.key, "cursor": stream.cursor,
        "fields": {n: _spelled(stream.spec(n)) for n in stream.names()},
        "value_maps": {m: dict(mapping.value_maps[m]) for m in maps},
        "exclude": dict(stream.exclude), "include": dict(stream.include),
        "require": list(stream.require), "timezone": timezone,
    }  # fmt: skip


def _spelled(spec: FieldSpec) -> dict[str, Any]:
    """A field's rules as last release's shapes spelled them (`{field, values, default}`,
    `{const}`): an upgrade of the software or of the file derives nothing again."""
    return {k: v for k, v in asdict(spec).items() if v is not None}
