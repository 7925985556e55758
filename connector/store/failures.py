"""Failures of the machine under the store, said as what a person does about them.

DuckDB reports a full disk as an `IOException` or a `TransactionException` whose text
ends in the operating system's words ("No space left on device"); Python reports the
same as an `OSError` with its errno. Both become an `EnvironmentFailure` (exit 5) with
one plain sentence naming the folder and what to do; anything else is left as it is.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from connector.errors import EnvironmentFailure

# The operating system's words, as DuckDB and libc put them into messages.
_FULL = ("No space left on device", "Disk quota exceeded")
_TOO_LARGE = ("File too large",)
_READ_ONLY = ("Read-only file system",)


def _kind(exc: BaseException) -> str | None:
    """full, too_large or read_only when `exc` (or what it was raised from) says so."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, OSError):
            code = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EFBIG: "too_large",
                    errno.EROFS: "read_only"}.get(seen.errno or 0)  # fmt: skip
            if code:
                return code
        text = str(seen)
        for words, code in ((_FULL, "full"), (_TOO_LARGE, "too_large"), (_READ_ONLY,
                            "read_only")):  # fmt: skip
            if any(w in text for w in words):
                return code
        seen = seen.__cause__ or seen.__context__
    return None


def free_space(folder: Path) -> str:
    """How much room is left in `folder`'s file system, said for people."""
    try:
        free = float(shutil.disk_usage(folder).free)
    except OSError:
        return "unknown"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if free < 1024 or unit == "GiB":
            return f"{free:,.0f} {unit}" if unit == "bytes" else f"{free:,.1f} {unit}"
        free /= 1024
    return "unknown"  # pragma: no cover - the loop always returns


def environment_failure(exc: BaseException, store: Path) -> EnvironmentFailure | None:
    """The plain failure `exc` is when the store's machine caused it, else None."""
    kind = _kind(exc)
    folder = store.parent
    if kind == "full":
        return EnvironmentFailure(
            f"the store's file system is full: free space at {folder} (free now: "
            f"{free_space(folder)}); the run kept its last checkpoint and resumes from it"
        )
    if kind == "too_large":
        return EnvironmentFailure(
            f"the store's file system is full: a file-size limit stopped a write under "
            f"{folder} (ulimit -f, or the largest file it holds): free space at {folder} or "
            "raise the limit; the run kept its last checkpoint and resumes from it"
        )
    if kind == "read_only":
        return EnvironmentFailure(
            f"the store {store} is on a read-only file system: a run writes to it, so mount "
            f"{folder} read-write (status, problems, compute and dashboard only read it)"
        )
    return None


def store_removed(store: Path) -> EnvironmentFailure:
    """The failure of a run whose store file was removed (or replaced) while it ran."""
    return EnvironmentFailure(
        f"the store {store} was removed or replaced while the run used it: what this run "
        "pulled and computed went with it, so nothing is reported as done; find what "
        "removes it (a clean-up job, a volume not kept between runs) and run again: the "
        "next run rebuilds the store from the CRMs"
    )
