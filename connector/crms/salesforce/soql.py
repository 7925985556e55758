"""SOQL built from validated identifiers only.

No text from a mapping file ever reaches a query unchecked: object and field names must
be plain API identifiers (and, at pull time, fields the org's describe confirmed); the
only literals are timestamps this module formats itself. Filters on values are applied
to the fetched records, not in SOQL, so no YAML value can inject SOQL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from urllib.parse import quote_plus

IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
MAX_RELATIONSHIP_HOPS = 4
# Salesforce refuses request URIs above 16,384 bytes; keep room for the path.
MAX_QUERY_URI_CHARS = 15_000


def check_identifier(name: str) -> str:
    """`name` if it is a plain API name (letters, digits, underscores)."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a Salesforce API name (letters, digits, _)")
    return name


def check_field_path(path: str) -> str:
    """`path` if it is a field or a relationship path like ``UserRole.Name``."""
    parts = path.split(".")
    if len(parts) > MAX_RELATIONSHIP_HOPS + 1:
        raise ValueError(f"{path!r} follows more than {MAX_RELATIONSHIP_HOPS} relationships")
    for part in parts:
        check_identifier(part)
    return path


def soql_datetime(value: dt.datetime) -> str:
    """A SOQL datetime literal (UTC, whole seconds, which rounds the bound down)."""
    utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_record_id(value: str) -> str:
    """`value` if it is a 15- or 18-character Salesforce record id."""
    if not RECORD_ID.match(value):
        raise ValueError(f"{value!r} is not a Salesforce record id")
    return value


def where_since(
    cursor_field: str, since: dt.datetime | None, skip_ids: Sequence[str] = ()
) -> str:
    """`WHERE cursor >= since` (inclusive: records on the boundary are never skipped), and
    not the records `skip_ids` names (already read)."""
    conditions = []
    if since is not None:
        conditions.append(f"{check_identifier(cursor_field)} >= {soql_datetime(since)}")
    if skip_ids:
        ids = ", ".join(f"'{check_record_id(i)}'" for i in skip_ids)
        conditions.append(f"Id NOT IN ({ids})")
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def select(
    sobject: str,
    fields: Sequence[str],
    *,
    cursor_field: str,
    since: dt.datetime | None,
    order: bool = True,
    skip_ids: Sequence[str] = (),
) -> str:
    """SELECT of `fields` changed since `since` (but `skip_ids`), ordered by cursor then Id."""
    names = ", ".join(check_field_path(f) for f in dict.fromkeys(fields))
    where = where_since(cursor_field, since, skip_ids)
    soql = f"SELECT {names} FROM {check_identifier(sobject)}{where}"
    if order:
        soql += f" ORDER BY {check_identifier(cursor_field)} ASC, Id ASC"
    return soql


def too_long_for_rest(soql: str, api_version: str) -> bool:
    """True when a REST GET of this query would overflow the request-URI limit."""
    uri = f"/services/data/v{api_version}/queryAll/?q={quote_plus(soql)}"
    return len(uri) > MAX_QUERY_URI_CHARS
