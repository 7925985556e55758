-- KPI 7 sales_by_contact_method: for each contact method m, deals won in P whose contact
-- method is m / contact attempts (activities) by m in P. One row per method; the won
-- count is the numerator, the revenue per method is a total_revenue breakdown.
WITH won AS (
  SELECT period_type, period_key, scope_type, scope_id, contact_method AS method,
         count(*) AS won
  FROM kpi_won WHERE contact_method IS NOT NULL
  GROUP BY period_type, period_key, scope_type, scope_id, contact_method
)
SELECT 'sales_by_contact_method' AS kpi, g.period_type, g.period_key, g.scope_type,
       g.scope_id, 'contact_method' AS breakdown_type, m.method AS breakdown_value,
       CASE WHEN a.attempts > 0 THEN CAST(COALESCE(w.won, 0) AS DOUBLE) / a.attempts END
         AS value,
       COALESCE(w.won, 0) AS numerator, COALESCE(a.attempts, 0) AS denominator,
       CASE WHEN COALESCE(a.attempts, 0) = 0 THEN 'no contact attempts by this method' END
         AS note
FROM kpi_grid g
CROSS JOIN kpi_contact_methods m
LEFT JOIN won w
       ON w.period_type = g.period_type AND w.period_key = g.period_key
      AND w.scope_type = g.scope_type AND w.scope_id = g.scope_id AND w.method = m.method
LEFT JOIN kpi_activity_counts a
       ON a.period_type = g.period_type AND a.period_key = g.period_key
      AND a.scope_type = g.scope_type AND a.scope_id = g.scope_id AND a.method = m.method
