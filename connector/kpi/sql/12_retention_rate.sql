-- KPI 12 retention_rate: (customers at end of P - new customers in P) / customers at
-- start of P. The new customers subtracted are those counted at the end: a customer
-- acquired and lost within P is in neither count. So the numerator is the customers of
-- the start still customers at the end (`retained`), and the rate stays within 0..1
-- (the literal reading goes negative when new customers churn within P).
SELECT 'retention_rate' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN f.at_start > 0 THEN CAST(f.retained AS DOUBLE) / f.at_start END AS value,
       COALESCE(f.retained, 0) AS numerator, COALESCE(f.at_start, 0) AS denominator,
       CASE WHEN COALESCE(f.at_start, 0) = 0 THEN 'no customers at the start of the period'
       END AS note
FROM kpi_grid g
LEFT JOIN kpi_customer_flow f USING (period_type, period_key, scope_type, scope_id)
