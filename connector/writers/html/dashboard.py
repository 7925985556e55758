"""`crm-kpi dashboard`: the store's KPI results as one self-contained HTML file.

The page is the template in `assets/` with its stylesheet, its scripts (`charts.js`,
a small hand-written SVG chart kit, and `dashboard.js`, the page) and the payload
inlined: it opens offline, from a mail attachment or a file share, and loads nothing
from anywhere.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from connector.config import Config
from connector.errors import LockedError
from connector.pipeline import compute_kpis, open_store
from connector.store import Store
from connector.writers.html.payload import Meta, build_payload

_ASSETS = "assets"
# Inside <script>, "</" would end the element and "<!--" would start a comment.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_MARKER = re.compile(r"\{\{(title|style|payload|charts|script)\}\}")


def write_dashboard(config: Config, out: Path) -> Path:
    """Write the dashboard of `config`'s store to `out` (computing KPIs first if none are)."""
    try:
        store = open_store(config)
    except duckdb.IOException as exc:
        # DuckDB lets one process write a file: a nightly run may be holding it.
        raise LockedError(f"the store {config.store.path} is in use: {exc}") from None
    with store:
        if not _has_results(store):
            compute_kpis(config, store)
        payload = build_payload(store, config_meta(config))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(payload), encoding="utf-8")
    return out


def config_meta(config: Config) -> Meta:
    """Title, source and config names and currency shown on the page."""
    sources = ", ".join(f"{s.name} ({s.type})" for s in config.sources)
    return Meta(
        title="Sales KPIs",
        source=sources,
        config=config.config_path.name,
        currency=config.reporting.currency,
    )


def _has_results(store: Store) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'kpi_results'"
    ).fetchone()
    if row is None or row[0] == 0:
        return False
    count = store.con.execute("SELECT count(*) FROM (SELECT 1 FROM kpi_results LIMIT 1)")
    found = count.fetchone()
    return found is not None and found[0] > 0


def render_html(payload: dict[str, Any]) -> str:
    """The page: template with stylesheet, script and payload inlined."""
    parts = {
        "title": html.escape(str(payload["meta"]["title"])),
        "style": _asset("dashboard.css"),
        "payload": script_json(payload),
        "charts": _asset("charts.js"),
        "script": _asset("dashboard.js"),
    }
    # One pass over the template only: inserted text is never searched for markers.
    return _MARKER.sub(lambda m: parts[m.group(1)], _asset("page.html"))


def script_json(payload: dict[str, Any]) -> str:
    """JSON safe to inline in a <script> element."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for char, escape in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def _asset(name: str) -> str:
    files = resources.files("connector.writers.html").joinpath(_ASSETS).joinpath(name)
    return files.read_text(encoding="utf-8")
