"""The admin's commands: write a config, check it, map an org, set a CRM up, ship a card."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from connector.commands.common import Subcommands, config_arg, load_config_of
from connector.errors import EXIT_OK, ConfigError
from connector.invocation import suggest


def add(commands: Subcommands) -> None:
    init = commands.add_parser("init", help="write a commented config.yaml and its mapping")
    init.add_argument("--crm", help="files, salesforce or hubspot (with --upgrade-mapping: "
                      "the CRM whose mapping FILE is, when its keys do not tell)")
    init.add_argument("--upgrade-mapping", type=Path, metavar="FILE",
                      help="rewrite a mapping written in last release's mapping language "
                      "in place, comments kept (a backup FILE.bak is kept)")  # fmt: skip
    init.add_argument("--dir", type=Path, default=Path("."), help="where to write them")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(handler=cmd_init)
    validate = commands.add_parser("validate", help="check config, mappings and the CRMs")
    config_arg(validate)
    validate.set_defaults(handler=cmd_validate)
    _add_discover(commands)
    setup = commands.add_parser("setup", help="create what the KPIs are written into in a CRM")
    config_arg(setup)
    setup.add_argument("crm", help="a source type (salesforce) or source name")
    setup.set_defaults(handler=cmd_setup)
    _add_card(commands)


def _add_discover(commands: Subcommands) -> None:
    discover = commands.add_parser(
        "discover", help="read a CRM's org and propose a mapping for it, with comments"
    )
    config_arg(discover)
    discover.add_argument("crm", help="a source type (salesforce, hubspot) or source name")
    discover.add_argument(
        "--out", type=Path, help="write the proposal into this new file (never an existing one)"
    )
    discover.add_argument("--diff", action="store_true",
                          help="show what the proposal changes in the mapping in use")  # fmt: skip
    discover.set_defaults(handler=cmd_discover)


def _add_card(commands: Subcommands) -> None:
    card = commands.add_parser(
        "card", help="write the KPI card's HubSpot project for your config (then hs project upload)"
    )
    config_arg(card)
    card.add_argument("crm", help="hubspot, or the name of a HubSpot source")
    card.add_argument("--out", type=Path, required=True, help="the project folder to write")
    card.add_argument("--force", action="store_true",
                      help="write into a folder this command did not write, or over files "
                      "changed since it did")  # fmt: skip
    for option, shown in (("--support-email", "e-mail"), ("--support-url", "web page"),
                          ("--documentation-url", "documentation page"),
                          ("--support-phone", "phone number")):  # fmt: skip
        card.add_argument(option, help=f"the app's support {shown}, shown to whoever installs it")
    card.set_defaults(handler=cmd_card)


def cmd_init(args: argparse.Namespace) -> int:
    if args.upgrade_mapping is not None:
        return _upgrade_mapping(args.upgrade_mapping, args.crm)
    if args.crm is None:
        raise ConfigError(["init: give --crm files|salesforce|hubspot (or --upgrade-mapping "
                           "FILE)"])  # fmt: skip
    from connector.init import write_config

    written = write_config(args.crm, args.dir, force=args.force)
    for path in written:
        print(f"wrote {path}")
    folders = [p for p in written if p.is_dir()]
    first = f"put your CSV exports in {folders[0]}; " if folders else ""
    print(f"next: {first}edit the config and the mapping, then "
          f"{suggest('validate', '--config', args.dir / 'config.yaml')}")
    return EXIT_OK


def _upgrade_mapping(path: Path, crm: str | None) -> int:
    from connector.crms.upgrade import upgrade_mapping

    done = upgrade_mapping(path, crm)
    for change in done.changes:
        print(f"  {change}")
    told = " (told by its keys; --crm says otherwise)" if done.told else ""
    print(f"upgraded {done.path}, a {done.crm} mapping{told}: {len(done.changes)} old "
          "spellings rewritten, comments kept; "
          f"the file as it was is {done.backup} (to undo: mv {shlex.quote(str(done.backup))} "
          f"{shlex.quote(str(done.path))})")  # fmt: skip
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
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


def cmd_discover(args: argparse.Namespace) -> int:
    from connector.discovery import diff, discover

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    proposal = discover(args.config, args.crm, args.out, say)
    if args.diff:
        sys.stdout.write(diff(proposal, args.out) or "the proposal changes nothing\n")
    elif args.out is None:
        sys.stdout.write(proposal.text)
    return EXIT_OK


def cmd_setup(args: argparse.Namespace) -> int:
    from connector.pipeline import build_writer, writes_back

    config = load_config_of(args)
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


def cmd_card(args: argparse.Namespace) -> int:
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
