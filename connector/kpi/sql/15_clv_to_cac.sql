-- clv_to_cac: CLV / CAC of the same period and scope; its target is a ratio (3 = 3:1).
SELECT 'clv_to_cac' AS kpi, clv.period_type, clv.period_key, clv.scope_type, clv.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN cac.value > 0 THEN clv.value / cac.value END AS value,
       clv.value AS numerator, cac.value AS denominator,
       CASE WHEN clv.value IS NULL THEN 'CLV undefined'
            WHEN cac.value IS NULL OR cac.value <= 0 THEN 'CAC undefined' END AS note
FROM kpi_values clv
JOIN kpi_values cac
  ON cac.kpi = 'cac' AND cac.period_type = clv.period_type
 AND cac.period_key = clv.period_key AND cac.scope_type = clv.scope_type
 AND cac.scope_id = clv.scope_id AND cac.breakdown_type IS NULL
WHERE clv.kpi = 'clv' AND clv.breakdown_type IS NULL
