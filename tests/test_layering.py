"""The layering holds: import-linter's contracts (pyproject.toml), and no module outside
the store touches the raw DuckDB connection."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONNECTOR = ROOT / "connector"
OUTSIDE_STORE = sorted(p for p in CONNECTOR.rglob("*.py") if "store" not in p.parts)


def test_the_import_contracts_are_kept() -> None:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command, "import-linter is in the dev extra"
    done = subprocess.run([command], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize("path", OUTSIDE_STORE, ids=lambda p: str(p.relative_to(CONNECTOR)))
def test_only_the_store_touches_the_connection(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    raw = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "con"]
    assert raw == [], f"{path.name} touches .con at lines {raw}"
