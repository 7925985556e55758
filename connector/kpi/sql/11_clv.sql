-- KPI 11 clv: average deal value x average purchases per customer per year x average
-- customer lifespan in years, over the trailing 12 months ending with P. Lifespan:
-- clv_lifespan_years if set, else 1 / annual churn rate on the standard basis (customers
-- of the window's start lost in the 12 months / customers at its start; see
-- kpi_customer_flow). Deal value x purchases = revenue / distinct customers.
-- Distinct customers over sliding windows without DISTINCT: an (account, scope) pair is
-- counted in a window at its first month in it, i.e. where its previous deal month
-- falls before the window's start.
WITH monthly AS (
  SELECT scope_type, scope_id, source, account_id, month_start(close_date) AS month_start,
         sum(amount_rc) AS revenue, count(*) AS deals
  FROM kpi_won
  WHERE period_type = 'month' AND amount_rc IS NOT NULL AND account_id IS NOT NULL
  GROUP BY scope_type, scope_id, source, account_id, month_start(close_date)
),
flagged AS (
  SELECT scope_type, scope_id, month_start, revenue, deals,
         LAG(month_start) OVER (PARTITION BY scope_type, scope_id, source, account_id
                                ORDER BY month_start) AS previous_month
  FROM monthly
),
compact AS (
  SELECT scope_type, scope_id, month_start, previous_month, sum(revenue) AS revenue,
         sum(deals) AS deals, count(*) AS accounts
  FROM flagged
  GROUP BY scope_type, scope_id, month_start, previous_month
),
last_12_months AS (
  SELECT tm.period_type, tm.period_key, c.scope_type, c.scope_id,
         sum(c.revenue) AS revenue, sum(c.deals) AS deals,
         sum(CASE WHEN c.previous_month IS NULL OR c.previous_month < p.trailing_start
                  THEN c.accounts ELSE 0 END) AS customers
  FROM compact c
  JOIN kpi_trailing_months tm ON tm.month_start = c.month_start
  JOIN kpi_periods p ON p.period_type = tm.period_type AND p.period_key = tm.period_key
  GROUP BY tm.period_type, tm.period_key, c.scope_type, c.scope_id
),
inputs AS (
  SELECT g.period_type, g.period_key, g.scope_type, g.scope_id, t.revenue, t.deals,
         t.customers,
         CASE WHEN $clv_lifespan_years IS NOT NULL THEN CAST($clv_lifespan_years AS DOUBLE)
              WHEN f.at_trailing_start > 0 AND f.lost_trailing > 0
              THEN CAST(f.at_trailing_start AS DOUBLE) / f.lost_trailing END AS lifespan_years
  FROM kpi_grid g
  LEFT JOIN last_12_months t USING (period_type, period_key, scope_type, scope_id)
  LEFT JOIN kpi_customer_flow f USING (period_type, period_key, scope_type, scope_id)
)
SELECT 'clv' AS kpi, period_type, period_key, scope_type, scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN customers > 0 AND lifespan_years IS NOT NULL
            THEN (revenue / deals) * (CAST(deals AS DOUBLE) / customers) * lifespan_years
       END AS value,
       revenue AS numerator, customers AS denominator,
       CASE WHEN COALESCE(customers, 0) = 0 THEN 'no won deals in the trailing 12 months'
            WHEN lifespan_years IS NULL
            THEN 'no churn in the trailing 12 months: lifespan undefined' END AS note
FROM inputs
