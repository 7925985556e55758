-- KPI 11 clv: average deal value x average purchases per customer per year x average
-- customer lifespan in years, over the trailing 12 months ending with P. Lifespan:
-- clv_lifespan_years if set, else 1 / annual churn rate (lost in the 12 months /
-- customers at their start). Deal value x purchases = revenue / distinct customers.
WITH last_12_months AS (
  SELECT tm.period_type, tm.period_key, w.scope_type, w.scope_id,
         sum(w.amount_rc) AS revenue, count(*) AS deals,
         count(DISTINCT w.account_id) AS customers
  FROM kpi_won w
  JOIN kpi_trailing_months tm ON tm.month_start = month_start(w.close_date)
  WHERE w.period_type = 'month' AND w.amount_rc IS NOT NULL AND w.account_id IS NOT NULL
  GROUP BY tm.period_type, tm.period_key, w.scope_type, w.scope_id
),
inputs AS (
  SELECT g.period_type, g.period_key, g.scope_type, g.scope_id, t.revenue, t.deals,
         t.customers,
         CASE WHEN {{clv_lifespan_years}} IS NOT NULL THEN {{clv_lifespan_years}}
              WHEN f.at_trailing_start > 0 AND f.lost_trailing > 0
              THEN f.at_trailing_start * 1.0 / f.lost_trailing END AS lifespan_years
  FROM kpi_grid g
  LEFT JOIN last_12_months t USING (period_type, period_key, scope_type, scope_id)
  LEFT JOIN kpi_customer_flow f USING (period_type, period_key, scope_type, scope_id)
)
SELECT 'clv' AS kpi, period_type, period_key, scope_type, scope_id,
       CAST(NULL AS VARCHAR) AS breakdown_type, CAST(NULL AS VARCHAR) AS breakdown_value,
       CASE WHEN customers > 0 AND lifespan_years IS NOT NULL
            THEN (revenue / deals) * (deals * 1.0 / customers) * lifespan_years END AS value,
       revenue AS numerator, customers AS denominator,
       CASE WHEN COALESCE(customers, 0) = 0 THEN 'no won deals in the trailing 12 months'
            WHEN lifespan_years IS NULL
            THEN 'no churn in the trailing 12 months: lifespan undefined' END AS note
FROM inputs
