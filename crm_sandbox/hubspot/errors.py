"""HubSpot-shaped API errors: `{"status": "error", "message", "correlationId", "category"}`.

Shapes follow recorded HubSpot answers quoted in public connectors' tests, e.g.
`{"status":"error","message":"The OAuth token used to make this call expired 75 second(s)
ago.","correlationId":"…","category":"EXPIRED_AUTHENTICATION","context":{"expire time":[…]}}`
and the MISSING_SCOPES body with `errors[].context.requiredGranularScopes`.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..http import Response, json_response


def correlation_id() -> str:
    return str(uuid.uuid4())


class HsError(Exception):
    """An error answered with HubSpot's error body and `status`."""

    def __init__(self, status: int, category: str, message: str, *,
                 context: dict[str, list[str]] | None = None,
                 errors: list[dict[str, Any]] | None = None,
                 extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.category, self.message = status, category, message
        self.context, self.errors, self.extra = context, errors, extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": "error", "message": self.message,
                               "correlationId": correlation_id()}
        if self.category:
            out["category"] = self.category
        if self.context is not None:
            out["context"] = self.context
        if self.errors is not None:
            out["errors"] = self.errors
        out.update(self.extra)
        return out

    def response(self) -> Response:
        return json_response(self.body(), self.status, self.headers)


def validation(message: str, errors: list[dict[str, Any]] | None = None) -> HsError:
    """400 VALIDATION_ERROR, the answer to any malformed request."""
    return HsError(400, "VALIDATION_ERROR", message, errors=errors)


def not_found(message: str = "Resource not found") -> HsError:
    return HsError(404, "OBJECT_NOT_FOUND", message)


def record_error(category: str, message: str, ids: list[str] | None = None,
                 status: str = "error") -> dict[str, Any]:
    """One entry of a 207 answer's `errors` (the client's StandardError needs every key)."""
    return {"status": status, "category": category, "message": message,
            "context": {"ids": ids or []}, "errors": [], "links": {}}
