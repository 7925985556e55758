-- KPI 14 nps: % promoters (9-10) - % detractors (0-6) among survey responses received in
-- P: a number from -100 to 100. Responses are scoped by their account like customers
-- (the account's owner and territory, else those of its first won deal), including the
-- accounts that have not bought yet. A deleted account's responses count company-wide.
WITH scored AS (
  SELECT month_start(local_date(r.responded_at)) AS month_start,
         CASE WHEN a.owner_id IS NOT NULL THEN COALESCE(ao.owner_key, a.owner_id)
              ELSE c.owner_id END AS owner_id,
         CASE WHEN a.owner_id IS NOT NULL THEN ao.team ELSE c.team END AS team,
         COALESCE(a.territory, ao.territory, c.territory) AS territory,
         CASE WHEN r.score >= 9 THEN 1 WHEN r.score <= 6 THEN -1 ELSE 0 END AS sign
  FROM src_survey_responses r
  LEFT JOIN src_accounts a ON a.source = r.source AND a.id = r.account_id AND NOT a.is_deleted
  LEFT JOIN kpi_owner ao ON ao.source = a.source AND ao.id = a.owner_id
  LEFT JOIN kpi_customers c ON c.source = r.source AND c.account_id = r.account_id
  WHERE NOT r.is_deleted
),
totals AS (
  SELECT pm.period_type, pm.period_key, st.scope_type,
         scope_id_of(st.scope_type, s.team, s.owner_id, s.territory) AS scope_id,
         sum(s.sign) AS net, count(*) AS responses
  FROM scored s
  JOIN kpi_period_months pm ON pm.month_start = s.month_start
  JOIN kpi_scope_types st
    ON scope_id_of(st.scope_type, s.team, s.owner_id, s.territory) IS NOT NULL
  GROUP BY 1, 2, 3, 4
)
SELECT 'nps' AS kpi, g.period_type, g.period_key, g.scope_type, g.scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN t.responses > 0 THEN 100 * CAST(t.net AS DOUBLE) / t.responses END AS value,
       t.net AS numerator, COALESCE(t.responses, 0) AS denominator,
       CASE WHEN COALESCE(t.responses, 0) = 0 THEN 'no survey responses in the period' END
         AS note
FROM kpi_grid g
LEFT JOIN totals t USING (period_type, period_key, scope_type, scope_id)
