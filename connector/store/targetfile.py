"""The targets CSV: targets as people keep them in a spreadsheet, into the `targets` entity.

Columns `kpi, period_type, period, scope_type, scope, value` and optionally `currency`
(money targets; empty: the reporting currency). `period` is a period key (2025-01,
2025-Q1, 2025) or empty for every period of the type; `scope` names a rep by e-mail, a
team or territory by name, and is empty for the company.

The file is read like any export (`csvfile.load_csv`: every value typed once, a bad line
or value quarantined with its line) into a temporary table of its own layout, where the
target rules (`targetrules`) also quarantine a row naming no KPI, a period of another
type or a value its unit cannot mean. The good rows then replace, in one transaction,
the targets this file gave before (origin csv); rows no longer in it are marked deleted,
and a row quarantined this time keeps its last good version.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from connector.schema import NATURAL_KEYS, SQL_TYPES, Entity, PeriodType, Record
from connector.store.csvfile import CsvLayout, load_csv
from connector.store.db import Store
from connector.store.ingest import IngestResult
from connector.store.normalize import ParseOptions

PeriodStart = Callable[[PeriodType, str], dt.date]
"""The first day of the period of a type written as a key (2025-Q1), fiscal year aware."""


class TargetFileRow(Record):
    """One line of the targets CSV, as typed before its period key becomes a date.

    Its fields bear the names of the `targets` entity (the file's `period` is read into
    `period_start`, `scope` into `scope_id`), so that a row has the id its target keeps:
    kpi|period_type|period|scope_type|scope|.
    """

    kpi: str
    period_type: str
    period_start: str | None = None
    scope_type: str
    scope_id: str | None = None
    value: float
    currency: str | None = None


TARGET_FILE = Entity("targets", TargetFileRow, "_target_file", "targets.csv")
LAYOUT = CsvLayout(columns={"period_start": "period", "scope_id": "scope"})
"""The file's headers: the fields' names but for `period` and `scope`."""

_FIELDS = "kpi, scope_type, scope_id, value, currency"
KEY = NATURAL_KEYS["targets"]


def load_target_file(
    store: Store, *, source: str, path: Path, period_start: PeriodStart
) -> IngestResult:
    """Load the targets CSV at `path` as the targets of `source` (origin csv)."""
    columns = [(n, SQL_TYPES[t]) for n, t in TARGET_FILE.field_types.items()]
    store.load_rows(TARGET_FILE.table, columns, [])
    try:
        result = load_csv(store, source=source, entity=TARGET_FILE, path=path, layout=LAYOUT,
                          opts=ParseOptions())  # fmt: skip
        starts = _period_starts(store, period_start)
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
        with store.transaction():
            result.deleted = _replace_targets(store, source, starts, modified)
    finally:
        store.execute(f"DROP TABLE IF EXISTS {TARGET_FILE.table}")
    return result


def _period_starts(store: Store, period_start: PeriodStart) -> list[tuple[str, str, dt.date]]:
    keys = store.fetch(
        f"SELECT DISTINCT period_type, period_start FROM {TARGET_FILE.table} "
        "WHERE period_start IS NOT NULL"
    )
    return [(kind, key, period_start(kind, key)) for kind, key in keys]


def _replace_targets(
    store: Store, source: str, starts: list[tuple[str, str, dt.date]], modified: dt.datetime
) -> int:
    """The file's rows become its targets; the number of earlier ones marked deleted."""
    table = TARGET_FILE.table
    # A row quarantined this time keeps its last good version, like a CRM record's.
    missing = (
        f"source = $source AND NOT is_deleted AND id NOT IN (SELECT id FROM {table}) "
        "AND id NOT IN (SELECT record_id FROM quarantine WHERE source = $source "
        "AND entity = 'targets' AND record_id IS NOT NULL)"
    )
    gone = int(store.scalar(f"SELECT count(*) FROM targets WHERE {missing}",
                            {"source": source}) or 0)  # fmt: skip
    store.execute(f"UPDATE targets SET is_deleted = TRUE WHERE {missing}", {"source": source})
    store.execute(f"DELETE FROM targets WHERE source = ? AND id IN (SELECT id FROM {table})",
                  [source])  # fmt: skip
    store.execute(
        f"INSERT INTO targets (source, id, modified_at, is_deleted, period_type, period_start, "
        f"origin, {_FIELDS}) "
        f"SELECT $source, f.id, $modified, FALSE, f.period_type, p.start_date, 'csv', "
        f"{', '.join('f.' + name for name in _FIELDS.split(', '))} "
        f"FROM {table} f LEFT JOIN (SELECT unnest($kinds) AS period_type, unnest($keys) AS "
        "period_key, unnest($starts) AS start_date) p "
        "ON p.period_type = f.period_type AND p.period_key = f.period_start",
        {"source": source, "modified": modified, "kinds": [s[0] for s in starts],
         "keys": [s[1] for s in starts], "starts": [s[2] for s in starts]},
    )  # fmt: skip
    return gone


def target_lines(path: Path) -> dict[str, int]:
    """The line of each row of the file, by the id its target gets (for messages about
    a loaded target; the load itself reads the file as any export)."""
    found: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                found.setdefault("|".join(_cell(row, f) for f in KEY), reader.line_num)
    except (OSError, UnicodeDecodeError, csv.Error):
        pass  # the load has quarantined what cannot be read; messages go without lines
    return found


def _cell(row: dict[str, str | None], field: str) -> str:
    """A row's text for one field of the id ('' for a field the file does not hold)."""
    if field not in TARGET_FILE.field_types:
        return ""
    return (row.get(LAYOUT.columns.get(field, field)) or "").strip()
