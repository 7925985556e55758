"""docs/kpis.md is the registry's and the engine's: rendered from them, and this test
fails when the file and the rendering differ (regenerate with
`python -m connector.kpi.reference > docs/kpis.md`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from connector.kpi import reference
from connector.kpis import BASES, KPIS

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"


@cache
def render() -> str:
    """The rendering, once (it runs the engine on the example org four times)."""
    return reference.render()


def test_docs_kpis_md_is_the_rendering_of_the_registry() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/kpis.md differs from the registry: run "
        "`python -m connector.kpi.reference > docs/kpis.md`"
    )


def test_every_kpi_its_formula_bases_and_worked_example_are_in_it() -> None:
    text = render()
    for kpi in KPIS:
        section = text.split(f"### {kpi.label} (`{kpi.key}`)", 1)[1].split("\n### ", 1)[0]
        assert kpi.definition in section
        assert kpi.formula in section
        assert "**Worked example**" in section
        assert "—" not in section.split("**Worked example**", 1)[1], kpi.key  # a figure each
        if kpi.basis is not None:
            assert all(f"`{name}`" in section for name in kpi.basis.names)
    for setting in BASES:
        assert f"`{setting}`" in text
    assert "kpis.pace.min_days" in text


def test_no_product_file_cites_a_spec_outside_the_repository() -> None:
    root = DOC.parents[1]
    files = [root / "README.md", *(root / "connector").rglob("*.py"), *(root / "docs").glob("*.md")]
    assert not [f for f in files if "KPI_SPEC" in f.read_text(encoding="utf-8")]
