"""The KPI engine: the 14 sales KPIs of KPI_SPEC.md as SQL over the normalized tables."""
