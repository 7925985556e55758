"""Files shipped inside the package: default mappings, the demo's data, SQL, page assets.

They are read through `importlib.resources`, so the connector works the same installed
from a wheel as from a checkout; nothing looks for a repository around the package.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from connector.errors import ConfigError


def shipped(relative: str) -> Path:
    """The path of a file or folder shipped in the `connector` package."""
    found = resources.files("connector").joinpath(relative)
    if not isinstance(found, Path):  # a zipped install: no path to hand out
        raise ConfigError([f"{relative}: crm-kpi must be installed unzipped to read it"])
    if not found.exists():
        raise ConfigError([f"{relative} is missing from the installed crm-kpi package"])
    return found
