"""One run at a time per store, on one host or many: a lease kept beside the store.

The lease is a file created atomically (O_EXCL, readable by its owner only) next to the
store, holding its holder (run id, pid, host, process start, command), when it was taken,
its last heartbeat and when it expires. A thread renews it while the run lives (every
third of `lease_seconds`). Another run takes it over:

- at once when the holder ran on this host and its process is gone: a pid alone does
  not say so (after a reboot it is another process's), so the holder is alive only while
  a process with its pid exists and started when the holder did (psutil reads the start
  time portably);
- on any host once its holder has not renewed it for `lease_seconds`: a killed pod or a
  lost worker never blocks the nightly job for longer than that.

A takeover renames the expired lease away and checks that what it renamed is what it
judged, so two runs racing for one expired lease never both hold it; a holder whose
lease was taken over (it stopped renewing, say it was frozen) learns so at its next
renewal and stops before writing more (`RunLock.check`).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import socket
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, Self

import psutil

from connector.closing import Closing
from connector.errors import LockedError, UserError, sigterm_seen

# Start times are read to the clock tick; the same process always reads the same.
_SAME_START_SECONDS = 1.0
DEFAULT_LEASE_SECONDS = 300
# A read-only or full file system is no mistake in store.path: the run says what it is.
_MACHINE_ERRORS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT})
# A lease file just created is being written by its taker: it is live.
_BEING_WRITTEN_SECONDS = 5.0


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


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def describe(holder: dict[str, Any]) -> str:
    """A lease's holder for people: run, pid, host and its last heartbeat."""
    beat = holder.get("heartbeat") or holder.get("since")
    return (f"run {holder.get('run_id', '?')}, pid {holder.get('pid')} on "
            f"{holder.get('host')}, last heartbeat {beat}")  # fmt: skip


class RunLock(Closing):
    """`with RunLock(path, run_id):` — raises LockedError while another live run holds it."""

    def __init__(
        self, path: Path, run_id: str, lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> None:
        self.path = path
        self.run_id = run_id
        self.lease_seconds = float(lease_seconds)
        self.took_over: dict[str, Any] | None = None
        self.took_over_because = ""
        self.lost: str | None = None
        """Why this run no longer holds its lease (set by the renewing thread)."""
        self._mine: dict[str, Any] = {}
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._token = uuid.uuid4().hex[:8]

    def __enter__(self) -> Self:
        self.acquire()
        self.start_renewing()
        return self

    def close(self) -> None:
        """Stop renewing and release the lease (leaving the `with` block does)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        self.release()

    def acquire(self) -> None:
        """Take the lease, or take over an expired one; LockedError if a live run holds it."""
        me = psutil.Process()
        now = dt.datetime.now(dt.UTC).timestamp()
        self._mine = {
            "run_id": self.run_id, "pid": me.pid, "host": socket.gethostname(),
            "process_started": me.create_time(), "since": _iso(now),
            "command": " ".join(sys.argv)[:200], "lease_seconds": self.lease_seconds,
            **self._times(now),
        }  # fmt: skip
        for _ in range(3):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                if not self.path.parent.is_dir():  # a file is in the way of the folder
                    raise self._cannot_create("a file of that name is in the way") from None
                self._take_over_if_expired()
                continue
            except OSError as exc:
                if exc.errno in _MACHINE_ERRORS:
                    raise  # the machine's failure, said as such by the run
                raise self._cannot_create((exc.strerror or str(exc)).lower()) from None
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(self._mine, fh)
            except BaseException:  # a full disk: no empty lease left to block the next run
                self.path.unlink(missing_ok=True)
                raise
            return
        raise LockedError(f"could not take {self.path}: another run keeps taking it")

    def _cannot_create(self, why: str) -> UserError:
        return UserError(f"cannot create the run lock {self.path} beside the store ({why}): "
                         "check store.path in the config")  # fmt: skip

    def _times(self, now: float) -> dict[str, str]:
        return {"heartbeat": _iso(now), "expires": _iso(now + self.lease_seconds)}

    def _take_over_if_expired(self) -> None:
        """Move an expired lease out of the way, or raise LockedError naming its holder."""
        holder = self._holder()
        if holder is None:
            if self._age() < _BEING_WRITTEN_SECONDS:
                raise LockedError(f"another run is taking {self.path.name} right now")
            holder = {}
        alive, because = self._live(holder)
        if alive:
            raise LockedError(
                f"another run ({holder.get('run_id', '?')}, pid {holder.get('pid')} on "
                f"{holder.get('host')}) has held {self.path.name} since {holder.get('since')} "
                f"(last heartbeat {holder.get('heartbeat') or holder.get('since')}; it expires "
                f"if not renewed for {self._lease_of(holder):.0f} s)"
            )
        aside = self.path.with_name(f"{self.path.name}.expired-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return  # another run moved it first: try to create ours again
        if self._read(aside) != holder and holder:
            # Between judging and moving, another run took a fresh lease: give it back.
            try:
                os.link(aside, self.path)
            finally:
                aside.unlink(missing_ok=True)
            raise LockedError(f"another run took {self.path.name} just now")
        aside.unlink(missing_ok=True)
        self.took_over, self.took_over_because = holder or None, because

    def _live(self, holder: dict[str, Any]) -> tuple[bool, str]:
        """Whether a lease's holder still holds it; why not, when not."""
        beat = _timestamp(holder.get("heartbeat")) or _timestamp(holder.get("since"))
        if beat is None:
            beat = dt.datetime.now(dt.UTC).timestamp() - self._age()  # the file's own age
        silent = dt.datetime.now(dt.UTC).timestamp() - beat
        lease = self._lease_of(holder)
        if holder.get("host") == socket.gethostname():
            alive, because = _is_holder(holder)
            if not alive:
                return False, because
        if silent <= lease:
            return True, ""
        host = holder.get("host")
        return False, f"no heartbeat from {host} for {silent:.0f} s, past its {lease:.0f} s lease"

    def _lease_of(self, holder: dict[str, Any]) -> float:
        lease = holder.get("lease_seconds")
        return float(lease) if isinstance(lease, int | float) and lease > 0 else self.lease_seconds

    def start_renewing(self) -> None:
        """Renew the lease every third of its length until `close`."""
        self._renewer = threading.Thread(target=self._renew_loop, name="crm-kpi-lease",
                                         daemon=True)  # fmt: skip
        self._renewer.start()

    def _renew_loop(self) -> None:
        interval = max(self.lease_seconds / 3, 0.2)
        while not self._stop.wait(interval):
            if not self.renew():
                return

    def renew(self) -> bool:
        """Write a fresh heartbeat if the lease is still ours; False (and `lost` says why)
        when another run holds it now."""
        holder = self._holder()
        if holder is None or holder.get("run_id") != self.run_id:
            taker = describe(holder) if holder else "nobody (the lease file is gone)"
            self.lost = f"this run's lease on {self.path.name} was taken over: {taker}"
            return False
        self._mine.update(self._times(dt.datetime.now(dt.UTC).timestamp()))
        fresh = self.path.with_name(f"{self.path.name}.{self._token}.renew")
        try:
            fd = os.open(fresh, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self._mine, fh)
            os.replace(fresh, self.path)
        except OSError:
            fresh.unlink(missing_ok=True)  # a full disk: the next renewal tries again
        return True

    def check(self) -> None:
        """Raise LockedError when this run no longer holds its lease, and `Terminated`
        when SIGTERM arrived (in case a query it stopped was taken for a failure)."""
        if self.lost:
            raise LockedError(f"{self.lost}; this run stops before writing more")
        terminated = sigterm_seen()
        if terminated is not None:
            raise terminated

    def release(self) -> None:
        """Give the lease back, if it is still ours."""
        holder = self._holder()
        if holder is not None and holder.get("run_id") == self.run_id and (
            holder.get("pid") == os.getpid()
        ):
            self.path.unlink(missing_ok=True)

    def _age(self) -> float:
        try:
            return dt.datetime.now().timestamp() - self.path.stat().st_mtime
        except OSError:
            return 0.0

    def _holder(self) -> dict[str, Any] | None:
        return self._read(self.path)

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None
