-- KPI 6 lead_to_sale: deals won in P that came from a lead / leads created in P.
WITH won AS (
  SELECT period_type, period_key, scope_type, scope_id, count(lead_id) AS won_from_lead
  FROM kpi_won GROUP BY period_type, period_key, scope_type, scope_id
)
SELECT 'lead_to_sale' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN l.leads > 0 THEN CAST(COALESCE(w.won_from_lead, 0) AS DOUBLE) / l.leads END
         AS value,
       COALESCE(w.won_from_lead, 0) AS numerator, COALESCE(l.leads, 0) AS denominator,
       CASE WHEN COALESCE(l.leads, 0) = 0 THEN 'no leads created in the period' END AS note
FROM kpi_grid g
LEFT JOIN won w USING (period_type, period_key, scope_type, scope_id)
LEFT JOIN kpi_lead_counts l USING (period_type, period_key, scope_type, scope_id)
