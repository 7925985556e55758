"""A SOQL subset, the language: tokens, string literals and the AST the parser builds.

Supported: field lists with parent paths, COUNT(), WHERE with AND/OR/NOT and
parentheses, = != <> < <= > >= IN, NOT IN, LIKE, NULL, TRUE/FALSE, numbers, strings,
date and datetime literals, date literals (TODAY, LAST_N_DAYS:n, ...), ORDER BY with
ASC/DESC and NULLS FIRST/LAST, LIMIT and OFFSET. `soql_parser.parse` builds a `Query`;
identifiers are validated later, against the describe metadata, by the translator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import SoqlError

# dateTime literals as `literals` describes them: any fractional digits, `Z` or `±hh:mm`.
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
    | (?P<number>-?\d+(?:\.\d+)?)(?![\w])
    | (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<dlit>[A-Za-z_]+:-?\d+)
    | (?P<ident>[A-Za-z_][\w.]*)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "NULL", "TRUE", "FALSE",
    "ORDER", "BY", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "COUNT",
}
DATE_LITERALS = {
    "TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "THIS_MONTH", "LAST_MONTH",
    "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR", "LAST_90_DAYS", "NEXT_90_DAYS",
}
N_DATE_LITERALS = {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_MONTHS", "LAST_N_YEARS"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True)
class FieldRef:
    """A field path as written (`Owner.Name`), with its position for error carets."""

    path: tuple[str, ...]
    pos: int


@dataclass(frozen=True)
class Literal:
    """kind: string, number, date, datetime, boolean, null, or dateliteral."""

    kind: str
    value: Any
    pos: int


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    item: Cond


Cond = Comparison | BoolOp | Not


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    desc: bool
    nulls_last: bool


@dataclass
class Query:
    sobject: str
    sobject_pos: int
    fields: list[FieldRef] = field(default_factory=list)
    count: bool = False
    where: Cond | None = None
    order: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


def tokenize(soql: str) -> list[Token]:
    """Split a statement into tokens; anything unrecognised is a MALFORMED_QUERY."""
    tokens, pos = [], 0
    text = soql.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            at = len(text[pos:]) - len(text[pos:].lstrip()) + pos
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {text[at:at + 10]!r}", soql, at)
        kind = m.lastgroup or ""
        tokens.append(Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


def unquote(s: str) -> str:
    """The value of a SOQL string literal (backslash escapes)."""
    body, out, i = s[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            # \% and \_ stay escaped: they only mean something inside LIKE patterns.
            out.append("\\" + nxt if nxt in "%_" else _ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)
