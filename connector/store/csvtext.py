"""Export files as text: their encoding, their header row, their lines.

DuckDB reads UTF-8. A file in any other encoding named in the mapping (`encoding:`, any
Python text codec) is first transcoded into a private temporary UTF-8 copy, so that one
reader handles every file. A file that is not in the encoding it claims is an
`ExportError` (exit 2) naming the file, the line and the byte offset of the first byte
that does not decode, with a hint when the bytes look like UTF-16 or latin-1.
"""

from __future__ import annotations

import codecs
import csv
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from connector.errors import ExportError

UTF8 = "utf-8"
_CHUNK = 1 << 20
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def text_encoding(name: str) -> str:
    """The Python codec name `name` stands for; ValueError when it is not a text encoding."""
    try:
        info = codecs.lookup(name)
        "a".encode(info.name)  # a bytes-to-bytes codec (base64, zlib) is refused here
    except LookupError:
        raise ValueError(
            f"unknown text encoding {name!r}; use a Python codec name like utf-8, "
            "latin-1, cp1252 or utf-16"
        ) from None
    return info.name


def is_utf8(encoding: str) -> bool:
    """Whether files in `encoding` are read as they are (UTF-8, with or without BOM)."""
    return text_encoding(encoding) in (UTF8, "utf-8-sig")


def header_row(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The cells of the first line of an export; `ExportError` for an empty file, bytes
    that do not decode, or an empty or repeating header."""
    try:
        with path.open("rb") as fh:
            first = fh.readline(_CHUNK)
    except OSError as exc:
        raise ExportError(f"{path}: cannot be read ({exc.strerror})") from None
    if not first:
        raise ExportError(
            f"{path.name} is empty (0 bytes): even an export without records has its "
            "header row. Re-run the export, or delete the file if the entity has no data."
        )
    if is_utf8(encoding) and first.startswith(_UTF16_BOMS):
        raise ExportError(
            f"{path.name}: not UTF-8 at byte 0 (line 1): the file starts with a UTF-16 "
            "byte-order mark; set `encoding: utf-16` in the mapping"
        )
    if is_utf8(encoding):
        text = _decoded(path, first, 0, 1, encoding)
    else:
        text = _first_line(path, encoding)
    if "\x00" in text:
        raise ExportError(
            f"{path.name}:1 the header row holds NUL characters: the file is probably "
            f"UTF-16 or UTF-32; set `encoding:` in the mapping (now {encoding})"
        )
    cells = next(csv.reader([text.lstrip("\ufeff")], delimiter=delimiter), [])
    headers = [cell.strip() for cell in cells]
    if not any(headers) or len(set(headers)) != len(headers):
        raise ExportError(f"{path.name}:1 header row is empty or repeats a column name")
    return headers


def _first_line(path: Path, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)()
    text = ""
    with path.open("rb") as fh:
        offset = 0
        while "\n" not in text and (chunk := fh.read(_CHUNK)):
            text += _decode_chunk(path, decoder, chunk, offset, text.count("\n") + 1, encoding)
            offset += len(chunk)
    return text.split("\n", 1)[0].rstrip("\r")


def _decoded(path: Path, data: bytes, offset: int, line: int, encoding: str) -> str:
    try:
        return data.decode(UTF8 if is_utf8(encoding) else encoding)
    except UnicodeDecodeError as exc:
        raise encoding_error(path, offset + exc.start, line, encoding) from None


def _decode_chunk(
    path: Path, decoder: codecs.IncrementalDecoder, chunk: bytes, offset: int, line: int,
    encoding: str, final: bool = False,
) -> str:  # fmt: skip
    """`chunk` (at byte `offset`, line `line`) decoded; `ExportError` at a bad byte."""
    pending = len(decoder.getstate()[0])
    try:
        return decoder.decode(chunk, final)
    except UnicodeDecodeError as exc:
        # The decoder saw its pending bytes (a split character) before this chunk.
        before = exc.object[: exc.start].decode(encoding, "replace")
        position = offset - pending + exc.start
        raise encoding_error(path, position, line + before.count("\n"), encoding) from None


def encoding_error(path: Path, offset: int, line: int, encoding: str) -> ExportError:
    """The error for bytes that are not `encoding`, with the likeliest fix."""
    hint = (
        "the file is probably latin-1 or cp1252 (Excel on Windows); set `encoding: cp1252`"
        if is_utf8(encoding)
        else "check the file's encoding"
    )
    return ExportError(
        f"{path.name}: not valid {encoding} at byte {offset:,} (line {line:,}): {hint} "
        "in the mapping"
    )


def utf8_error(path: Path, shown: Path) -> ExportError:
    """The error for the first byte of `path` that is not UTF-8, found by reading it
    again (the fast reader's own positions are not to be trusted); `shown` is the file
    the user gave."""
    decoder = codecs.getincrementaldecoder(UTF8)()
    offset, line = 0, 1
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                text = _decode_chunk(shown, decoder, chunk, offset, line, UTF8)
            except ExportError as exc:
                return exc
            line += text.count("\n")
            offset += len(chunk)
    return ExportError(f"{shown.name}: DuckDB found bytes that are not UTF-8; Python did not")


def count_lines(path: Path) -> int:
    """Physical lines of a file (a last line without its newline counts)."""
    lines, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


@contextmanager
def utf8_file(path: Path, encoding: str) -> Iterator[Path]:
    """`path` itself when it is UTF-8, else a private temporary UTF-8 copy of it (removed
    on leaving); `ExportError` at the first byte that is not `encoding`."""
    if is_utf8(encoding):
        yield path
        return
    fd, name = tempfile.mkstemp(prefix="crm-kpi-", suffix=".csv")  # created 0600
    copy = Path(name)
    try:
        with os.fdopen(fd, "w", encoding=UTF8, newline="") as out, path.open("rb") as src:
            _transcode(path, src, out, encoding)
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def _transcode(path: Path, src: BinaryIO, out: TextIO, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, line = 0, 1
    while True:
        chunk = src.read(_CHUNK)
        text = _decode_chunk(path, decoder, chunk, offset, line, encoding, final=not chunk)
        out.write(text)
        line += text.count("\n")
        offset += len(chunk)
        if not chunk:
            return
