"""The error hierarchy, and the process exit code each kind of failure maps to.

The exit code says who must act (`EXIT_CODES` is the one table README, docs, `--help` and
every scheduler recipe follow):

  0 everything done; 1 finished, but something was left out (records a CRM refused, data
  excluded from a KPI), named; 2 the user's files or arguments; 3 another run holds the
  lock; 4 try again later (a CRM's limits, timeouts, an outage: the next run resumes);
  5 a person must act (credentials revoked or wrong, a permission or scope missing, a
  certificate not trusted, an API budget too small for a run to begin, the store's disk
  full, read-only or removed); 70 crm-kpi
  itself failed (a bug: report it); 130 and 143 stopped by Ctrl-C or SIGTERM.

Transports map every CRM failure to one of three kinds: `RetriableError` (the transport
retries it, nobody else does), `FatalError` (stop the run), `RecordError` (one record was
refused; the rest goes on). `FatalError` is exit 4 unless it is an `ActionNeeded` (5).
Everything user-facing carries a message meant to be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_CONFIG = 2
EXIT_LOCKED = 3
EXIT_TRY_LATER = 4
EXIT_ACTION = 5
EXIT_CRASH = 70  # EX_SOFTWARE of sysexits.h: an internal error
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_RECORD_FAILURES = EXIT_PARTIAL
EXIT_CRM_STOPPED = EXIT_TRY_LATER

SUCCESS_CODES = frozenset({EXIT_OK, EXIT_PARTIAL})
"""What a scheduler counts as a finished run (1 alerts, but is not a failure)."""


@dataclass(frozen=True)
class ExitCode:
    """One exit code: what it means and what a scheduler does with it."""

    code: int
    meaning: str
    scheduler: Literal["success", "alert", "retry", "fail"]
    """success: done; alert: done, tell someone; retry: run again later (the next night
    at the latest); fail: no retry, a person must look."""


# fmt: off
EXIT_CODES = (
    ExitCode(EXIT_OK, "everything done", "success"),
    ExitCode(EXIT_PARTIAL, "finished, but something was left out (records a CRM refused, "
             "data excluded from a KPI), named", "alert"),
    ExitCode(EXIT_CONFIG, "a problem in your files or arguments (file, line, key named)",
             "fail"),
    ExitCode(EXIT_LOCKED, "another run holds the lock", "retry"),
    ExitCode(EXIT_TRY_LATER, "try again later: a CRM's limits, a timeout or an outage; "
             "the next run resumes", "retry"),
    ExitCode(EXIT_ACTION, "a person must act: credentials revoked or wrong, a permission "
             "or scope missing, a certificate not trusted, an API budget too small for a "
             "run to begin (the setting named), the store's disk full, read-only or "
             "removed", "fail"),
    ExitCode(EXIT_CRASH, "crm-kpi itself failed (a bug): the log has the details", "fail"),
    ExitCode(EXIT_INTERRUPTED, "stopped by Ctrl-C (state saved)", "fail"),
    ExitCode(EXIT_TERMINATED, "stopped by SIGTERM (state saved)", "retry"),
)
# fmt: on


def exit_code_table() -> str:
    """The exit codes as lines for `crm-kpi --help`."""
    return "\n".join(f"  {e.code:>3}  {e.meaning}" for e in EXIT_CODES)


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


class ActionNeeded(FatalError):
    """A failure that no retry clears: a person must act (the message says what)."""

    exit_code = EXIT_ACTION


class AuthError(ActionNeeded):
    """Credentials were refused or a needed permission or scope is missing."""


class TrustError(ActionNeeded):
    """The CRM presented a certificate this machine does not trust."""


class EnvironmentFailure(ActionNeeded):
    """The machine stopped the run: the store's disk is full, read-only, or the store
    was removed while the run used it."""


class LimitExceededError(FatalError):
    """The CRM's API allowance is spent, or the run would spend more than allowed."""


class BudgetTooSmall(LimitExceededError):
    """The run's share of the API allowance was spent before any work could begin: the
    next run would do no better, so a person must change the setting it names."""

    exit_code = EXIT_ACTION


class RecordError(CrmKpiError):
    """One record was refused by the CRM; carries what the CRM said about it."""

    exit_code = EXIT_RECORD_FAILURES

    def __init__(self, record_key: str, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(f"{record_key}: {message}")
        self.record_key = record_key
        self.message = message
        self.fields = list(fields)


class Crashed(CrmKpiError):
    """crm-kpi itself failed: the message says where the details are and what to do."""

    exit_code = EXIT_CRASH


class Terminated(KeyboardInterrupt):
    """SIGTERM (what schedulers and Kubernetes send): stop as Ctrl-C does."""


_SIGTERM_SEEN: list[Terminated] = []  # the SIGTERM this command received, once it has
_QUERY_STOPPED = ("Query interrupted", "INTERRUPT Error")  # DuckDB's words for a stopped query


def note_sigterm(signum: int) -> Terminated:
    """Remember that SIGTERM arrived (DuckDB replaces an exception raised inside a query
    by its own); the exception that stops the command."""
    _SIGTERM_SEEN[:] = [Terminated(f"signal {signum}")]
    return _SIGTERM_SEEN[0]


def forget_sigterm() -> None:
    """A new command: no SIGTERM seen yet."""
    _SIGTERM_SEEN.clear()


def sigterm_seen() -> Terminated | None:
    """The SIGTERM this command received, if any."""
    return _SIGTERM_SEEN[0] if _SIGTERM_SEEN else None


def as_stop(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM that stopped the work `exc` ended: `exc` itself, or the
    signal behind a DuckDB query stopped halfway ("Query interrupted"), which is a stop,
    not a crash; None for any other failure."""
    if isinstance(exc, KeyboardInterrupt):
        return exc
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if str(cause).startswith(_QUERY_STOPPED):
            return sigterm_seen() or KeyboardInterrupt("Ctrl-C during a query")
        cause = cause.__cause__ or cause.__context__
    return None
