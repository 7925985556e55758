-- KPI 10 cac: sales + marketing cost in P / new customers acquired in P (accounts whose
-- first-ever won deal closed in P). Null when there are no new customers, and for a
-- scope to which no cost is attributed (costs carry team and owner, not territory).
SELECT 'cac' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN f.acquired > 0 AND c.cost IS NOT NULL THEN c.cost / f.acquired END AS value,
       c.cost AS numerator, COALESCE(f.acquired, 0) AS denominator,
       CASE WHEN COALESCE(f.acquired, 0) = 0 THEN 'no new customers in the period'
            WHEN c.cost IS NULL THEN 'no cost attributed to this scope' END AS note
FROM kpi_grid g
LEFT JOIN kpi_customer_flow f USING (period_type, period_key, scope_type, scope_id)
LEFT JOIN kpi_cost_totals c USING (period_type, period_key, scope_type, scope_id)
