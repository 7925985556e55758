"""One run at a time per store: a lock file that says who holds it and since when.

The lock is a file created atomically (O_EXCL) next to the store, holding the pid, host
and start time of its holder. A lock whose process is gone (killed, crashed, machine
rebooted) is stale and is taken over, so a `kill -9` never wedges the nightly job.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from pathlib import Path
from typing import Any, Self

from connector.closing import Closing
from connector.errors import LockedError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock(Closing):
    """`with RunLock(path, run_id):` — raises LockedError while another live run holds it."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self.took_over: dict[str, Any] | None = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def close(self) -> None:
        """Release the lock (leaving the `with` block does)."""
        self.release()

    def acquire(self) -> None:
        """Take the lock, or take over a stale one; LockedError if a live run holds it."""
        mine = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run_id": self.run_id,
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is None and self._just_created():
                    # Another run created the file and is writing it: it is live.
                    raise LockedError(f"another run is taking {self.path.name} right now") from None
                if holder is not None and self._held_by_live_process(holder):
                    raise LockedError(
                        f"another run ({holder.get('run_id', '?')}, pid {holder.get('pid')} on "
                        f"{holder.get('host')}) has held {self.path.name} since "
                        f"{holder.get('since')}"
                    ) from None
                self.took_over = holder
                self.path.unlink(missing_ok=True)
                continue
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
    def _held_by_live_process(holder: dict[str, Any]) -> bool:
        if holder.get("host") != socket.gethostname():
            # Another machine's process cannot be checked from here: respect its lock.
            return True
        pid = holder.get("pid")
        return isinstance(pid, int) and _alive(pid)
