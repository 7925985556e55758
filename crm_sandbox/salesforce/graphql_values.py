"""GraphQL field values: each describe type's value type and scalar, the raw `value` as
the GraphQL API answers it, and its `displayValue` in the en_US locale of the org.

Shapes follow recorded UI API GraphQL answers (Salesforce's own LDS test fixtures):
`StringValue`, `BooleanValue`, `IDValue`, `EmailValue`, `PhoneNumberValue`, `UrlValue`,
`TextAreaValue` and `LongTextAreaValue` have a null `displayValue`; `DateValue` shows
"2/11/2022"; `DoubleValue` and `PercentValue` show the number ("5", "75.89", "90");
`PicklistValue` shows the value's label; datetimes are `2021-12-18T06:14:43.000Z`.
Amounts in a multi-currency org show their ISO code ("USD 15,000.00", "EUR 9,240 (USD
10,043.48)" in recorded user reports) with the currency's decimal places.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.language import FloatValueNode, IntValueNode, StringValueNode, ValueNode

from .model import SField

_TS_IN = "%Y-%m-%dT%H:%M:%S.%f+0000"  # how the compiled query's JSON carries datetimes


def _number_out(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"not a number: {value!r}")
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _number_literal(node: ValueNode, _variables: Any = None) -> float:
    if isinstance(node, IntValueNode | FloatValueNode):
        return float(node.value)
    raise TypeError("a number is expected")


def _number_value(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a number is expected, not {value!r}")
    return float(value)


def _number(name: str) -> GraphQLScalarType:
    return GraphQLScalarType(name, serialize=_number_out, parse_value=_number_value,
                             parse_literal=_number_literal)


def _date_in(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise TypeError(f"a date (YYYY-MM-DD) is expected, not {value!r}")
    return dt.date.fromisoformat(value)


def _datetime_in(value: Any) -> dt.datetime:
    if not isinstance(value, str) or "T" not in value:
        raise TypeError(f"a datetime (ISO 8601) is expected, not {value!r}")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


def _string_scalar(name: str, parse: Any = None) -> GraphQLScalarType:
    def literal(node: ValueNode, _variables: Any = None) -> Any:
        if not isinstance(node, StringValueNode):
            raise TypeError(f"a {name} is expected as a string")
        return parse(node.value) if parse else node.value

    def value(raw: Any) -> Any:
        if not isinstance(raw, str):
            raise TypeError(f"a {name} is expected as a string, not {raw!r}")
        return parse(raw) if parse else raw

    return GraphQLScalarType(name, serialize=str, parse_value=value, parse_literal=literal)


SCALARS: dict[str, GraphQLScalarType] = {
    "Currency": _number("Currency"), "Double": _number("Double"),
    "Percent": _number("Percent"), "Long": _number("Long"),
    "Date": _string_scalar("Date", _date_in), "DateTime": _string_scalar("DateTime", _datetime_in),
    **{n: _string_scalar(n) for n in ("Email", "PhoneNumber", "Picklist", "TextArea",
                                      "LongTextArea", "Url")},
}


class ValueKind(NamedTuple):
    """How one describe type shows in GraphQL: value type, value scalar, operators."""

    type_name: str  # StringValue, CurrencyValue, ...
    scalar: GraphQLScalarType
    operators: str | None  # StringOperators, ... (None: not filterable)
    orderable: bool = True


_KINDS: dict[str, ValueKind] = {
    "string": ValueKind("StringValue", GraphQLString, "StringOperators"),
    "textarea": ValueKind("TextAreaValue", SCALARS["TextArea"], "TextAreaOperators"),
    "email": ValueKind("EmailValue", SCALARS["Email"], "EmailOperators"),
    "phone": ValueKind("PhoneNumberValue", SCALARS["PhoneNumber"], "PhoneNumberOperators"),
    "url": ValueKind("UrlValue", SCALARS["Url"], "UrlOperators"),
    "picklist": ValueKind("PicklistValue", SCALARS["Picklist"], "PicklistOperators"),
    "double": ValueKind("DoubleValue", SCALARS["Double"], "DoubleOperators"),
    "int": ValueKind("IntValue", GraphQLInt, "IntegerOperators"),
    "currency": ValueKind("CurrencyValue", SCALARS["Currency"], "CurrencyOperators"),
    "percent": ValueKind("PercentValue", SCALARS["Percent"], "PercentOperators"),
    "date": ValueKind("DateValue", SCALARS["Date"], "DateOperators"),
    "datetime": ValueKind("DateTimeValue", SCALARS["DateTime"], "DateTimeOperators"),
    "boolean": ValueKind("BooleanValue", GraphQLBoolean, "BooleanOperators"),
    "id": ValueKind("IDValue", GraphQLID, "IDOperators"),
    "reference": ValueKind("IDValue", GraphQLID, "IDOperators"),
}
LONG_TEXT = ValueKind("LongTextAreaValue", SCALARS["LongTextArea"], None, orderable=False)


def kind_of(f: SField) -> ValueKind:
    """The value kind of a field (long text areas are neither filterable nor sortable)."""
    if f.type == "textarea" and f.length > 255:
        return LONG_TEXT
    return _KINDS.get(f.type, _KINDS["string"])


def wire_value(f: SField, raw: Any) -> Any:
    """A value of the compiled query's JSON record as the GraphQL API answers it."""
    if raw is None:
        return None
    if f.type == "datetime":
        stamp = dt.datetime.strptime(raw, _TS_IN)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    if f.type in ("double", "currency", "percent", "int"):
        return _number_out(raw)
    return raw


def display_value(f: SField, value: Any, currency: str, places: int) -> str | None:
    """The en_US displayValue of a wire value (`currency`: the record's ISO code and
    `places` its decimal places, as CurrencyType.DecimalPlaces has them)."""
    if value is None:
        return None
    if f.type == "date":
        d = dt.date.fromisoformat(value)
        return f"{d.month}/{d.day}/{d.year}"
    if f.type == "datetime":
        t = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
        hour = t.hour % 12 or 12
        return f"{t.month}/{t.day}/{t.year} {hour}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"
    if f.type == "currency":
        return f"{currency} {float(value):,.{places}f}"
    if f.type in ("double", "percent", "int"):
        text = f"{float(value):,.{f.scale}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if f.type == "picklist":
        return str(value)  # the sandbox's picklist labels are their values
    return None


def weak_etag(system_modstamp: str | None) -> int:
    """WeakEtag: the record's SystemModstamp in epoch milliseconds (as recorded answers)."""
    if system_modstamp is None:
        return 0
    stamp = dt.datetime.strptime(system_modstamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(stamp.replace(tzinfo=dt.UTC).timestamp() * 1000)
