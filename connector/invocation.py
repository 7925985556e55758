"""How to run crm-kpi from here, as the person reading a suggested command would type it.

The Quickstart installs into `.venv` without activating it: a bare `crm-kpi` is then not
on PATH. A suggestion says `crm-kpi` only when that name runs this very install, else the
path of this install's script (relative to the working folder when inside it), else
`python -m connector.cli` with this interpreter.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

NAME = "crm-kpi"


def _shown(path: Path, *, runnable: bool = False) -> str:
    """`path` relative to the working folder when inside it (`./x` for a script there)."""
    try:
        relative = path.relative_to(Path.cwd())
    except ValueError:
        return shlex.quote(str(path))
    bare = runnable and relative.parent == Path()
    return shlex.quote(f"./{relative}" if bare else str(relative))


def _script() -> Path | None:
    """This install's `crm-kpi` script: the one running, else the interpreter's."""
    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is not None and running.name == NAME and running.is_file():
        return running.absolute()
    beside = Path(sys.executable).parent / NAME
    return beside.absolute() if beside.is_file() else None


def command_name() -> str:
    """`crm-kpi`, `.venv/bin/crm-kpi` or `/path/python -m connector.cli`."""
    script = _script()
    on_path = shutil.which(NAME)
    if script is not None and on_path and os.path.realpath(on_path) == os.path.realpath(script):
        return NAME
    if script is not None:
        return _shown(script, runnable=True)
    return f"{_shown(Path(sys.executable).absolute(), runnable=True)} -m connector.cli"


def suggest(*args: str | Path) -> str:
    """A full command line to suggest (`crm-kpi problems --config config.yaml`); paths
    inside the working folder are given relative to it."""
    shown = [_shown(a.absolute()) if isinstance(a, Path) else shlex.quote(a) for a in args]
    return " ".join([command_name(), *shown])
