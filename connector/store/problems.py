"""What a pull set aside or noticed: quarantined rows and data-quality findings.

Quarantined rows were not loaded (a value that does not parse, a broken rule); findings
were loaded but are worth a look (an unknown contact method counted as other, a currency
without a rate). Both name where the row came from (file and line, or CRM object and
record), the field, the value and why. A full load of an entity replaces its rows, so
they say how the data stands now; `run` narrows them to those one run recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from connector.store.db import Store

Kind = Literal["quarantined", "finding"]
KINDS: tuple[Kind, ...] = ("quarantined", "finding")


@dataclass(frozen=True)
class Quarantined:
    """One value of one record that could not be loaded (or was loaded and noted), and why."""

    source: str
    entity: str
    origin: str
    line: int | None
    record_id: str | None
    field: str | None
    value: str | None
    reason: str
    at: dt.datetime | None = None
    kind: Kind = "quarantined"

    @property
    def where(self) -> str:
        """``file:line`` for a file's row, the origin (a CRM object) otherwise."""
        return f"{self.origin}:{self.line}" if self.line is not None else self.origin

    def __str__(self) -> str:
        return f"{self.where} {self.field}={self.value!r}: {self.reason}"


@dataclass(frozen=True)
class RunWindow:
    """When a run recorded what it found: from its start to its end (now while running)."""

    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime | None


def quarantined(store: Store, *, limit: int | None = None) -> list[Quarantined]:
    """Quarantined values in file (or CRM object) and line order."""
    return problems(store, kinds=("quarantined",), limit=limit)


def problems(
    store: Store,
    *,
    kinds: Sequence[Kind] = KINDS,
    source: str | None = None,
    entity: str | None = None,
    run: RunWindow | None = None,
    limit: int | None = None,
) -> list[Quarantined]:
    """Quarantined rows, then findings, each in origin and line order, filtered by source,
    entity and the run that recorded them."""
    selects = []
    if "quarantined" in kinds:
        selects.append("SELECT 0 AS k, source, entity, origin, line, record_id, field, value, "
                       "reason, quarantined_at AS noted_at FROM quarantine")  # fmt: skip
    if "finding" in kinds:
        selects.append("SELECT 1 AS k, source, entity, origin, line, record_id, field, value, "
                       "problem, found_at AS noted_at FROM findings")  # fmt: skip
    if not selects:
        return []
    rows = store.fetch(
        f"SELECT * FROM ({' UNION ALL '.join(selects)}) WHERE "
        "($source IS NULL OR source = $source) AND ($entity IS NULL OR entity = $entity) "
        "AND ($start IS NULL OR noted_at >= $start) AND ($end IS NULL OR noted_at <= $end) "
        "ORDER BY k, origin, line NULLS LAST, record_id, field LIMIT $limit",
        {"source": source, "entity": entity, "limit": limit,
         "start": run.started_at if run else None, "end": run.finished_at if run else None},
    )  # fmt: skip
    return [
        Quarantined(source, entity, origin, line, record_id, field, value, reason, at, KINDS[k])
        for k, source, entity, origin, line, record_id, field, value, reason, at in rows
    ]


def counts(store: Store) -> dict[Kind, int]:
    """How many rows are quarantined, and how many findings there are."""
    found = store.fetch(
        "SELECT (SELECT count(*) FROM quarantine), (SELECT count(*) FROM findings)"
    )[0]
    return {"quarantined": int(found[0]), "finding": int(found[1])}


def run_window(store: Store, run_id: str) -> RunWindow | None:
    """The window of run `run_id` ("last": the latest run), or None when there is none."""
    rows = store.fetch(
        "SELECT run_id, started_at, finished_at FROM runs "
        "WHERE $id = 'last' OR run_id = $id ORDER BY started_at DESC LIMIT 1",
        {"id": run_id},
    )
    return RunWindow(*rows[0]) if rows else None
