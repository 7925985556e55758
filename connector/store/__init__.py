"""The store: a DuckDB file with the normalized tables and the connector's own state."""

from connector.store.db import Store
from connector.store.ingest import IngestResult, ingest
from connector.store.normalize import ParseOptions, ValueMap
from connector.store.staging import mark_deleted, reconcile_ids, stage_rows, to_text

__all__ = [
    "IngestResult",
    "ParseOptions",
    "Store",
    "ValueMap",
    "ingest",
    "mark_deleted",
    "reconcile_ids",
    "stage_rows",
    "to_text",
]
