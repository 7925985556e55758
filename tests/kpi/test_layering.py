"""Who may import whom around the KPI registry, and who may touch the raw connection."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CONNECTOR = Path(__file__).resolve().parents[2] / "connector"


def _modules(*parts: str) -> list[Path]:
    path = CONNECTOR.joinpath(*parts)
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _connector_imports(path: Path) -> set[str]:
    """The connector modules a file imports (`from connector.x import y` counts as x and
    x.y, since y may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("connector")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("connector"):
            found |= {node.module or ""} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def _outside(imports: set[str], allowed: tuple[str, ...]) -> set[str]:
    return {m for m in imports if not any(m == a or m.startswith(a + ".") for a in allowed)}


def test_the_registry_is_the_lowest_layer() -> None:
    assert _outside(_connector_imports(CONNECTOR / "kpis.py"), ("connector.schema",)) == set()


@pytest.mark.parametrize("path", _modules("kpi"), ids=lambda p: p.name)
def test_the_engine_imports_only_store_schema_registry_and_config(path: Path) -> None:
    allowed = ("connector.kpi", "connector.kpis", "connector.store", "connector.schema")
    # The config section models it reads, not the config root nor anything else there.
    sections = {"connector.config", "connector.config.KpiSettings", "connector.config.Reporting",
                "connector.config.Target"}  # fmt: skip
    assert _outside(_connector_imports(path) - sections, allowed) == set()


@pytest.mark.parametrize("path", _modules("dashboard"), ids=lambda p: p.name)
def test_the_dashboard_imports_neither_report_nor_pipeline_config_sources_writers(
    path: Path,
) -> None:
    banned = ("connector.report", "connector.pipeline", "connector.config", "connector.run",
              "connector.cli", "connector.sources", "connector.writers")  # fmt: skip
    assert _outside(_connector_imports(path), banned) == _connector_imports(path)


@pytest.mark.parametrize(
    "path", [*_modules("kpi"), *_modules("dashboard"), CONNECTOR / "report.py"],
    ids=lambda p: p.name,
)  # fmt: skip
def test_engine_report_and_dashboard_go_through_store_methods(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    raw = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "con"]
    assert raw == [], f"{path.name} touches .con at lines {raw}"
