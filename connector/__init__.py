"""crm-kpi: the 14 classic sales KPIs from your CRM, back into your CRM."""

__version__ = "0.1.0"
