"""What a store holds for a source, to compare a store whose mapping was edited with one
pulled afresh under the new mapping."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from connector.crms.base import Source
from connector.schema import ENTITIES
from connector.store import IngestResult, Store

Content = dict[str, list[tuple[Any, ...]]]


def content(store: Store) -> Content:
    """Every live record of every entity, the quarantine and the findings, in order."""
    held: Content = {}
    for entity in ENTITIES:
        held[entity.name] = store.fetch(
            f"SELECT * EXCLUDE (source) FROM {entity.table} WHERE NOT is_deleted ORDER BY id"
        )
    held["quarantine"] = store.fetch(
        "SELECT entity, origin, record_id, field, value, reason FROM quarantine ORDER BY ALL"
    )
    held["findings"] = store.fetch(
        "SELECT entity, origin, record_id, field, value, problem FROM findings ORDER BY ALL"
    )
    return held


def differences(left: Content, right: Content) -> list[str]:
    """The tables whose rows differ."""
    return [name for name in left if left[name] != right[name]]


def notes(results: list[IngestResult]) -> list[str]:
    """The notes of a pull, in order."""
    return [n for r in results for n in r.notes]


def pull_notes(source: Source, store: Store) -> list[str]:
    """Pull, and return what the pull noted."""
    return notes(source.pull(store))


S = TypeVar("S", bound=Source)


class Pulled(Generic[S]):
    """Mapping files written in turn into `folder`, each made a source by `make` (the
    mapping's path, overrides), and stores pulled afresh under each mapping, once."""

    def __init__(self, folder: Path, make: Callable[..., S]) -> None:
        self.folder, self.make, self.count = folder, make, 0
        self.stores: dict[str, Path] = {}

    def source(self, text: str, **overrides: object) -> S:
        self.count += 1
        path = self.folder / f"mapping{self.count}.yaml"
        path.write_text(text, encoding="utf-8")
        return self.make(path, **overrides)

    def path(self, text: str) -> Path:
        if text not in self.stores:
            path = self.folder / f"fresh{len(self.stores)}.duckdb"
            with Store(path) as store:
                self.source(text).pull(store)
            self.stores[text] = path
        return self.stores[text]

    def copy(self, text: str, to: Path) -> Store:
        """A store as a fresh pull under mapping `text` left it."""
        shutil.copy(self.path(text), to)
        return Store(to)

    def content(self, text: str) -> Content:
        with Store(self.path(text), read_only=True) as store:
            return content(store)


def upgraded_twin(name: str, folder: Path) -> tuple[str, str]:
    """The mapping `name` the previous release shipped, and its twin upgraded by
    `crm-kpi init --upgrade-mapping` (both as text)."""
    from connector.cli import main

    old = (Path(__file__).parent / "previous_mappings" / name).read_text(encoding="utf-8")
    twin = folder / name
    twin.write_text(old, encoding="utf-8")
    assert main(["init", "--upgrade-mapping", str(twin)]) == 0
    return old, twin.read_text(encoding="utf-8")
