"""The store: a DuckDB file with the normalized tables and the connector's own state."""

from connector.store.arrow import stage_rows, to_text
from connector.store.db import Store
from connector.store.ingest import IngestResult, ingest
from connector.store.normalize import ParseOptions, ValueMap
from connector.store.staging import (
    derive_lead_ids,
    forget_seen,
    ingest_rows,
    mark_deleted,
    mark_unseen_deleted,
    remember_seen,
    unchanged_ids,
)

__all__ = [
    "IngestResult",
    "ParseOptions",
    "Store",
    "ValueMap",
    "derive_lead_ids",
    "forget_seen",
    "ingest",
    "ingest_rows",
    "mark_deleted",
    "mark_unseen_deleted",
    "remember_seen",
    "stage_rows",
    "to_text",
    "unchanged_ids",
]
