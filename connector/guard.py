"""What `crm-kpi` does when a command is stopped or fails by no fault of the user's:
SIGTERM stops it as Ctrl-C does; the machine's failure (a full disk, a read-only store)
and a bug are each one sentence, a bug's traceback in a crash file."""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from connector.config import load_config
from connector.errors import EXIT_CRASH, Terminated
from connector.outcome import crash_sentence, write_crash_report
from connector.store.failures import environment_failure

SignalHandler = signal.Handlers | Callable[..., object] | int | None


def on_sigterm() -> SignalHandler:
    """Make SIGTERM raise `Terminated` (so state is saved and the lock released, as on
    Ctrl-C); the handler it replaces (None off the main thread, where none can be set)."""

    def stop(signum: int, frame: object) -> None:
        raise Terminated(f"signal {signum}")

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:
        return None


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


def restore_sigterm(previous: SignalHandler) -> None:
    """Put back the SIGTERM handler `on_sigterm` replaced."""
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
