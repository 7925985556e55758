"""The offline HTML dashboard: one self-contained file of charts over kpi_results."""

from connector.writers.html.dashboard import render_html, write_dashboard
from connector.writers.html.payload import build_payload

__all__ = ["build_payload", "render_html", "write_dashboard"]
