"""The offline HTML dashboard: one self-contained file of charts over kpi_results."""

from connector.dashboard.page import render_html
from connector.dashboard.payload import Meta, build_payload

__all__ = ["Meta", "build_payload", "render_html"]
