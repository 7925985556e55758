-- Customer type of a won deal: new when it closed on the account's first won day (two
-- deals won the same day are both the first purchase), else existing.
SELECT d.source, d.id,
       CASE WHEN c.first_won = d.close_date THEN 'new' ELSE 'existing' END AS customer_type
FROM kpi_deals d
JOIN kpi_customers c ON c.source = d.source AND c.account_id = d.account_id
WHERE d.is_won
