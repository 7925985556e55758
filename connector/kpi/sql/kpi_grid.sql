-- The rows every KPI outputs: each requested period by each scope of a requested type.
SELECT p.period_type, p.period_key, s.scope_type, s.scope_id
FROM kpi_periods p CROSS JOIN kpi_scopes s
JOIN kpi_scope_types st ON st.scope_type = s.scope_type
WHERE p.requested
