"""HTTP plumbing: request/response values, routes, and the CRM-surface protocol."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qs


@dataclass
class Request:
    """One parsed request."""

    method: str
    target: str  # path + query, as sent
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # route captures

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> dict[str, list[str]]:
        _, _, qs = self.target.partition("?")
        return parse_qs(qs, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Response:
    """One answer; `drop` closes the connection without answering."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(obj, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": "application/json;charset=UTF-8",
                                   **(headers or {})})


def raw_json(text: str, status: int = 200) -> Response:
    """A body already serialised (query pages built from DuckDB JSON rows)."""
    return Response(status, text.encode(), {"Content-Type": "application/json;charset=UTF-8"})


Handler = Callable[[Request], Response]


class Endpoint(NamedTuple):
    """What a handler serves: method, path regex (matching the whole path), the name its
    calls are counted under, and the handler itself."""

    method: str
    pattern: str
    name: str
    handler: Handler


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler
    surface: Surface


class Surface(Protocol):
    """A CRM's API served over the org (Salesforce and HubSpot mount the same way)."""

    name: str

    def routes(self) -> list[Route]:
        """The surface's endpoints."""

    def guard(self, request: Request, route: Route) -> Response | None:
        """Authentication and API limits; an answer here replaces the handler's."""

    def decorate(self, request: Request, response: Response) -> None:
        """Add surface headers (e.g. Sforce-Limit-Info) to every answer."""

    def fault_response(self, kind: str, status: int, request: Request,
                       retry_after: float | None, *, form: str = "",
                       policy: str = "") -> Response:
        """A fault rendered in this CRM's error shape (`form`/`policy`: which of the CRM's
        rate-limit answers, where it has several)."""

    def error(self, exc: Exception) -> Response:
        """A handler's exception as this CRM's error answer (unknown ones as 500)."""

    def not_found(self, request: Request) -> Response:
        """This CRM's answer to an unknown resource."""

    def close(self) -> None:
        """Release what the surface holds (cursors, job files)."""


def bind(surface: Surface, endpoints: Iterable[Endpoint]) -> list[Route]:
    """The surface's routes for its handlers' endpoints."""
    return [Route(e.method, re.compile(f"^{e.pattern}$"), e.name, e.handler, surface)
            for e in endpoints]
