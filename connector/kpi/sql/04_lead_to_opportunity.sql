-- KPI 4 lead_to_opportunity: opportunities created in P that came from a lead / leads
-- created in P.
SELECT 'lead_to_opportunity' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN l.leads > 0 THEN CAST(COALESCE(e.from_lead, 0) AS DOUBLE) / l.leads END
         AS value,
       COALESCE(e.from_lead, 0) AS numerator, COALESCE(l.leads, 0) AS denominator,
       CASE WHEN COALESCE(l.leads, 0) = 0 THEN 'no leads created in the period' END AS note
FROM kpi_grid g
LEFT JOIN kpi_deal_events e
       ON e.event = 'created' AND e.period_type = g.period_type
      AND e.period_key = g.period_key AND e.scope_type = g.scope_type
      AND e.scope_id = g.scope_id
LEFT JOIN kpi_lead_counts l
       ON l.period_type = g.period_type AND l.period_key = g.period_key
      AND l.scope_type = g.scope_type AND l.scope_id = g.scope_id
