"""The `crm-kpi` command: argument parsing and wiring only."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from connector import __version__
from connector.config import Config
from connector.errors import (
    EXIT_CONFIG,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    ConfigError,
    CrmKpiError,
    Terminated,
    exit_code_table,
)
from connector.guard import failed, on_sigterm, restore_sigterm
from connector.invocation import suggest
from connector.kpi.engine import SCOPE_TYPES, ComputeResult
from connector.kpi.periods import parse_period, period_of
from connector.secrets import redact
from connector.store import Store
from connector.store.failures import environment_failure

Handler = Callable[[argparse.Namespace], int]


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
        terminated = isinstance(exc, Terminated)
        print("stopped by SIGTERM" if terminated else "interrupted", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
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
        return failed(args, exc)
    finally:
        os.umask(umask)
        restore_sigterm(previous)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-kpi",
        description="The 14 classic sales KPIs from your CRM, written back into your CRM.",
        epilog="exit codes (a scheduler counts only 0 and 1 as success; 1 alerts):\n"
        + exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"crm-kpi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pull = commands.add_parser("pull", help="pull every source into the store")
    _config_arg(pull)
    _mass_delete_arg(pull)
    pull.set_defaults(handler=_cmd_pull)

    compute = commands.add_parser(
        "compute", help="compute KPIs and print them (stored results change only with --save)"
    )
    _config_arg(compute)
    compute.add_argument("--period", help="2025-01 (month), 2025-Q1 (quarter) or 2025 (year)")
    compute.add_argument("--scope", choices=[*SCOPE_TYPES, "all"], default="company")
    compute.add_argument("--format", choices=["table", "json", "csv"], default="table")
    compute.add_argument(
        "--source", help="with several sources: show this one's KPIs (default: all merged)"
    )
    compute.add_argument(
        "--breakdowns", action="store_true", help="also show per product / customer type rows"
    )
    compute.add_argument(
        "--save",
        action="store_true",
        help="store the results, replacing exactly the periods x scopes computed",
    )
    _engine_arg(compute)
    compute.set_defaults(handler=_cmd_compute)

    run = commands.add_parser("run", help="the nightly job: pull, compute, push")
    _config_arg(run)
    run.add_argument("--dry-run", action="store_true", help="print what would be written")
    run.add_argument("--log-format", choices=["auto", "plain", "json"], default="auto")
    _engine_arg(run)
    _mass_delete_arg(run)
    run.set_defaults(handler=_cmd_run)

    status = commands.add_parser(
        "status",
        help="the last runs: what each did, or why it failed (--check: for monitors)",
        epilog="--check exits 0 OK, 1 WARNING (the last run left something out), "
        "2 CRITICAL (it failed, or no run finished for --max-age-hours), 3 UNKNOWN "
        "(the store cannot be read), as Nagios-style checks do",
    )
    _config_arg(status)
    status.add_argument("--limit", type=int, default=10, help="how many runs (default 10)")
    status.add_argument("--format", choices=["table", "json"], default="table")
    status.add_argument("--check", action="store_true",
                        help="one line, and an exit code saying if the last run finished "
                        "and is recent")  # fmt: skip
    status.add_argument("--max-age-hours", type=float,
                        help="with --check: how old the last finished run may be (default: "
                        "observability.stale_after_hours, 26)")  # fmt: skip
    status.set_defaults(handler=_cmd_status)

    problems = commands.add_parser(
        "problems", help="quarantined rows (not loaded) and findings (loaded, worth a look)"
    )
    _config_arg(problems)
    problems.add_argument("--source", help="only this source's")
    problems.add_argument("--entity", help="only this entity's (opportunities, targets, ...)")
    problems.add_argument("--run", help="only those a run recorded: its id, or last")
    problems.add_argument("--kind", choices=["quarantined", "finding", "all"], default="all")
    problems.add_argument("--format", choices=["table", "json", "csv"], default="table")
    problems.add_argument(
        "--limit", type=int, help="at most this many (table default 100; 0: all)"
    )
    problems.set_defaults(handler=_cmd_problems)

    init = commands.add_parser("init", help="write a commented config.yaml and its mapping")
    init.add_argument("--crm", required=True, help="files, salesforce or hubspot")
    init.add_argument("--dir", type=Path, default=Path("."), help="where to write them")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(handler=_cmd_init)

    validate = commands.add_parser("validate", help="check config, mappings and the CRMs")
    _config_arg(validate)
    validate.set_defaults(handler=_cmd_validate)

    discover = commands.add_parser(
        "discover", help="read a CRM's org and propose a mapping for it, with comments"
    )
    _config_arg(discover)
    discover.add_argument("crm", help="a source type (salesforce, hubspot) or source name")
    discover.add_argument(
        "--out", type=Path, help="write the proposal into this new file (never an existing one)"
    )
    discover.add_argument("--diff", action="store_true",
                          help="show what the proposal changes in the mapping in use")  # fmt: skip
    discover.set_defaults(handler=_cmd_discover)

    setup = commands.add_parser("setup", help="create what the KPIs are written into in a CRM")
    _config_arg(setup)
    setup.add_argument("crm", help="a source type (salesforce) or source name")
    setup.set_defaults(handler=_cmd_setup)

    card = commands.add_parser(
        "card", help="write the KPI card's HubSpot project for your config (then hs project upload)"
    )
    _config_arg(card)
    card.add_argument("crm", help="hubspot, or the name of a HubSpot source")
    card.add_argument("--out", type=Path, required=True, help="the project folder to write")
    card.add_argument("--force", action="store_true",
                      help="write into a folder this command did not write, or over files "
                      "changed since it did")  # fmt: skip
    for option, shown in (("--support-email", "e-mail"), ("--support-url", "web page"),
                          ("--documentation-url", "documentation page"),
                          ("--support-phone", "phone number")):  # fmt: skip
        card.add_argument(option, help=f"the app's support {shown}, shown to whoever installs it")
    card.set_defaults(handler=_cmd_card)

    sandbox = commands.add_parser("sandbox", help="run the loopback CRM sandbox until stopped")
    _add_sandbox_arguments(sandbox)
    sandbox.set_defaults(handler=_cmd_sandbox)

    dashboard = commands.add_parser(
        "dashboard", help="write the KPI results as one self-contained HTML dashboard"
    )
    _config_arg(dashboard)
    dashboard.add_argument("--out", type=Path, default=Path("kpis.html"), help="HTML file")
    dashboard.add_argument(
        "--mode",
        type=_file_mode,
        default="600",
        help="file permissions of the page, in octal (default 600: it shows reps' names; "
        "644 to let others on the machine read it)",
    )
    dashboard.set_defaults(handler=_cmd_dashboard)

    demo = commands.add_parser(
        "demo", help="the nightly job against two sandbox CRMs (or --exports: sample files)"
    )
    demo.add_argument("--workdir", type=Path, default=Path(".demo"))
    demo.add_argument("--exports", action="store_true", help="use the sample CSV exports")
    demo.add_argument("--scale", type=float, default=0.1, help="sandbox org size")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file")


def _engine_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine", choices=["duckdb", "spark"], help="what runs the KPI SQL (default: kpis.engine)"
    )


def _load(args: argparse.Namespace, *, offline: bool = False) -> Config:
    """The config, with `--engine` in place of `kpis.engine` when given."""
    from connector.config import load_config

    config = load_config(args.config, offline=offline)
    if getattr(args, "engine", None):
        kpis = config.kpis.model_copy(update={"engine": args.engine})
        config = config.model_copy(update={"kpis": kpis})
    return config


def _mass_delete_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="let a full export mark more than its source's max_delete_share of an "
        "entity's records deleted (when they really were deleted in the CRM)",
    )


def _file_mode(text: str) -> int:
    try:
        mode = int(text.removeprefix("0o"), 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise argparse.ArgumentTypeError(f"not an octal file mode like 600 or 644: {text!r}")
    return mode


def _add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    from connector.demo.sandbox import add_arguments

    add_arguments(parser)


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from connector.demo.sandbox import run

    return run(args)


def _cmd_pull(args: argparse.Namespace) -> int:
    from connector.config import load_config
    from connector.pipeline import open_store, pull

    config = load_config(args.config)
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


def _cmd_compute(args: argparse.Namespace) -> int:
    from connector.kpi.results import COMPUTED
    from connector.pipeline import compute_kpis, open_store
    from connector.report import as_csv, as_json, fetch_results, render_table

    config = _load(args, offline=True)
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


def _cmd_run(args: argparse.Namespace) -> int:
    from connector.outcome import summary_fields
    from connector.run import format_summary, run_nightly
    from connector.runlog import RunLog

    config = _load(args)
    log = RunLog(args.log_format)
    summary = run_nightly(
        config, log, dry_run=args.dry_run, allow_mass_delete=args.allow_mass_delete
    )
    log.print(format_summary(summary, args.config), **summary_fields(summary))
    return summary.exit_code


def _cmd_status(args: argparse.Namespace) -> int:
    from connector.status import show_status

    config = load_config_of(args, offline=True)
    return show_status(config, args.format, args.limit, args.check, args.max_age_hours)


def _cmd_problems(args: argparse.Namespace) -> int:
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


def load_config_of(args: argparse.Namespace, *, offline: bool = False) -> Config:
    """The config named by --config (`offline`: for a command that never reaches a CRM,
    so the CRMs' connection files, `ca_file` and keys, need not exist)."""
    from connector.config import load_config

    return load_config(args.config, offline=offline)


def _cmd_init(args: argparse.Namespace) -> int:
    from connector.init import write_config

    for path in write_config(args.crm, args.dir, force=args.force):
        print(f"wrote {path}")
    print(f"next: edit them, then {suggest('validate', '--config', args.dir / 'config.yaml')}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from connector.validation import validate_path

    config, report = validate_path(args.config)
    for note in report.notes:
        print(f"note: {note}")
    if report.problems or config is None:
        raise ConfigError(report.problems)
    checked = "config, mappings, targets" if config.targets or config.targets_file else (
        "config, mappings")  # fmt: skip
    print(f"{args.config}: {checked} and {len(config.sources)} source(s) are valid")
    from connector.status import stored_exclusions

    return stored_exclusions(config)


def _cmd_discover(args: argparse.Namespace) -> int:
    from connector.discovery import diff, discover

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    proposal = discover(args.config, args.crm, args.out, say)
    if args.diff:
        sys.stdout.write(diff(proposal, args.out) or "the proposal changes nothing\n")
    elif args.out is None:
        sys.stdout.write(proposal.text)
    return EXIT_OK


def _cmd_setup(args: argparse.Namespace) -> int:
    from connector.config import load_config
    from connector.pipeline import build_writer, writes_back

    config = load_config(args.config)
    chosen = [s for s in config.sources if args.crm in (s.type, s.name) and writes_back(s)]
    if not chosen:
        raise ConfigError([f"{args.config}: no source named or of type {args.crm} writes back"])
    for source in chosen:
        writer = build_writer(config, source)
        writer.progress = lambda line, name=source.name: print(f"{name}: {line}",
                                                               file=sys.stderr, flush=True)
        actions = writer.setup()
        for action in actions or ["everything was already in place"]:
            print(f"{source.name}: {action}")
        if source.type == "hubspot":  # a card no API deploys: say how it gets there
            card = suggest("card", source.name, "--config", args.config, "--out", "hubspot-card")
            print(f"next: the Sales KPIs card for {source.name}: `{card}`, then "
                  "`hs project upload` in that folder (docs/hubspot.md)")  # fmt: skip
    return EXIT_OK


def _cmd_card(args: argparse.Namespace) -> int:
    from connector.crms.hubspot.bundle import Support, describe, write_card
    from connector.crms.hubspot.config import HubSpotConfig
    from connector.crms.hubspot.mapping import load_mapping

    config = load_config_of(args, offline=True)
    named = [s for s in config.sources if args.crm in (s.type, s.name)]
    if args.crm == "salesforce" or any(s.type == "salesforce" for s in named):
        setup = suggest("setup", args.crm, "--config", args.config)
        raise ConfigError([f"the Salesforce card is deployed by `{setup}` (a Lightning Web "
                           "Component: nothing to upload by hand)"])  # fmt: skip
    chosen = [s for s in named if isinstance(s, HubSpotConfig)]
    if len(chosen) != 1:
        names = ", ".join(s.name for s in chosen)
        several = f"several HubSpot sources ({names}): name the one whose portal gets the card"
        none = f"no HubSpot source named or of type {args.crm}"
        raise ConfigError([f"{args.config}: {several if chosen else none}"])
    source = chosen[0]
    support = Support(args.support_email, args.support_url, args.documentation_url,
                      args.support_phone)  # fmt: skip
    written = write_card(args.out, config.reporting, load_mapping(source.mapping_path).push,
                         support, force=args.force, config_path=config.config_path)  # fmt: skip
    print(f"{source.name}: wrote the Sales KPIs card's HubSpot project, {len(written.files)} "
          f"files, to {args.out}: {describe(written.settings)}")  # fmt: skip
    for name in written.removed:
        print(f"{source.name}: removed {name} (no longer part of the card)")
    if not source.pushes:
        print(f"note: source {source.name} does not write back (push.enabled: false): the card "
              "finds no KPIs until `crm-kpi run` writes them")  # fmt: skip
    for note in written.notes:
        print(f"note: {note}")
    print(f"next: cd {shlex.quote(str(args.out))} && hs project upload   (the HubSpot CLI; "
          "docs/hubspot.md, \"The Sales KPIs card\")")  # fmt: skip
    return EXIT_OK


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from connector.config import load_config
    from connector.pipeline import write_dashboard

    out = write_dashboard(load_config(args.config, offline=True), args.out, mode=args.mode)
    print(f"dashboard written to {out}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.exports:
        from connector.demo.exports import run_demo

        return run_demo(args.workdir, Console())
    from connector.demo.crms import run_crm_demo

    return run_crm_demo(args.workdir, Console(), scale=args.scale)


if __name__ == "__main__":
    sys.exit(main())
