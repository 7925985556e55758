"""What several subcommands share: the config option and how it is loaded."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from connector.config import Config

if TYPE_CHECKING:  # argparse's class is generic only to type checkers
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subcommands = argparse._SubParsersAction


def config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file")


def engine_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine", choices=["duckdb", "spark"], help="what runs the KPI SQL (default: kpis.engine)"
    )


def mass_delete_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="let a full export mark more than its source's max_delete_share of an "
        "entity's records deleted (when they really were deleted in the CRM)",
    )


def load_config_of(args: argparse.Namespace, *, offline: bool = False) -> Config:
    """The config named by --config (`offline`: for a command that never reaches a CRM,
    so the CRMs' connection files, `ca_file` and keys, need not exist), with `--engine`
    in place of `kpis.engine` when given."""
    from connector.config import load_config

    config = load_config(args.config, offline=offline)
    if getattr(args, "engine", None):
        kpis = config.kpis.model_copy(update={"engine": args.engine})
        config = config.model_copy(update={"kpis": kpis})
    return config
