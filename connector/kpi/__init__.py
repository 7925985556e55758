"""The KPI engine: the 14 sales KPIs of docs/kpis.md as SQL over the normalized tables."""
