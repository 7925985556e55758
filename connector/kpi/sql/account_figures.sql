-- The figures of each account from its own records, as of $as_of (not KPIs of a scope):
-- won revenue in the current fiscal year and in the last 12 months (reporting currency),
-- the score of its latest survey response, its first won deal and its churn date.
-- Revenue is null for an account that never won a deal (not a customer: nothing to say),
-- 0 for a customer without revenue in the window.
WITH won AS (
  SELECT source, account_id, close_date, amount * rate AS amount_rc
  FROM kpi_deals
  WHERE is_won AND close_date IS NOT NULL AND account_id IS NOT NULL AND close_date <= $as_of
),
revenue AS (
  SELECT source, account_id,
         COALESCE(sum(CASE WHEN close_date >= $year_start THEN amount_rc END), 0) AS this_year,
         COALESCE(sum(CASE WHEN close_date > $year_ago THEN amount_rc END), 0) AS last_12
  FROM won GROUP BY 1, 2
),
latest AS (
  SELECT source, account_id, score,
         row_number() OVER (PARTITION BY source, account_id
                            ORDER BY responded_at DESC, id DESC) AS nth
  FROM src_survey_responses WHERE NOT is_deleted AND account_id IS NOT NULL
)
SELECT a.source, a.id AS account_id, r.this_year AS revenue_this_year,
       r.last_12 AS revenue_last_12_months, l.score AS last_nps_score,
       c.first_won AS customer_since,
       CASE WHEN c.churn_date <= $as_of THEN c.churn_date END AS churned_on
FROM src_accounts a
LEFT JOIN revenue r ON r.source = a.source AND r.account_id = a.id
LEFT JOIN latest l ON l.source = a.source AND l.account_id = a.id AND l.nth = 1
LEFT JOIN kpi_customers c ON c.source = a.source AND c.account_id = a.id
WHERE NOT a.is_deleted
