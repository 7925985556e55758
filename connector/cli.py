"""The `crm-kpi` command: argument parsing and wiring only."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from connector import __version__
from connector.commands import Handler, add_all
from connector.errors import (
    EXIT_CONFIG,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    ConfigError,
    CrmKpiError,
    Terminated,
    as_stop,
    exit_code_table,
)
from connector.guard import failed, on_sigterm, restore_sigterm
from connector.secrets import redact
from connector.store.failures import environment_failure


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `crm-kpi` console script.

    A mistake of the user's is a sentence and its exit code, never a traceback; so is the
    machine's failure (a full disk: exit 5) and a bug (exit 70, its traceback in a file
    the sentence names). SIGTERM stops a command as Ctrl-C does. Files the run creates
    (the store's write-ahead log among them, which DuckDB creates and removes by itself)
    are its user's only: umask 077.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    umask = os.umask(0o077)
    previous = on_sigterm()
    try:
        return handler(args)
    except ConfigError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return exc.exit_code
    except CrmKpiError as exc:
        print(redact(f"error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _stopped(exc)
    except BrokenPipeError:
        # The reader went away (`crm-kpi compute | head`): the user stopped it, as with
        # Ctrl-C, and no crash; stdout goes nowhere so that Python's last flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("stopped: the output's reader closed the pipe", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.filename is not None and environment_failure(exc, Path(exc.filename)) is None:
            reason = (exc.strerror or str(exc)).lower()
            print(f"error: {exc.filename}: {reason}", file=sys.stderr)
            return EXIT_CONFIG
        return failed(args, exc)
    except Exception as exc:
        stop = as_stop(exc)  # a query stopped halfway by Ctrl-C or SIGTERM
        return _stopped(stop) if stop is not None else failed(args, exc)
    finally:
        os.umask(umask)
        restore_sigterm(previous)


def _stopped(stop: KeyboardInterrupt) -> int:
    terminated = isinstance(stop, Terminated)
    print("stopped by SIGTERM" if terminated else "interrupted", file=sys.stderr)
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-kpi",
        description="The 14 classic sales KPIs from your CRM, written back into your CRM.",
        epilog="exit codes (a scheduler counts only 0 and 1 as success; 1 alerts):\n"
        + exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"crm-kpi {__version__}")
    add_all(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


if __name__ == "__main__":
    sys.exit(main())
