"""The offline tools: the loopback CRM sandbox, the HTML dashboard, the demo."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from connector.commands.common import Subcommands, config_arg, load_config_of
from connector.errors import EXIT_OK


def add(commands: Subcommands) -> None:
    from connector.demo.sandbox import add_arguments

    sandbox = commands.add_parser("sandbox", help="run the loopback CRM sandbox until stopped")
    add_arguments(sandbox)
    sandbox.set_defaults(handler=cmd_sandbox)
    dashboard = commands.add_parser(
        "dashboard", help="write the KPI results as one self-contained HTML dashboard"
    )
    config_arg(dashboard)
    dashboard.add_argument("--out", type=Path, default=Path("kpis.html"), help="HTML file")
    dashboard.add_argument("--mode", type=_file_mode, default="600",
                           help="file permissions of the page, in octal (default 600: it shows "
                           "reps' names; 644 to let others on the machine read it)")  # fmt: skip
    dashboard.set_defaults(handler=cmd_dashboard)
    demo = commands.add_parser(
        "demo", help="the nightly job against two sandbox CRMs (or --exports: sample files)"
    )
    demo.add_argument("--workdir", type=Path, default=Path(".demo"))
    demo.add_argument("--exports", action="store_true", help="use the sample CSV exports")
    demo.add_argument("--scale", type=float, default=0.1, help="sandbox org size")
    demo.set_defaults(handler=cmd_demo)


def _file_mode(text: str) -> int:
    try:
        mode = int(text.removeprefix("0o"), 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise argparse.ArgumentTypeError(f"not an octal file mode like 600 or 644: {text!r}")
    return mode


def cmd_sandbox(args: argparse.Namespace) -> int:
    from connector.demo.sandbox import run

    return run(args)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from connector.pipeline import write_dashboard

    out = write_dashboard(load_config_of(args, offline=True), args.out, mode=args.mode)
    print(f"dashboard written to {out}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    if args.exports:
        from connector.demo.exports import run_demo

        return run_demo(args.workdir, Console())
    from connector.demo.crms import run_crm_demo

    return run_crm_demo(args.workdir, Console(), scale=args.scale)
