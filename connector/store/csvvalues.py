"""The distinct values of one column of a CSV export, for `validate` to compare with the
value maps that name them (a key no row holds is a typo). DuckDB reads only that column;
lines it cannot read are skipped here: the load itself quarantines them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from connector.errors import ExportError
from connector.store.csvfile import CsvLayout, csv_headers

_READER = (
    "read_csv($path, header=true, auto_detect=false, delim=$delim, quote='\"', escape='\"', "
    "encoding=$encoding, ignore_errors=true, columns=$columns)"
)


def column_values(path: Path, layout: CsvLayout, header: str, most: int = 10_000) -> list[str]:
    """The distinct non-empty values (trimmed) of column `header`, at most `most`."""
    headers = csv_headers(path, layout)
    columns = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    column = f"c{headers.index(header)}"
    try:
        with duckdb.connect() as con:
            rows = con.execute(
                f"SELECT DISTINCT TRIM({column}) AS v FROM {_READER} "
                f"WHERE NULLIF(TRIM({column}), '') IS NOT NULL ORDER BY v LIMIT $most",
                {"path": str(path), "delim": layout.delimiter, "encoding": layout.encoding,
                 "columns": columns, "most": most},
            ).fetchall()  # fmt: skip
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise ExportError(f"{path.name}: not a readable CSV file: {first_line}") from None
    return [str(value) for (value,) in rows]
