"""Turning Salesforce records into staged rows: one compiled reader per stream.

REST answers nest relationship fields (``{"UserRole": {"Name": ...}}``); Bulk API 2.0
answers are flat CSV rows keyed by the path (``UserRole.Name``). Both become the same
text row, typed later, once, by the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.crms.salesforce.mapping import FieldSpec, Stream
from connector.crms.salesforce.validate import Resolved

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


def _constant(value: str) -> Getter:
    return lambda _record: value


def _apply(spec: FieldSpec, get: Getter, prefix: str | None) -> Getter:
    default, transform = spec.default, spec.transform

    def value(record: Record) -> Any:
        raw = get(record)
        if raw is None or raw == "":
            return default
        if prefix is not None and not str(raw).startswith(prefix):
            return None
        if transform == "day_start":  # the date alone: the store reads it as the org's
            return str(raw)[:10]  # midnight, which keeps its day west of UTC too
        if transform == "reciprocal":
            number = float(raw)
            return 1.0 / number if number else None
        return raw

    return value


@dataclass
class StreamReader:
    """Reads records of one stream into (columns, rows) and the ids to delete."""

    stream: Stream
    columns: list[str]
    key: Getter
    cursor: Getter
    values: list[Getter]
    deleted: Getter
    skip: Callable[[Record], bool]

    def split(self, records: list[Record]) -> tuple[list[list[Any]], list[str], str | None]:
        """(rows to load, ids to delete, highest cursor value) of one page of records.

        Bulk pages are unordered, so the highest value is computed, not the last one
        (values of one answer share one format, so text order is time order)."""
        rows: dict[str, list[Any]] = {}  # de-duplicated by id, the last answer wins
        gone: list[str] = []
        high: str | None = None
        for record in records:
            key, stamp = self.key(record), self.cursor(record) or None
            if stamp is not None and (high is None or stamp > high):
                high = stamp
            if str(self.deleted(record)).lower() in _TRUE or self.skip(record):
                gone.append(key)
                rows.pop(key, None)
                continue
            rows[key] = [key, stamp, *(get(record) for get in self.values)]
        return list(rows.values()), gone, high


def compile_reader(stream: Stream, resolved: Resolved, *, flat: bool) -> StreamReader:
    """The reader of `stream` for REST (nested) or Bulk (flat) records."""

    def getter(path: str) -> Getter:
        canonical = resolved.path(stream, path)
        return _flat(canonical) if flat else _nested(canonical.split("."))

    values: list[Getter] = []
    for name in stream.fields:
        spec = stream.spec(name)
        if spec.const is not None:
            values.append(_constant(spec.const))
            continue
        assert spec.field is not None
        prefix = resolved.prefixes.get(spec.only_ids_of) if spec.only_ids_of else None
        plain = spec.default is None and spec.transform is None and prefix is None
        get = getter(spec.field)
        values.append(get if plain else _apply(spec, get, prefix))
    return StreamReader(
        stream=stream,
        columns=["id", "modified_at", *stream.fields],
        key=getter(stream.key),
        cursor=getter(stream.cursor),
        values=values,
        deleted=_flat("isdeleted") if flat else _nested(["IsDeleted"]),
        skip=_skip_rule(stream, getter),
    )


def _skip_rule(stream: Stream, getter: Callable[[str], Getter]) -> Callable[[Record], bool]:
    excluded = [(getter(p), {v.strip() for v in vs}) for p, vs in stream.exclude.items()]
    included = [(getter(p), {v.strip() for v in vs}) for p, vs in stream.include.items()]
    required = [getter(p) for p in stream.require]

    def skip(record: Record) -> bool:
        for get, values in excluded:
            if str(get(record) or "").strip() in values:
                return True
        for get, values in included:
            if str(get(record) or "").strip() not in values:
                return True
        return any(get(record) in (None, "") for get in required)

    return skip
