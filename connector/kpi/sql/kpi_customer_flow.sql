-- Customers by scope, compared with every period's start and end (for KPIs 10-13).
-- Every period boundary is a month start, so counting "customers at D" is a running
-- sum of monthly gains and losses. A customer counts from its first won deal until its
-- churn date; one whose churn date precedes its first win never counts as a customer.
-- `lost` also counts customers acquired and lost within P (the article's churn over
-- acquisitions). The "standard" churn over the customers of the start (churn_basis start,
-- CLV's annual churn) and retention leave those out (`transient`): lost_of_start =
-- lost - transient and retained = at_start - lost_of_start, so both stay within 0..1 and
-- retention + churn (start basis) = 1.
WITH scoped AS (
  SELECT st.scope_type,
         scope_id_of(st.scope_type, c.team, c.owner_id, c.territory) AS scope_id,
         c.first_won, c.churn_date,
         (c.churn_date IS NULL OR c.churn_date >= c.first_won) AS ever_customer
  FROM kpi_customers c
  JOIN kpi_scope_types st
    ON scope_id_of(st.scope_type, c.team, c.owner_id, c.territory) IS NOT NULL
),
events AS (
  SELECT scope_type, scope_id, month_start(first_won) AS month_start,
         count(*) AS acquired,
         sum(CASE WHEN ever_customer THEN 1 ELSE 0 END) AS gained,
         0 AS lost
  FROM scoped GROUP BY 1, 2, 3
  UNION ALL
  SELECT scope_type, scope_id, month_start(churn_date), 0, 0, count(*)
  FROM scoped WHERE churn_date IS NOT NULL AND ever_customer GROUP BY 1, 2, 3
),
monthly AS (
  SELECT s.scope_type, s.scope_id, m.month_start,
         COALESCE(sum(e.acquired), 0) AS acquired, COALESCE(sum(e.gained), 0) AS gained,
         COALESCE(sum(e.lost), 0) AS lost
  FROM (SELECT DISTINCT scope_type, scope_id FROM events) s
  CROSS JOIN kpi_months m
  LEFT JOIN events e
         ON e.scope_type = s.scope_type AND e.scope_id = s.scope_id
        AND e.month_start = m.month_start
  GROUP BY 1, 2, 3
),
running AS (
  SELECT scope_type, scope_id, month_start, acquired, lost,
         sum(gained - lost) OVER (PARTITION BY scope_type, scope_id ORDER BY month_start
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
           AS before_month,
         sum(lost) OVER (PARTITION BY scope_type, scope_id ORDER BY month_start
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS lost_before
  FROM monthly
),
in_period AS (
  SELECT pm.period_type, pm.period_key, r.scope_type, r.scope_id,
         sum(r.acquired) AS acquired, sum(r.lost) AS lost
  FROM running r JOIN kpi_period_months pm ON pm.month_start = r.month_start
  GROUP BY 1, 2, 3, 4
),
-- The months of each period, and of the trailing 12 months of each output period ...
windows AS (
  SELECT 'period' AS kind, month_start, period_type, period_key FROM kpi_period_months
  UNION ALL
  SELECT 'trailing', month_start, period_type, period_key FROM kpi_trailing_months
),
-- ... and the customers acquired and lost within one window (both months in it).
transient AS (
  SELECT wa.kind, wa.period_type, wa.period_key, s.scope_type, s.scope_id,
         count(*) AS customers
  FROM scoped s
  JOIN windows wa ON wa.month_start = month_start(s.first_won)
  JOIN windows wl
    ON wl.month_start = month_start(s.churn_date) AND wl.kind = wa.kind
   AND wl.period_type = wa.period_type AND wl.period_key = wa.period_key
  WHERE s.churn_date IS NOT NULL AND s.ever_customer
  GROUP BY 1, 2, 3, 4, 5
)
SELECT p.period_type, p.period_key, ip.scope_type, ip.scope_id,
       COALESCE(s.before_month, 0) AS at_start, COALESCE(e.before_month, 0) AS at_end,
       ip.acquired, ip.lost,
       ip.lost - COALESCE(tr.customers, 0) AS lost_of_start,
       COALESCE(s.before_month, 0) - ip.lost + COALESCE(tr.customers, 0) AS retained,
       COALESCE(t.before_month, 0) AS at_trailing_start,
       COALESCE(e.lost_before, 0) - COALESCE(t.lost_before, 0) - COALESCE(tt.customers, 0)
         AS lost_trailing
FROM kpi_periods p
JOIN in_period ip ON ip.period_type = p.period_type AND ip.period_key = p.period_key
LEFT JOIN transient tr
       ON tr.kind = 'period'
      AND tr.period_type = ip.period_type AND tr.period_key = ip.period_key
      AND tr.scope_type = ip.scope_type AND tr.scope_id = ip.scope_id
LEFT JOIN transient tt
       ON tt.kind = 'trailing'
      AND tt.period_type = ip.period_type AND tt.period_key = ip.period_key
      AND tt.scope_type = ip.scope_type AND tt.scope_id = ip.scope_id
LEFT JOIN running s
       ON s.scope_type = ip.scope_type AND s.scope_id = ip.scope_id
      AND s.month_start = p.start_date
LEFT JOIN running e
       ON e.scope_type = ip.scope_type AND e.scope_id = ip.scope_id
      AND e.month_start = p.end_date
LEFT JOIN running t
       ON t.scope_type = ip.scope_type AND t.scope_id = ip.scope_id
      AND t.month_start = p.trailing_start
