-- KPI 5 closing_ratio: deals won in P / opportunities created in P
-- (closing_basis: closed divides by deals closed, won or lost, in P).
WITH won AS (
  SELECT period_type, period_key, scope_type, scope_id, count(*) AS won
  FROM kpi_won GROUP BY period_type, period_key, scope_type, scope_id
)
SELECT 'closing_ratio' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN e.deals > 0 THEN CAST(COALESCE(w.won, 0) AS DOUBLE) / e.deals END AS value,
       COALESCE(w.won, 0) AS numerator, COALESCE(e.deals, 0) AS denominator,
       CASE WHEN COALESCE(e.deals, 0) = 0
            THEN CASE WHEN $closing_basis = 'closed' THEN 'no deals closed in the period'
                      ELSE 'no opportunities created in the period' END END AS note
FROM kpi_grid g
LEFT JOIN won w USING (period_type, period_key, scope_type, scope_id)
LEFT JOIN kpi_deal_events e
       ON e.event = CASE WHEN $closing_basis = 'closed' THEN 'closed' ELSE 'created' END
      AND e.period_type = g.period_type AND e.period_key = g.period_key
      AND e.scope_type = g.scope_type AND e.scope_id = g.scope_id
