-- KPI 3 sales_growth: (revenue(P) - revenue(P')) / revenue(P'), P' the previous period of
-- the same type (growth_basis: previous) or the same period a year earlier
-- (year_over_year). Null when revenue(P') is 0.
WITH revenue AS (
  SELECT period_type, period_key, scope_type, scope_id, sum(amount_rc) AS revenue
  FROM kpi_won WHERE amount_rc IS NOT NULL
  GROUP BY period_type, period_key, scope_type, scope_id
),
compared AS (
  SELECT g.period_type, g.period_key, g.scope_type, g.scope_id,
         COALESCE(cur.revenue, 0) AS revenue, COALESCE(prev.revenue, 0) AS previous
  FROM kpi_grid g
  JOIN kpi_periods p ON p.period_type = g.period_type AND p.period_key = g.period_key
  LEFT JOIN revenue cur
         ON cur.period_type = g.period_type AND cur.period_key = g.period_key
        AND cur.scope_type = g.scope_type AND cur.scope_id = g.scope_id
  LEFT JOIN revenue prev
         ON prev.period_type = g.period_type
        AND prev.period_key = CASE WHEN $growth_basis = 'year_over_year'
                                   THEN p.yoy_key ELSE p.prev_key END
        AND prev.scope_type = g.scope_type AND prev.scope_id = g.scope_id
)
SELECT 'sales_growth' AS kpi, period_type, period_key, scope_type, scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN previous <> 0 THEN (revenue - previous) / previous END AS value,
       revenue - previous AS numerator, previous AS denominator,
       CASE WHEN previous = 0 THEN 'no revenue in the comparison period' END AS note
FROM compared
