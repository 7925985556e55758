"""The store's normalized tables as Parquet, for an engine that runs elsewhere (Spark).

Each entity becomes a folder `<folder>/<table>/source=<source>/…parquet`, partitioned by
source (hive style), written by DuckDB's own Parquet writer.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from connector.schema import ENTITIES
from connector.store.db import Store, ident


@dataclass(frozen=True)
class ParquetExport:
    """What one export wrote."""

    folder: Path
    rows: dict[str, int]
    bytes: int


def export_parquet(store: Store, folder: Path) -> ParquetExport:
    """Write every normalized table under `folder`, replacing an earlier export."""
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for entity in ENTITIES:
        target = folder / entity.table
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        rows[entity.table] = store.count(entity.table, live_only=False)
        if rows[entity.table]:
            # COPY takes its file name as a literal only: the path is ours (config's
            # staging folder), quoted as an SQL string.
            store.execute(
                f"COPY (SELECT * FROM {ident(entity.table)}) TO {_literal(target)} "
                "(FORMAT PARQUET, PARTITION_BY (source), OVERWRITE_OR_IGNORE)"
            )
    size = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
    return ParquetExport(folder, rows, size)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
