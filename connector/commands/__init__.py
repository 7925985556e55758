"""The `crm-kpi` subcommands: each module adds its commands' arguments and handlers."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from connector.commands import admin, data, tools
from connector.commands.common import Subcommands

Handler = Callable[[argparse.Namespace], int]

# The order `crm-kpi --help` lists them in: the nightly job first, then the admin's tools.
GROUPS = (data.add, admin.add, tools.add)


def add_all(commands: Subcommands) -> None:
    """Every subcommand, each with its handler as the `handler` default."""
    for add in GROUPS:
        add(commands)
