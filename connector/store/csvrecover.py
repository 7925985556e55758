"""The careful CSV reader, for the files DuckDB's fast reader cannot be trusted with.

DuckDB's reader cannot resume after a quote left open: it takes the rest of the file
for one value and, reading in parallel, may drop a whole chunk of lines without a word.
A file whose lines do not all add up after the fast read (a quote left open, a quoted
value spanning lines, blank lines, CR line ends) is read again here, with Python's csv
module, line by line: every record keeps its physical line, and a record that cannot be
read is one rejected line, after which reading resumes at the next line. A quoted value
may span lines (a multi-line description), but not past the csv module's field limit
(131,072 characters, the size of Salesforce's longest text field), which bounds the cost
of a quote that never closes.
"""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from connector.store.csvtext import UTF8, encoding_error

_SHOWN = 1_000  # characters of a rejected line kept in the quarantine
# Why a line was rejected, in the same words whichever reader rejected it.
NEVER_CLOSED = "a quoted value opened on this line is never closed (a stray quote?)"
TEXT_AFTER_QUOTE = "a quoted value is followed by more text before the delimiter (a stray quote?)"


@dataclass
class Rejected:
    """One line that could not be read as a record."""

    line: int
    text: str
    reason: str


Record = tuple[int, list[str]]
"""A record's physical line and its cells."""


@dataclass
class Batch:
    """Records read, each with its physical line, and the lines rejected meanwhile."""

    lines: list[int] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


class _Lines:
    """The decoded lines of a UTF-8 file from a byte offset, remembering the lines of the
    current record, its first line's number and the offset of its second line."""

    def __init__(self, fh: BinaryIO, path: Path, offset: int, line: int) -> None:
        fh.seek(offset)
        self.fh, self.path, self.offset, self.line = fh, path, offset, line - 1
        self.record: list[str] = []
        self.record_line, self.resume_at = line, offset

    def start_record(self) -> None:
        self.record = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.fh.readline()
        if not raw:
            raise StopIteration
        start, self.offset, self.line = self.offset, self.offset + len(raw), self.line + 1
        try:
            text = raw.decode(UTF8)
        except UnicodeDecodeError as exc:
            raise encoding_error(self.path, start + exc.start, self.line, UTF8) from None
        if not self.record:
            self.record_line, self.resume_at = self.line, self.offset
        self.record.append(text)
        return text


def read_batches(path: Path, delimiter: str, width: int, size: int = 50_000) -> Iterator[Batch]:
    """Every record of a UTF-8 export after its header, in batches of `size` records; a
    record of another width than the header's, or one that cannot be parsed, is rejected."""
    batch = Batch()
    for item in read_records(path, delimiter, width):
        if isinstance(item, Rejected):
            batch.rejected.append(item)
            continue
        batch.lines.append(item[0])
        batch.rows.append(item[1])
        if len(batch.rows) >= size:
            yield batch
            batch = Batch()
    yield batch


def read_records(path: Path, delimiter: str, width: int) -> Iterator[Record | Rejected]:
    """Every record after the header, or the line where one could not be read."""
    with path.open("rb") as fh:
        first = _Lines(fh, path, 0, 1)
        next(first, None)  # the header row, checked by `header_row`
        lines: _Lines | None = first
        while lines is not None:
            lines = yield from _until_broken(lines, delimiter, width)


def _until_broken(
    lines: _Lines, delimiter: str, width: int
) -> Generator[Record | Rejected, None, _Lines | None]:
    """Records until the end (then None), or until one breaks the reader: then the
    lines to resume from, right after the broken record's first line."""
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    while True:
        lines.start_record()
        try:
            row = next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            yield _rejected(lines, _reason(str(exc)))
            return _resume(lines)
        if not row:
            continue  # a blank line
        if len(row) > width and not any(row[width:]):
            del row[width:]  # trailing delimiters: empty cells past the header, as DuckDB
        if len(row) != width:
            yield _rejected(lines, f"expected {width} columns, found {len(row)}")
            if lines.line > lines.record_line:
                return _resume(lines)  # a quote opened by mistake took the next lines
            continue
        yield lines.record_line, row


def _resume(lines: _Lines) -> _Lines:
    return _Lines(lines.fh, lines.path, lines.resume_at, lines.record_line + 1)


def _rejected(lines: _Lines, reason: str) -> Rejected:
    text = lines.record[0].rstrip("\r\n") if lines.record else ""
    return Rejected(lines.record_line, text[:_SHOWN], reason)


def rejected_reason(text: str, kind: str, width: int, delimiter: str) -> str:
    """The reason, in this reader's words, for a line DuckDB rejected with `kind`."""
    if kind in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        cells = next(csv.reader([text], delimiter=delimiter), [])
        return f"expected {width} columns, found {len(cells)}"
    if kind == "UNQUOTED VALUE":
        return TEXT_AFTER_QUOTE
    return f"not a valid CSV line: {kind.lower()}"


def _reason(message: str) -> str:
    if "unexpected end of data" in message or "field larger than field limit" in message:
        return NEVER_CLOSED
    if "expected after" in message:
        return TEXT_AFTER_QUOTE
    return f"not a valid CSV line: {message}"
