"""One run at a time per store: a lock file that says who holds it and since when.

The lock is a file created atomically (O_EXCL, readable by its owner only) next to the
store, holding the pid, host, start time and command line of its holder. A lock whose
process is gone (killed, crashed, machine rebooted) is stale and is taken over, so a
`kill -9` never wedges the nightly job. A pid alone does not say the process is gone:
after a reboot or a long time the pid is another process's. The holder is alive only if
a process with its pid exists and started when the holder did (psutil reads the start
time portably: /proc on Linux, sysctl on macOS); a lock without that start time (written
by an older version) belongs to a live process only if that process started before the
lock was taken.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any, Self

import psutil

from connector.closing import Closing
from connector.errors import LockedError, UserError

# Start times are read to the clock tick; the same process always reads the same.
_SAME_START_SECONDS = 1.0


def _started(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), or None when there is no such process."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:
        return -1.0  # it exists, but we may not look: treat it as the holder


def _is_holder(holder: dict[str, Any]) -> tuple[bool, str]:
    """Whether the process a lock names is the one that took it; why not, when not."""
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return False, "the lock names no process"
    started = _started(pid)
    if started is None:
        return False, f"pid {pid} is gone"
    if started < 0:
        return True, ""
    recorded = holder.get("process_started")
    if isinstance(recorded, int | float):
        same = abs(started - recorded) <= _SAME_START_SECONDS
    else:
        since = _timestamp(holder.get("since"))
        same = since is not None and started <= since + _SAME_START_SECONDS
    return same, "" if same else f"pid {pid} is another process now"


def _timestamp(text: object) -> float | None:
    try:
        return dt.datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


class RunLock(Closing):
    """`with RunLock(path, run_id):` — raises LockedError while another live run holds it."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self.took_over: dict[str, Any] | None = None
        self.took_over_because = ""

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def close(self) -> None:
        """Release the lock (leaving the `with` block does)."""
        self.release()

    def acquire(self) -> None:
        """Take the lock, or take over a stale one; LockedError if a live run holds it."""
        me = psutil.Process()
        mine = {
            "pid": me.pid,
            "host": socket.gethostname(),
            "run_id": self.run_id,
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "process_started": me.create_time(),
            "command": " ".join(sys.argv)[:200],
        }
        for _ in range(3):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                holder = self._holder()
                if holder is None and self._just_created():
                    # Another run created the file and is writing it: it is live.
                    raise LockedError(f"another run is taking {self.path.name} right now") from None
                alive, because = self._held_by_live_process(holder) if holder else (False, "")
                if alive and holder is not None:
                    raise LockedError(
                        f"another run ({holder.get('run_id', '?')}, pid {holder.get('pid')} on "
                        f"{holder.get('host')}) has held {self.path.name} since "
                        f"{holder.get('since')}"
                    ) from None
                self.took_over, self.took_over_because = holder, because
                self.path.unlink(missing_ok=True)
                continue
            except OSError as exc:
                why = (exc.strerror or str(exc)).lower()
                raise UserError(f"cannot create the run lock {self.path} beside the store "
                                f"({why}): check store.path in the config") from None  # fmt: skip
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(mine, fh)
            return
        raise LockedError(f"could not take {self.path}: another run keeps taking it")

    def release(self) -> None:
        """Give the lock back, if it is still ours."""
        holder = self._holder()
        if holder is not None and holder.get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)

    def _just_created(self) -> bool:
        try:
            age = dt.datetime.now().timestamp() - self.path.stat().st_mtime
        except OSError:
            return False
        return age < 5

    def _holder(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def _held_by_live_process(holder: dict[str, Any]) -> tuple[bool, str]:
        if holder.get("host") != socket.gethostname():
            # Another machine's process cannot be checked from here: respect its lock.
            return True, ""
        return _is_holder(holder)
