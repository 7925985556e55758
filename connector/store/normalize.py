"""Typing at the boundary: SQL that turns staged CRM strings into normalized values.

Sources stage raw values as VARCHAR columns named after the normalized fields. The
explicit type map of `connector.schema` decides how each is parsed; a value that does
not parse, a missing required value or a broken rule becomes a quarantine entry that
names the line, the field and the reason, instead of a crash or a silent NULL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.currencies import ISO_4217_CODES
from connector.schema import (
    CONTACT_METHOD_FIELDS,
    CONTACT_METHODS,
    NATURAL_KEYS,
    Entity,
    FieldType,
)
from connector.store.targetrules import target_rules

_OFFSET_RE = r"(Z|z|[+-][0-9][0-9]:?[0-9][0-9])$"


@dataclass(frozen=True)
class ParseOptions:
    """How raw strings are read: the org time zone and an optional date format."""

    timezone: str = "UTC"
    date_format: str | None = None
    timestamp_format: str | None = None


@dataclass(frozen=True)
class ValueMap:
    """CRM value → normalized value for one field, matched case-insensitively."""

    values: Mapping[str, str] = field(default_factory=dict)


_TIMEZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]+")
_FORMAT = re.compile(r"[^'\\\x00-\x1f]*%[^'\\\x00-\x1f]*")


def literal(value: str, kind: Literal["timezone", "format"]) -> str:
    """A validated SQL literal, for the few values DuckDB evaluates much faster as
    constants than as parameters (a time zone, a strptime format: checked here, so no
    quote ever reaches SQL text)."""
    ok = _TIMEZONE_NAME.fullmatch(value) if kind == "timezone" else _FORMAT.fullmatch(value)
    if kind == "timezone" and ok:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            ok = None
    if not ok:
        raise ValueError(f"not a valid {kind}: {value!r}")
    return f"'{value}'"


class Bind:
    """The parameters of one statement: `bind.value(v)` is the placeholder of `v`, so
    values (a mapping's value maps, a time zone, a date format) never become SQL text."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}

    def value(self, value: object) -> str:
        """The `$name` placeholder bound to `value` (one per distinct value)."""
        for name, bound in self.params.items():
            if type(bound) is type(value) and bound == value:
                return f"${name}"
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


def mapped_raw(column: str, value_map: ValueMap | None, bind: Bind) -> str:
    """The raw value after trimming, empty-as-null and value mapping."""
    raw = f"NULLIF(TRIM({column}), '')"
    if not value_map or not value_map.values:
        return raw
    keys = bind.value([k.strip().lower() for k in value_map.values])
    values = bind.value(list(value_map.values.values()))
    return f"coalesce(MAP({keys}, {values})[lower({raw})], {raw})"


def typed(raw: str, field_type: FieldType, opts: ParseOptions, bind: Bind) -> str:
    """SQL turning the (mapped) raw expression into the normalized type, NULL if invalid."""
    tz = literal(opts.timezone, "timezone")
    if field_type == "str":
        return raw
    if field_type == "float":
        return f"TRY_CAST({raw} AS DOUBLE)"
    if field_type == "int":
        return (
            f"(CASE WHEN TRY_CAST({raw} AS DOUBLE) = floor(TRY_CAST({raw} AS DOUBLE)) "
            f"THEN CAST(TRY_CAST({raw} AS DOUBLE) AS INTEGER) END)"
        )
    if field_type == "bool":
        return (
            f"(CASE WHEN lower({raw}) IN ('true','t','1','yes','y') THEN TRUE "
            f"WHEN lower({raw}) IN ('false','f','0','no','n') THEN FALSE END)"
        )
    if field_type == "date":
        if opts.date_format:
            return f"CAST(TRY_STRPTIME({raw}, {literal(opts.date_format, 'format')}) AS DATE)"
        # A timestamp where a date is expected is read as the org-local day it falls on.
        return (
            f"(CASE WHEN length({raw}) <= 10 THEN TRY_CAST({raw} AS DATE) "
            f"ELSE CAST(timezone({tz}, {_timestamptz(raw, opts, bind)}) AS DATE) END)"
        )
    return f"timezone('UTC', {_timestamptz(raw, opts, bind)})"


def _timestamptz(raw: str, opts: ParseOptions, bind: Bind) -> str:
    # An explicit offset wins; a naive value is wall-clock time in the org time zone, and
    # a date alone (a CRM's date-only field, as Lead.ConvertedDate) is the org's midnight
    # of that day: it keeps its calendar day in the org, west of UTC as east.
    tz = literal(opts.timezone, "timezone")
    if opts.timestamp_format:
        naive = f"TRY_STRPTIME({raw}, {literal(opts.timestamp_format, 'format')})"
    else:
        naive = f"TRY_CAST({raw} AS TIMESTAMP)"
    return (
        f"(CASE WHEN regexp_matches({raw}, {bind.value(_OFFSET_RE)}) "
        f"THEN TRY_CAST({raw} AS TIMESTAMPTZ) ELSE timezone({tz}, {naive}) END)"
    )


_TYPE_PROBLEM: dict[FieldType, str] = {
    "str": "not text",
    "float": "not a number",
    "int": "not a whole number",
    "bool": "not a boolean (true/false)",
    "date": "not a valid date (expected YYYY-MM-DD)",
    "timestamp": "not a valid timestamp (expected ISO 8601)",
}


def type_problem(field_type: FieldType, opts: ParseOptions) -> str:
    """The quarantine reason for a value that does not parse as `field_type`."""
    if field_type == "date" and opts.date_format:
        return f"not a valid date (expected format {opts.date_format})"
    return _TYPE_PROBLEM[field_type]


def id_expression(entity: Entity, staged_columns: set[str]) -> str:
    """The record id: the staged id, or one derived from the entity's natural key."""
    if "id" in staged_columns or entity.name not in NATURAL_KEYS:
        return "NULLIF(TRIM(id), '')"
    parts = [
        f"COALESCE(TRIM({c}), '')" if c in staged_columns else "''"
        for c in NATURAL_KEYS[entity.name]
    ]
    return f"concat_ws('|', {', '.join(parts)})"


def row_rules(entity: Entity) -> list[tuple[str, str, str]]:
    """Entity rules beyond types: (field, SQL condition that is TRUE when broken, reason)."""
    rules: dict[str, list[tuple[str, str, str]]] = {
        "opportunities": [
            ("close_date", "t_is_won AND r_close_date IS NULL", "won deal without close date"),
            ("currency", _bad_currency("t_currency"), "not an ISO 4217 currency code"),
        ],
        "survey_responses": [
            ("score", "t_score < 0 OR t_score > 10", "NPS score must be between 0 and 10"),
        ],
        "costs": [
            (
                "category",
                "t_category NOT IN ('sales', 'marketing')",
                "category must be sales or marketing",
            ),
            ("period_end", "t_period_end < t_period_start", "period ends before it starts"),
            ("currency", _bad_currency("t_currency"), "not an ISO 4217 currency code"),
        ],
        "exchange_rates": [
            ("rate_to_reporting", "t_rate_to_reporting <= 0", "rate must be positive"),
            ("currency", _bad_currency("t_currency"), "not an ISO 4217 currency code"),
        ],
    }
    if entity.name == "targets":
        return target_rules(entity)
    return rules.get(entity.name, [])


def _bad_currency(col: str) -> str:
    return f"{col} IS NOT NULL AND NOT regexp_matches({col}, '^[A-Z]{{3}}$')"


def contact_method_check(entity: Entity, bind: Bind) -> tuple[str, str] | None:
    """(field, placeholder of the allowed values) for entities with a contact method."""
    name = CONTACT_METHOD_FIELDS.get(entity.name)
    if name is None:
        return None
    return name, bind.value(list(CONTACT_METHODS))


# Values kept as they are but worth a look, per entity: (field, SQL condition TRUE when
# found, what the KPIs do with it). A currency's problem starts with the code itself.
_FINDINGS: dict[str, list[tuple[str, str, str]]] = {
    "opportunities": [
        ("currency", "NOT list_contains($iso, t_currency)",
         "is not an ISO 4217 currency code: the deal is kept, but money KPIs leave it out "
         "unless the rate table has this code"),
        ("amount", "t_is_won AND t_amount < 0",
         "won deal with a negative amount: counted as is, lowering revenue (and gross "
         "margin can pass 100 %)"),
        ("cost", "t_cost < 0",
         "negative cost: counted as is, so the deal's margin passes 100 %"),
        ("cost", "t_cost > t_amount AND t_amount >= 0",
         "cost above the amount: counted as is, a margin below 0 % for this deal"),
    ],
    "line_items": [
        ("unit_cost", "t_unit_cost < 0",
         "negative unit cost: counted as is, so the line's margin passes 100 %"),
        ("unit_cost", "t_unit_cost > t_unit_price AND t_unit_price >= 0",
         "unit cost above the unit price: counted as is, a margin below 0 % for this line"),
    ],
    "costs": [
        ("currency", "NOT list_contains($iso, t_currency)",
         "is not an ISO 4217 currency code: the cost is kept, but CAC leaves it out unless "
         "the rate table has this code"),
    ],
    "exchange_rates": [
        ("currency", "NOT list_contains($iso, t_currency)",
         "is not an ISO 4217 currency code: the rate is kept and used for records in it"),
    ],
}  # fmt: skip


def finding_rules(entity: Entity, bind: Bind) -> list[tuple[str, str, str]]:
    """(field, SQL condition TRUE when found, SQL of the problem) for the values of
    `entity` that are kept but reported as findings: unknown contact methods (counted as
    other), currencies outside ISO 4217, negative won amounts, margins outside 0..1."""
    rules = []
    method = contact_method_check(entity, bind)
    if method is not None:
        name, allowed = method
        problem = (f"concat({bind.value('unknown contact method ')}, '''', r_{name}, "
                   f"{bind.value(chr(39) + ' counted as other')})")  # fmt: skip
        rules.append((name, f"NOT list_contains({allowed}, lower(r_{name}))", problem))
    for name, condition, what in _FINDINGS.get(entity.name, []):
        if "$iso" in condition:
            condition = condition.replace("$iso", bind.value(sorted(ISO_4217_CODES)))
        shown = f"'''' || t_{name} || ''' ' || " if name == "currency" else ""
        rules.append((name, condition, f"{shown}{bind.value(what)}"))
    return [(name, f"r_{name} IS NOT NULL AND {cond}", problem) for name, cond, problem in rules]
