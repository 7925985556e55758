-- KPI 2 gross_margin: (revenue - COGS) / revenue over the deals of KPI 1. COGS per deal:
-- line-item cost (quantity x unit cost) where known, else the deal's cost field, else
-- default_cogs_rate x amount. Null when revenue is 0. Breakdown: product.
WITH totals AS (
  SELECT period_type, period_key, scope_type, scope_id,
         sum(amount_rc) AS revenue, sum(cogs_rc) AS cogs
  FROM kpi_won WHERE amount_rc IS NOT NULL
  GROUP BY period_type, period_key, scope_type, scope_id
),
products AS (
  SELECT period_type, period_key, scope_type, scope_id, product,
         sum(revenue) AS revenue, sum(cogs) AS cogs
  FROM kpi_won_lines
  GROUP BY period_type, period_key, scope_type, scope_id, product
)
SELECT 'gross_margin' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN t.revenue <> 0 THEN (t.revenue - t.cogs) / t.revenue END AS value,
       t.revenue - t.cogs AS numerator, COALESCE(t.revenue, 0) AS denominator,
       CASE WHEN COALESCE(t.revenue, 0) = 0 THEN 'no revenue in the period' END AS note
FROM kpi_grid g
LEFT JOIN totals t USING (period_type, period_key, scope_type, scope_id)
UNION ALL
SELECT 'gross_margin', p.period_type, p.period_key, p.scope_type, p.scope_id,
       'product', p.product,
       CASE WHEN p.revenue <> 0 THEN (p.revenue - p.cogs) / p.revenue END,
       p.revenue - p.cogs, p.revenue,
       CASE WHEN p.revenue = 0 THEN 'no revenue in the period' END
FROM products p
JOIN kpi_grid g USING (period_type, period_key, scope_type, scope_id)
