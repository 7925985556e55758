"""The error hierarchy, and the process exit code each kind of failure maps to.

Transports map every CRM failure to one of three kinds: `RetriableError` (the transport
retries it, nobody else does), `FatalError` (stop the run), `RecordError` (one record was
refused; the rest goes on). A problem in what the user gave us (config, mappings,
exports, targets, the paths and arguments they name) is a `UserError`, exit 2: only the
user can fix it, so a scheduler should not simply retry. Exit 4 is kept for a CRM's
limits, auth and TLS, which clear by themselves or by a credential change. Everything
user-facing carries a message meant to be read.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_RECORD_FAILURES = 1
EXIT_CONFIG = 2
EXIT_LOCKED = 3
EXIT_CRM_STOPPED = 4


class CrmKpiError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = EXIT_CRM_STOPPED


class UserError(CrmKpiError):
    """A problem in the user's files or arguments; the message names the file (and the
    line, key or byte where known) and says what to change."""

    exit_code = EXIT_CONFIG


class ConfigError(UserError):
    """Bad config or mapping; each message names file, line and key path."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


class LockedError(CrmKpiError):
    """Another run holds the lock."""

    exit_code = EXIT_LOCKED


class SourceError(CrmKpiError):
    """A CRM source could not be read (the CRM refused, or answered what cannot be used)."""


class ExportError(UserError):
    """An export file cannot be loaded as it is (encoding, empty file, missing column,
    an unreadable folder): the message names the file and, where known, line and byte."""


class MassDeleteError(ExportError):
    """A full export would mark more of an entity's records deleted than allowed."""


class StoreError(UserError):
    """The store file named in the config cannot be opened or created."""


class RetriableError(CrmKpiError):
    """A transient CRM failure (429, 5xx, dropped connection); retried by the transport.

    `retry_after` is the wait the CRM asked for (seconds), `status` the HTTP status
    (None when the connection failed before an answer).
    """

    def __init__(
        self, message: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class FatalError(CrmKpiError):
    """A CRM failure that stops the run: auth refused, limits spent, malformed request."""


class AuthError(FatalError):
    """Credentials were refused or a needed permission or scope is missing."""


class LimitExceededError(FatalError):
    """The CRM's API allowance is spent, or the run would spend more than allowed."""


class RecordError(CrmKpiError):
    """One record was refused by the CRM; carries what the CRM said about it."""

    exit_code = EXIT_RECORD_FAILURES

    def __init__(self, record_key: str, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(f"{record_key}: {message}")
        self.record_key = record_key
        self.message = message
        self.fields = list(fields)
