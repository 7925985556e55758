"""What a pull set aside or noticed: quarantined rows and data-quality findings."""

from __future__ import annotations

from dataclasses import dataclass

from connector.store.db import Store


@dataclass(frozen=True)
class Quarantined:
    """One value of one record that could not be loaded, and why."""

    source: str
    entity: str
    origin: str
    line: int | None
    record_id: str | None
    field: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.origin}:{self.line}" if self.line is not None else self.origin
        return f"{where} {self.field}={self.value!r}: {self.reason}"


def quarantined(store: Store, *, limit: int | None = None) -> list[Quarantined]:
    """Quarantined values in file (or CRM object) and line order."""
    rows = store.fetch(
        "SELECT source, entity, origin, line, record_id, field, value, reason FROM quarantine "
        "ORDER BY origin, line LIMIT ?",
        [limit],
    )
    return [Quarantined(*row) for row in rows]
