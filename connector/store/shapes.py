"""Which mapping derived each stream's records: the part of the mapping that shapes them
(its fields, value maps, constants, defaults, exclusions, and the org's time zone),
kept with its fingerprint per source and stream, so that a run sees an edit and derives
the stream's records again instead of mixing old and new rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from connector.store.db import Store

_DDL = """CREATE TABLE IF NOT EXISTS derivations (
    source VARCHAR, stream VARCHAR, entity VARCHAR, fingerprint VARCHAR, shape VARCHAR,
    derived_at TIMESTAMP, PRIMARY KEY (source, stream))"""

Shape = Mapping[str, Any]
"""JSON-able: the rules of one stream, as the mapping states them."""


def fingerprint(shape: Shape) -> str:
    """A short digest of a shape (the same rules, the same digest)."""
    text = json.dumps(shape, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stored_shape(store: Store, source: str, stream: str) -> Shape | None:
    """The shape that derived the stream's stored records (None: none recorded)."""
    store.execute(_DDL)
    rows = store.fetch("SELECT shape FROM derivations WHERE source = ? AND stream = ?",
                       [source, stream])  # fmt: skip
    return dict(json.loads(rows[0][0])) if rows else None


def record_shape(store: Store, source: str, stream: str, entity: str, shape: Shape) -> None:
    """Note that `shape` derived every stored record of the stream."""
    store.execute(_DDL)
    store.execute(
        "INSERT OR REPLACE INTO derivations VALUES (?, ?, ?, ?, ?, now())",
        [source, stream, entity, fingerprint(shape),
         json.dumps(shape, sort_keys=True, default=str)],
    )  # fmt: skip


def changed_keys(old: Shape | None, new: Shape) -> list[str]:
    """Where two shapes differ, as dotted keys one level under the top
    (`exclude.StageName`, `value_maps.lead_source`, `fields.contact_method`)."""
    if old is None:
        return []
    keys: list[str] = []
    for top in sorted(set(old) | set(new)):
        before, after = old.get(top), new.get(top)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            keys += [f"{top}.{k}" for k in sorted(set(before) | set(after))
                     if before.get(k) != after.get(k)]  # fmt: skip
        else:
            keys.append(top)
    return keys
