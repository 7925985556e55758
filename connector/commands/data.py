"""The nightly job and its parts: pull, compute, run; and what a run left: status, problems."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from connector.commands.common import (
    Subcommands,
    config_arg,
    engine_arg,
    load_config_of,
    mass_delete_arg,
)
from connector.config import Config
from connector.errors import EXIT_OK, ConfigError
from connector.invocation import suggest
from connector.kpi.engine import SCOPE_TYPES, ComputeResult
from connector.kpi.periods import parse_period, period_of
from connector.store import Store
from connector.store.failures import store_removed


def add(commands: Subcommands) -> None:
    pull = commands.add_parser("pull", help="pull every source into the store")
    config_arg(pull)
    mass_delete_arg(pull)
    pull.set_defaults(handler=cmd_pull)
    _add_compute(commands)
    run = commands.add_parser("run", help="the nightly job: pull, compute, push")
    config_arg(run)
    run.add_argument("--dry-run", action="store_true", help="print what would be written")
    run.add_argument("--log-format", choices=["auto", "plain", "json"], default="auto")
    engine_arg(run)
    mass_delete_arg(run)
    run.set_defaults(handler=cmd_run)
    _add_status(commands)
    _add_problems(commands)


def _add_compute(commands: Subcommands) -> None:
    compute = commands.add_parser(
        "compute", help="compute KPIs and print them (stored results change only with --save)"
    )
    config_arg(compute)
    compute.add_argument("--period", help="2025-01 (month), 2025-Q1 (quarter) or 2025 (year)")
    compute.add_argument("--scope", choices=[*SCOPE_TYPES, "all"], default="company")
    compute.add_argument("--format", choices=["table", "json", "csv"], default="table")
    compute.add_argument(
        "--source", help="with several sources: show this one's KPIs (default: all merged)"
    )
    compute.add_argument(
        "--breakdowns", action="store_true", help="also show per product / customer type rows"
    )
    compute.add_argument("--save", action="store_true",
                         help="store the results, replacing exactly the periods x scopes "
                         "computed")  # fmt: skip
    engine_arg(compute)
    compute.set_defaults(handler=cmd_compute)


def _add_status(commands: Subcommands) -> None:
    status = commands.add_parser(
        "status",
        help="the last runs: what each did, or why it failed (--check: for monitors)",
        epilog="--check exits 0 OK, 1 WARNING (the last run left something out), "
        "2 CRITICAL (it failed, or no run finished for --max-age-hours), 3 UNKNOWN "
        "(the store cannot be read), as Nagios-style checks do",
    )
    config_arg(status)
    status.add_argument("--limit", type=int, default=10, help="how many runs (default 10)")
    status.add_argument("--format", choices=["table", "json"], default="table")
    status.add_argument("--check", action="store_true",
                        help="one line, and an exit code saying if the last run finished "
                        "and is recent")  # fmt: skip
    status.add_argument("--max-age-hours", type=float,
                        help="with --check: how old the last finished run may be (default: "
                        "observability.stale_after_hours, 26)")  # fmt: skip
    status.set_defaults(handler=cmd_status)


def _add_problems(commands: Subcommands) -> None:
    problems = commands.add_parser(
        "problems", help="quarantined rows (not loaded) and findings (loaded, worth a look)"
    )
    config_arg(problems)
    problems.add_argument("--source", help="only this source's")
    problems.add_argument("--entity", help="only this entity's (opportunities, targets, ...)")
    problems.add_argument("--run", help="only those a run recorded: its id, or last")
    problems.add_argument("--kind", choices=["quarantined", "finding", "all"], default="all")
    problems.add_argument("--format", choices=["table", "json", "csv"], default="table")
    problems.add_argument("--limit", type=int,
                          help="at most this many (table default 100; 0: all)")  # fmt: skip
    problems.set_defaults(handler=cmd_problems)


def cmd_pull(args: argparse.Namespace) -> int:
    from connector.pipeline import open_store, pull

    config = load_config_of(args)
    console = Console(stderr=True)
    with open_store(config) as store:
        summary = pull(config, store, progress=lambda msg: console.log(f"pulling {msg}"),
                       allow_mass_delete=args.allow_mass_delete)  # fmt: skip
    for result in summary.results:
        if result.loaded or result.quarantined or result.deleted or result.findings:
            print(
                f"{result.source}.{result.entity}: {result.loaded} loaded, "
                f"{result.quarantined} quarantined, {result.deleted} deleted, "
                f"{result.findings} findings"
            )
    for note in summary.notes:
        print(f"note: {note}")
    print(
        f"pulled {summary.loaded} records; {summary.quarantined} quarantined, "
        f"{summary.findings} findings ({suggest('problems', '--config', args.config)} lists "
        "them), "
        f"{summary.deleted} marked deleted"
    )
    return EXIT_OK


def cmd_compute(args: argparse.Namespace) -> int:
    from connector.kpi.results import COMPUTED
    from connector.pipeline import compute_kpis, open_store
    from connector.report import as_csv, as_json, fetch_results, render_table

    config = load_config_of(args, offline=True)
    fiscal = config.reporting.fiscal_year_start_month
    try:
        period = parse_period(args.period, fiscal) if args.period else None
    except ValueError as exc:
        raise ConfigError([f"--period: {exc}"]) from None
    scopes = list(SCOPE_TYPES) if args.scope == "all" else [args.scope]
    shown_source = _shown_source(config, args.source)
    # Over a Spark lake the store only receives results: a first compute creates it.
    results_only = config.spark.lake is not None and config.kpis.engine == "spark"
    read_only = not args.save and not (results_only and not config.store.path.exists())
    with open_store(config, read_only=read_only) as store:
        console = Console(stderr=True)
        result = compute_kpis(
            config,
            store,
            [period] if period else None,
            scopes,
            save=args.save,
            progress=lambda message: console.log(f"{config.kpis.engine}: {message}"),
        )
        shown = period.key if period else _latest_month(result)
        rows = fetch_results(
            store,
            shown,
            scopes,
            breakdowns=args.breakdowns or args.format != "table",
            source=shown_source,
            table=COMPUTED,
        )
        if args.save and not store.still_there():  # saved into a file no one will read
            raise store_removed(config.store.path)
    if args.save:
        print(f"saved {result.rows:,} KPI rows into kpi_results", file=sys.stderr)
    if args.format == "json":
        print(as_json(rows))
    elif args.format == "csv":
        sys.stdout.write(as_csv(rows))
    else:
        render_table(rows, config.reporting.currency, Console())
    return EXIT_OK


def _latest_month(result: ComputeResult) -> str:
    """The month shown without --period: the latest with data, said on stderr."""
    if result.last_day is None:
        month = period_of(result.as_of, "month").key
        print(f"no sales activity up to {result.as_of}: showing {month}", file=sys.stderr)
        return month
    month = period_of(result.last_day, "month").key
    print(f"latest month with data: {month}", file=sys.stderr)
    return month


def _shown_source(config: Config, name: str | None) -> str | None:
    from connector.pipeline import results_source

    if name is None:
        return None
    if name not in {s.name for s in config.sources}:
        raise ConfigError([f"--source: no source named {name!r} in {config.config_path.name}"])
    return results_source(config, name)


def cmd_run(args: argparse.Namespace) -> int:
    from connector.outcome import summary_fields
    from connector.run import format_summary, run_nightly
    from connector.runlog import RunLog

    config = load_config_of(args)
    log = RunLog(args.log_format)
    summary = run_nightly(
        config, log, dry_run=args.dry_run, allow_mass_delete=args.allow_mass_delete
    )
    log.print(format_summary(summary, args.config), **summary_fields(summary))
    return summary.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    from connector.status import show_status

    config = load_config_of(args, offline=True)
    return show_status(config, args.format, args.limit, args.check, args.max_age_hours)


def cmd_problems(args: argparse.Namespace) -> int:
    from connector.listing import problems_csv, problems_json, render_problems
    from connector.store.problems import KINDS, counts, problems, run_window

    config = load_config_of(args, offline=True)
    if not config.store.path.exists():
        print(f"nothing pulled yet: {config.store.path} does not exist")
        return EXIT_OK
    limit = args.limit if args.limit is not None else (100 if args.format == "table" else 0)
    with Store(config.store.path, read_only=True) as store:
        window = run_window(store, args.run) if args.run else None
        if args.run and window is None:
            raise ConfigError([f"--run: no run {args.run!r} in {config.store.path}"])
        kinds = KINDS if args.kind == "all" else (args.kind,)
        found = problems(store, kinds=kinds, source=args.source, entity=args.entity,
                         run=window, limit=limit + 1 if limit else None)  # fmt: skip
        total = counts(store)
    shown, more = (found[:limit], len(found) > limit) if limit else (found, False)
    if args.format == "json":
        print(problems_json(shown))
    elif args.format == "csv":
        sys.stdout.write(problems_csv(shown))
    elif not shown:
        print(f"no quarantined rows or findings here (the store holds {total['quarantined']:,} "
              f"quarantined and {total['finding']:,} findings in all)")  # fmt: skip
    else:
        render_problems(shown, Console(), truncated=more)
    return EXIT_OK
