"""The dashboard page: the KPI payload as one self-contained HTML file.

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
from typing import Any

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
    files = resources.files("connector.dashboard").joinpath(_ASSETS).joinpath(name)
    return files.read_text(encoding="utf-8")
