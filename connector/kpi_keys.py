"""Kept for the modules that still import it; the registry is `connector.kpis`."""

from __future__ import annotations

from connector.kpis import HIGHER_IS_BETTER, KPI_KEYS, KpiKey

__all__ = ["HIGHER_IS_BETTER", "KPI_KEYS", "KpiKey"]
