-- Customers: an account from its first won deal until its churn date. Scoped by the
-- account's owner and territory (or, for an account without owner, its first deal's).
WITH won AS (
  SELECT source, account_id, id, owner_id, team, territory, close_date,
         row_number() OVER (PARTITION BY source, account_id ORDER BY close_date, id) AS nth,
         max(close_date) OVER (PARTITION BY source, account_id) AS last_won
  FROM kpi_deals
  WHERE is_won AND close_date IS NOT NULL AND account_id IS NOT NULL
)
SELECT w.source, w.account_id, w.close_date AS first_won,
       COALESCE(local_date(a.churned_at),
                CASE WHEN add_days(w.last_won, $churn_after_days) <= $as_of
                     THEN add_days(w.last_won, $churn_after_days) END) AS churn_date,
       CASE WHEN a.owner_id IS NOT NULL THEN COALESCE(ao.owner_key, a.owner_id)
            ELSE w.owner_id END AS owner_id,
       CASE WHEN a.owner_id IS NOT NULL THEN ao.team ELSE w.team END AS team,
       COALESCE(a.territory, ao.territory, w.territory) AS territory
FROM won w
LEFT JOIN src_accounts a ON a.source = w.source AND a.id = w.account_id
LEFT JOIN kpi_owner ao ON ao.source = a.source AND ao.id = a.owner_id
WHERE w.nth = 1 AND (a.id IS NULL OR NOT a.is_deleted)
