"""Salesforce-shaped API errors: HTTP status + a JSON list of {message, errorCode}."""

from __future__ import annotations

from typing import Any


class SfError(Exception):
    """An error answered as `[{"message": ..., "errorCode": ...}]` with `status`."""

    def __init__(
        self, status: int, code: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        """The documented REST error body (a JSON list)."""
        item: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]


def not_found(message: str = "The requested resource does not exist") -> SfError:
    """404 NOT_FOUND, the answer to an id or resource that does not exist."""
    return SfError(404, "NOT_FOUND", message)


class SoqlError(SfError):
    """A query error, with the caret diagram real Salesforce messages carry."""

    def __init__(self, code: str, detail: str, soql: str = "", pos: int | None = None) -> None:
        message = detail
        if soql and pos is not None:
            row = soql.count("\n", 0, pos) + 1
            col = pos - (soql.rfind("\n", 0, pos) + 1) + 1
            line = soql.splitlines()[row - 1] if soql.splitlines() else soql
            caret = " " * (col - 1) + "^"
            message = f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{col}\n{detail}"
        super().__init__(400, code, message)


class RecordError(Exception):
    """One record refused in a write; becomes an entry of `errors` in the result."""

    def __init__(self, status_code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status_code, self.message, self.fields = status_code, message, fields or []

    def as_dict(self) -> dict[str, Any]:
        """The per-record error shape of sObject Collections."""
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}
