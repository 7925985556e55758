"""What HubSpot handlers read from a request: path patterns, query arguments, JSON bodies."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..http import Request
from .errors import validation

OBJ = r"(?P<obj>[A-Za-z0-9_\-]+)"  # an object type: name, id, alias or qualified name
V3 = "/crm/v3/objects/" + OBJ
SCHEMAS = r"/(?:crm/v3|crm-object-schemas/v3)/schemas"


def multi(req: Request, name: str) -> list[str]:
    """A repeated (`a=1&a=2`) or comma-separated (`a=1,2`) query parameter."""
    return [v for raw in req.query.get(name, []) for v in raw.split(",") if v]


def int_arg(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise validation(f"{value!r} is not an integer") from exc


def json_body(req: Request) -> dict[str, Any]:
    try:
        body = req.json()
    except json.JSONDecodeError as exc:  # HubSpot's form: "Invalid input JSON on line 1, …"
        raise validation(f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg}") from exc
    except ValueError as exc:
        raise validation("Invalid input JSON") from exc
    if not isinstance(body, dict):
        raise validation("The request body must be a JSON object")
    return body


def recent_window(req: Request, now: dt.datetime) -> tuple[dt.datetime, int, int]:
    """The legacy "recent" endpoints' arguments: records changed after `since` (epoch ms)
    but within the last 30 days, `count` (default 20; a larger one than 100 is taken as
    100, as HubSpot does) and a positional `offset`."""
    since = now - dt.timedelta(days=30)
    if req.arg("since"):
        asked = dt.datetime.fromtimestamp(int_arg(req.arg("since"), 0) / 1000, dt.UTC)
        since = max(since, asked.replace(tzinfo=None))
    count, offset = min(int_arg(req.arg("count"), 20), 100), int_arg(req.arg("offset"), 0)
    if count <= 0 or offset < 0:
        raise validation("count must be positive and offset not negative")
    return since, count, offset
