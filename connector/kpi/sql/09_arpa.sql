-- KPI 9 arpa: revenue(P) / number of distinct accounts with a deal won in P. Revenue of
-- won deals without an account is in neither part: it is no account's revenue.
-- Accounts are told apart by source and id: two CRMs may use the same ids.
WITH per_account AS (
  SELECT period_type, period_key, scope_type, scope_id, source, account_id,
         sum(amount_rc) AS revenue
  FROM kpi_won WHERE amount_rc IS NOT NULL AND account_id IS NOT NULL
  GROUP BY period_type, period_key, scope_type, scope_id, source, account_id
),
accounts AS (
  SELECT period_type, period_key, scope_type, scope_id,
         sum(revenue) AS revenue, count(*) AS accounts
  FROM per_account
  GROUP BY period_type, period_key, scope_type, scope_id
)
SELECT 'arpa' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN a.accounts > 0 THEN COALESCE(a.revenue, 0) / a.accounts END AS value,
       COALESCE(a.revenue, 0) AS numerator, COALESCE(a.accounts, 0) AS denominator,
       CASE WHEN COALESCE(a.accounts, 0) = 0 THEN 'no account with a won deal' END AS note
FROM kpi_grid g
LEFT JOIN accounts a USING (period_type, period_key, scope_type, scope_id)
