-- KPI 13 churn_rate: customers of the start of P lost in P / customers at the start of P
-- (churn_basis: start, the default: a fraction of the start, and 1 - retention_rate; see
-- kpi_customer_flow), or customers lost in P / customers acquired in P (churn_basis:
-- acquired, the article's worked example). Every row says its basis in its note.
WITH flow AS (
  SELECT g.period_type, g.period_key, g.scope_type, g.scope_id,
         COALESCE(CASE WHEN $churn_basis = 'start' THEN f.lost_of_start ELSE f.lost END, 0)
           AS lost,
         COALESCE(CASE WHEN $churn_basis = 'start' THEN f.at_start ELSE f.acquired END, 0)
           AS base
  FROM kpi_grid g
  LEFT JOIN kpi_customer_flow f USING (period_type, period_key, scope_type, scope_id)
)
SELECT 'churn_rate' AS kpi, period_type, period_key, scope_type, scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN base > 0 THEN CAST(lost AS DOUBLE) / base END AS value,
       lost AS numerator, base AS denominator,
       CASE WHEN $churn_basis = 'start'
            THEN concat_ws('; ', 'basis: customers at the start of the period',
                           CASE WHEN base = 0 THEN 'no customers at the start of the period' END)
            ELSE concat_ws('; ', 'basis: customers acquired in the period',
                           CASE WHEN base = 0 THEN 'no customers acquired in the period' END) END
         AS note
FROM flow
