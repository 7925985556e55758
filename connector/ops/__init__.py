"""Running crm-kpi as a service: alerts, Prometheus metrics and their config sections."""
