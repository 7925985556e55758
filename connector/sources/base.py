"""What every source is: something that pulls one CRM connection into the store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from connector.store import IngestResult, Store

Progress = Callable[[str], None]


class Source(Protocol):
    """A configured source. `pull` loads its records; `validate` lists mapping problems."""

    name: str

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Pull into the store (full or incremental, as the source decides)."""
        ...

    def validate(self) -> list[str]:
        """Every problem of the mapping against the live CRM (empty when none)."""
        ...
