-- KPI 1 total_revenue: sum of the amounts (reporting currency) of deals won with close date
-- in P. Breakdowns: product (line items), customer type (new/existing), contact method.
WITH totals AS (
  SELECT period_type, period_key, scope_type, scope_id, sum(amount_rc) AS revenue
  FROM kpi_won WHERE amount_rc IS NOT NULL
  GROUP BY period_type, period_key, scope_type, scope_id
),
by_kind AS (
  SELECT period_type, period_key, scope_type, scope_id, 'customer_type' AS breakdown_type,
         customer_type AS breakdown_value, sum(amount_rc) AS revenue
  FROM kpi_won WHERE amount_rc IS NOT NULL
  GROUP BY period_type, period_key, scope_type, scope_id, customer_type
  UNION ALL
  SELECT period_type, period_key, scope_type, scope_id, 'contact_method', contact_method,
         sum(amount_rc)
  FROM kpi_won WHERE amount_rc IS NOT NULL AND contact_method IS NOT NULL
  GROUP BY period_type, period_key, scope_type, scope_id, contact_method
  UNION ALL
  SELECT period_type, period_key, scope_type, scope_id, 'product', product, sum(revenue)
  FROM kpi_won_lines
  GROUP BY period_type, period_key, scope_type, scope_id, product
)
SELECT 'total_revenue' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       COALESCE(t.revenue, 0) AS value, COALESCE(t.revenue, 0) AS numerator,
       CAST(NULL AS DOUBLE) AS denominator, CAST(NULL AS STRING) AS note
FROM kpi_grid g
LEFT JOIN totals t USING (period_type, period_key, scope_type, scope_id)
UNION ALL
SELECT 'total_revenue', b.period_type, b.period_key, b.scope_type, b.scope_id,
       b.breakdown_type, b.breakdown_value, b.revenue, b.revenue, NULL, NULL
FROM by_kind b
JOIN kpi_grid g USING (period_type, period_key, scope_type, scope_id)
