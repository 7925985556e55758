"""The recursive-descent SOQL parser: statement text → `soql.Query` (grammar: see `soql`)."""

from __future__ import annotations

import datetime as dt

from .errors import SoqlError
from .literals import parse_datetime
from .soql import (
    DATE_LITERALS,
    KEYWORDS,
    N_DATE_LITERALS,
    BoolOp,
    Comparison,
    Cond,
    FieldRef,
    Literal,
    Not,
    OrderItem,
    Query,
    Token,
    tokenize,
    unquote,
)

_OPS = {"=", "!=", "<>", "<", "<=", ">", ">="}


def parse(soql: str) -> Query:
    """Parse a SOQL statement into a `Query`."""
    return Parser(soql, tokenize(soql)).query()


class Parser:
    """One-pass parser over the token list."""

    def __init__(self, soql: str, tokens: list[Token]) -> None:
        self.soql, self.tokens, self.i = soql, tokens, 0

    # ---- token helpers -------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def error(self, tok: Token | None, detail: str | None = None) -> SoqlError:
        """A MALFORMED_QUERY error pointing at `tok`."""
        if tok is None:
            end = len(self.soql)
            return SoqlError("MALFORMED_QUERY", "unexpected end of query", self.soql, end)
        return SoqlError(
            "MALFORMED_QUERY", detail or f"unexpected token: {tok.text}", self.soql, tok.pos
        )

    def accept(self, word: str) -> Token | None:
        tok = self.peek()
        if tok is not None and tok.kind in ("ident", "punct", "op") and tok.upper == word:
            self.i += 1
            return tok
        return None

    def expect(self, word: str) -> Token:
        tok = self.accept(word)
        if tok is None:
            raise self.error(self.peek())
        return tok

    # ---- grammar -------------------------------------------------------------------
    def query(self) -> Query:
        """SELECT … FROM … [WHERE] [ORDER BY] [LIMIT] [OFFSET]."""
        self.expect("SELECT")
        fields, count = self.select_list()
        self.expect("FROM")
        obj = self.peek()
        if obj is None or obj.kind != "ident" or obj.upper in KEYWORDS:
            raise self.error(obj)
        self.i += 1
        q = Query(obj.text, obj.pos, fields, count)
        if self.accept("WHERE"):
            q.where = self.disjunction()
        if self.accept("ORDER"):
            self.expect("BY")
            q.order = self.order_list()
        if self.accept("LIMIT"):
            q.limit = self.integer()
        if self.accept("OFFSET"):
            q.offset = self.integer()
        if self.peek() is not None:
            raise self.error(self.peek())
        return q

    def select_list(self) -> tuple[list[FieldRef], bool]:
        """COUNT() or a list of field paths."""
        tok = self.peek()
        nxt = self.peek(1)
        if tok and tok.upper == "COUNT" and nxt and nxt.text == "(":
            self.i += 2
            self.expect(")")
            return [], True
        fields = [self.field_ref()]
        while self.accept(","):
            fields.append(self.field_ref())
        return fields, False

    def field_ref(self) -> FieldRef:
        tok = self.peek()
        if tok is None or tok.kind != "ident" or tok.upper in KEYWORDS:
            raise self.error(tok)
        self.i += 1
        return FieldRef(tuple(tok.text.split(".")), tok.pos)

    def integer(self) -> int:
        tok = self.peek()
        if tok is None or tok.kind != "number" or not tok.text.isdigit():
            raise self.error(tok)
        self.i += 1
        return int(tok.text)

    def order_list(self) -> list[OrderItem]:
        """ORDER BY items with Salesforce's null ordering defaults."""
        items = []
        while True:
            ref = self.field_ref()
            desc = self.accept("DESC") is not None
            if not desc:
                self.accept("ASC")
            nulls_last = desc
            if self.accept("NULLS"):
                nulls_last = self.accept("LAST") is not None
                if not nulls_last:
                    self.expect("FIRST")
            items.append(OrderItem(ref, desc, nulls_last))
            if not self.accept(","):
                return items

    def disjunction(self) -> Cond:
        items = [self.conjunction()]
        while self.accept("OR"):
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def conjunction(self) -> Cond:
        items = [self.negation()]
        while self.accept("AND"):
            items.append(self.negation())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def negation(self) -> Cond:
        """NOT, a parenthesised condition, or a comparison."""
        if self.accept("NOT"):
            return Not(self.negation())
        if self.accept("("):
            inner = self.disjunction()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        """field op literal, LIKE, IN and NOT IN."""
        ref = self.field_ref()
        tok = self.peek()
        if tok is None:
            raise self.error(tok)
        if tok.kind == "op" and tok.text in _OPS:
            self.i += 1
            op = "!=" if tok.text == "<>" else tok.text
            return Comparison(ref, op, self.literal())
        if self.accept("LIKE"):
            return Comparison(ref, "LIKE", self.literal())
        negated = self.accept("NOT") is not None
        if self.accept("IN"):
            return Comparison(ref, "NOT IN" if negated else "IN", self.literal_list())
        raise self.error(tok)

    def literal_list(self) -> tuple[Literal, ...]:
        """A parenthesised list of literals (no semi-joins)."""
        self.expect("(")
        tok = self.peek()
        if tok is not None and tok.upper == "SELECT":
            raise self.error(tok, "semi-join sub-selects are not supported by the sandbox")
        values = [self.literal()]
        while self.accept(","):
            values.append(self.literal())
        self.expect(")")
        return tuple(values)

    def check_calendar(self, tok: Token) -> None:
        """A date or datetime literal must name a real day and time (2024-02-30 does not)."""
        try:
            if tok.kind == "date":
                dt.date.fromisoformat(tok.text)
            else:
                parse_datetime(tok.text)
        except ValueError as exc:
            raise SoqlError("MALFORMED_QUERY", f"invalid {tok.kind}: {tok.text}", self.soql,
                            tok.pos) from exc

    def literal(self) -> Literal:
        """One literal value."""
        tok = self.peek()
        if tok is None:
            raise self.error(tok)
        self.i += 1
        kinds = {"string": "string", "number": "number", "date": "date", "datetime": "datetime"}
        if tok.kind in kinds:
            value: object = unquote(tok.text) if tok.kind == "string" else tok.text
            if tok.kind in ("date", "datetime"):
                self.check_calendar(tok)
            return Literal(kinds[tok.kind], value, tok.pos)
        if tok.kind == "ident" and tok.upper in ("TRUE", "FALSE"):
            return Literal("boolean", tok.upper == "TRUE", tok.pos)
        if tok.kind == "ident" and tok.upper == "NULL":
            return Literal("null", None, tok.pos)
        if tok.kind == "ident" and tok.upper in DATE_LITERALS:
            return Literal("dateliteral", (tok.upper, 0), tok.pos)
        if tok.kind == "dlit":
            name, _, n = tok.text.partition(":")
            if name.upper() in N_DATE_LITERALS:
                return Literal("dateliteral", (name.upper(), int(n)), tok.pos)
        raise self.error(tok)
