-- KPI 8 avg_sales_cycle_days: mean over deals won in P of (close date - first contact
-- date) in days. First contact: the earliest of the originating lead's creation, the first
-- activity on the deal or its lead, and the deal's creation.
WITH cycles AS (
  SELECT period_type, period_key, scope_type, scope_id,
         sum(cycle_days) AS total_days, count(cycle_days) AS deals
  FROM kpi_won GROUP BY period_type, period_key, scope_type, scope_id
)
SELECT 'avg_sales_cycle_days' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN c.deals > 0 THEN CAST(c.total_days AS DOUBLE) / c.deals END AS value,
       c.total_days AS numerator, COALESCE(c.deals, 0) AS denominator,
       CASE WHEN COALESCE(c.deals, 0) = 0 THEN 'no deals won in the period' END AS note
FROM kpi_grid g
LEFT JOIN cycles c USING (period_type, period_key, scope_type, scope_id)
