"""What `crm-kpi` does when a command is stopped or fails by no fault of the user's:
SIGTERM stops it as Ctrl-C does; the machine's failure (a full disk, a read-only store)
and a bug are each one sentence, a bug's traceback in a crash file."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connector.config import load_config
from connector.errors import EXIT_CRASH, forget_sigterm, note_sigterm, sigterm_seen
from connector.outcome import crash_sentence, write_crash_report
from connector.store.db import interrupt_queries
from connector.store.failures import environment_failure

SignalHandler = signal.Handlers | Callable[..., object] | int | None
STOPPING = (signal.SIGINT, signal.SIGTERM)
WATCHER_SECONDS = 2.0  # the longest a signal's handler waits for the watcher's interrupt


@dataclass
class Signals:
    """What `on_sigterm` changed, for `restore_sigterm` to put back."""

    handlers: dict[signal.Signals, SignalHandler]
    wakeup_fd: int
    writer: socket.socket
    stopped: threading.Event  # set by the watcher once it stopped the running queries
    watcher: threading.Thread


def on_sigterm() -> Signals | None:
    """Make SIGTERM raise `Terminated` (so state is saved and the lock released, as on
    Ctrl-C), and make SIGTERM and Ctrl-C stop a DuckDB query at once rather than when it
    is done. None off the main thread, where no handler can be set."""
    stopped = threading.Event()

    def stop(signum: int, frame: object) -> None:
        # The watcher's interrupt must land before the rollback that saving state runs.
        stopped.wait(WATCHER_SECONDS)
        stopped.clear()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        if sigterm_seen() is None:  # once: the second would hit the saving of state
            raise note_sigterm(signum)

    forget_sigterm()
    try:
        handlers = {number: signal.signal(number, stop) for number in STOPPING}
    except ValueError:
        return None
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    wakeup_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(reader, writer, stopped),
                               name="crm-kpi-signals", daemon=True)  # fmt: skip
    watcher.start()
    return Signals(handlers, wakeup_fd, writer, stopped, watcher)


def _watch(reader: socket.socket, writer: socket.socket, stopped: threading.Event) -> None:
    """Stop the stores' queries when Ctrl-C or SIGTERM arrives (the signal's number is
    written to `writer` by Python's own C handler, even while a query runs)."""
    with reader, writer:
        while received := reader.recv(64):
            if any(number in received for number in STOPPING):
                interrupt_queries()
                stopped.set()


def failed(args: argparse.Namespace, exc: Exception) -> int:
    """The machine's failure, or a bug: one sentence, and the traceback in a file."""
    store = store_of(args)
    machine = environment_failure(exc, store) if store is not None else None
    if machine is not None:
        print(f"error: {machine}", file=sys.stderr)
        return machine.exit_code
    folder = store.parent if store is not None else Path.cwd()
    report = write_crash_report(exc, folder, "")
    print(f"error: {crash_sentence(exc, f'crm-kpi {args.command}', report)}", file=sys.stderr)
    if report is None:
        traceback.print_exception(exc)
    return EXIT_CRASH


def store_of(args: argparse.Namespace) -> Path | None:
    """The store of the command's config, when it has one that loads."""
    path = getattr(args, "config", None)
    if path is None:
        return None
    try:
        return load_config(path, offline=True).store.path
    except Exception:  # the crash report then goes to the working folder
        return None


def restore_sigterm(changed: Signals | None) -> None:
    """Put back what `on_sigterm` changed; its watcher ends."""
    if changed is None:
        return
    signal.set_wakeup_fd(changed.wakeup_fd)
    for number, handler in changed.handlers.items():
        if handler is not None:
            signal.signal(number, handler)
    changed.writer.shutdown(socket.SHUT_WR)  # the watcher reads the end, then stops
    # Joined, so a command run in-process (tests, the demo's own commands) leaves no thread.
    changed.watcher.join(WATCHER_SECONDS)
