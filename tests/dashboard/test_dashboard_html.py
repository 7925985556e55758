"""The HTML file: self-contained, well-formed enough, and written by `crm-kpi dashboard`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from connector.cli import main
from connector.dashboard import build_payload, render_html
from connector.dashboard.payload import Meta
from connector.store import Store

CHARTS = {
    "revenue", "growth", "funnel", "closing", "cycle", "methods",
    "clvcac", "retention", "nps", "heatmap",
}  # fmt: skip
# A second process keeping the DuckDB file open (and its lock) until it is killed.
HOLD_STORE = (
    "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); "
    "print('holding', flush=True); time.sleep(60)"
)
VOID = {"meta", "link", "br", "img", "input", "hr", "area", "base", "col", "source", "wbr"}


class Page(HTMLParser):
    """Tags, attributes and script bodies of a page; checks that elements nest."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.open: list[str] = []
        self.errors: list[str] = []
        self._data: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)
        self._data = []

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()
        body = "".join(self._data)
        if tag == "script":
            self.scripts.append((next(a for t, a in reversed(self.tags) if t == "script"), body))
        elif tag == "style":
            self.styles.append(body)

    def handle_data(self, data: str) -> None:
        self._data.append(data)


@pytest.fixture
def page_text(store: Store, meta: Meta) -> str:
    return render_html(build_payload(store, meta))


def test_the_page_loads_nothing_from_anywhere(page_text: str) -> None:
    page = Page(page_text)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "poster", "data"):
            assert name not in attrs or not re.match(r"\s*(https?:)?//", attrs[name] or ""), tag
        assert tag not in {"link", "iframe", "img", "object", "embed"}, tag
    assert "<script src" not in page_text.lower()
    assert all(not attrs.get("src") for attrs, _ in page.scripts)
    for css in page.styles:
        assert "@import" not in css
        assert "url(" not in css
    policy = next(a["content"] for t, a in page.tags if a.get("http-equiv"))
    assert policy is not None
    assert policy.startswith("default-src 'none'")


def test_the_page_is_well_formed_with_every_chart_container(page_text: str) -> None:
    page = Page(page_text)
    assert page_text.startswith("<!doctype html>")
    assert page.errors == []
    assert page.open == []
    html_attrs = next(a for t, a in page.tags if t == "html")
    assert html_attrs["lang"] == "en"
    charts = [a["data-chart"] for t, a in page.tags if t == "figure"]
    assert set(charts) == CHARTS
    assert len(charts) == len(CHARTS)
    labels = [a.get("aria-label") for t, a in page.tags if t in {"form", "section"}]
    assert all(labels)
    assert "{{" not in page_text


def test_the_payload_is_inlined_once_and_reads_back(
    page_text: str, store: Store, meta: Meta
) -> None:
    page = Page(page_text)
    data = [body for attrs, body in page.scripts if attrs.get("type") == "application/json"]
    code = [body for attrs, body in page.scripts if "type" not in attrs]
    assert len(data) == 1
    assert len(code) == 2
    payload = json.loads(data[0])
    expected = build_payload(store, meta)
    payload["meta"].pop("generatedAt")
    expected["meta"].pop("generatedAt")
    assert payload == expected
    for body in code:
        assert "http" not in body.replace("http://www.w3.org/2000/svg", "")
        assert "fetch(" not in body
        assert "XMLHttpRequest" not in body


def test_names_cannot_break_out_of_the_script(store: Store, meta: Meta) -> None:
    evil = "</script><script>alert(1)</script><!--"
    store.execute("UPDATE owners SET name = ? WHERE id = 'U1'", [evil])
    store.execute("UPDATE owners SET team = '{{script}}' WHERE id = 'U2'")
    text = render_html(build_payload(store, meta))
    page = Page(text)
    assert len(page.scripts) == 3
    data = next(body for attrs, body in page.scripts if attrs.get("type") == "application/json")
    owners = json.loads(data)["owners"]
    assert evil in {o["name"] for o in owners}
    assert "{{script}}" in {o["team"] for o in owners}
    assert text.count("crm-kpi dashboard: the SVG chart kit") == 1


def _write_config(tmp_path: Path) -> Path:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "owners.csv").write_text("id,name,team,territory\nu1,Ann,T1,North\n")
    (exports / "opportunities.csv").write_text(
        "id,account_id,owner_id,created_at,close_date,is_closed,is_won,amount,currency\n"
        "o1,a1,u1,2025-01-05,2025-01-20,true,true,1000,CHF\n"
        "o2,a1,u1,2025-01-06,2025-01-25,true,false,500,CHF\n"
    )
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: CHF, timezone: UTC}\n"
        f"store: {{path: {tmp_path / 'store.duckdb'}}}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\n"
        "targets:\n  - {kpi: total_revenue, period_type: month, value: 2000}\n"
    )
    return path


def _payload_of(path: Path) -> dict[str, Any]:
    page = Page(path.read_text(encoding="utf-8"))
    body = next(b for a, b in page.scripts if a.get("type") == "application/json")
    result: dict[str, Any] = json.loads(body)
    return result


def test_cli_computes_when_the_store_has_no_results_then_only_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write_config(tmp_path)
    assert main(["pull", "--config", str(config)]) == 0
    out = tmp_path / "site" / "kpis.html"
    assert main(["dashboard", "--config", str(config), "--out", str(out)]) == 0
    assert f"dashboard written to {out}" in capsys.readouterr().out
    payload = _payload_of(out)
    assert payload["meta"]["currency"] == "CHF"
    assert payload["meta"]["config"] == "config.yaml"
    assert payload["meta"]["source"] == "exports (files)"
    january = payload["periods"]["month"].index("2025-01")
    assert payload["series"]["company"]["total_revenue"]["month"]["v"][january] == 1000
    with Store(tmp_path / "store.duckdb") as store:
        store.execute(
            "UPDATE kpi_results SET value = 4321 WHERE kpi = 'total_revenue' "
            "AND period = '2025-01' AND scope_type = 'company' AND breakdown_type IS NULL"
        )
    assert main(["dashboard", "--config", str(config), "--out", str(out)]) == 0
    assert _payload_of(out)["series"]["company"]["total_revenue"]["month"]["v"][january] == 4321


def test_a_store_held_by_another_process_exits_3_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write_config(tmp_path)
    out = tmp_path / "kpis.html"
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(tmp_path / "store.duckdb")],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        try:
            assert main(["dashboard", "--config", str(config), "--out", str(out)]) == 3
        finally:
            holder.kill()
    assert "is in use" in capsys.readouterr().err
    assert not out.exists()
