-- Won deals by the period of their close date and by every scope they belong to.
SELECT pm.period_type, pm.period_key, st.scope_type,
       scope_id_of(st.scope_type, d.team, d.owner_id, d.territory) AS scope_id,
       d.source, d.id, d.account_id, d.close_date, d.contact_method, d.lead_id,
       d.rate, d.amount * d.rate AS amount_rc, d.cogs * d.rate AS cogs_rc,
       -- a deal recorded after its (backdated) close date took no time, not negative days
       GREATEST(days_between(d.first_contact_date, d.close_date), 0) AS cycle_days,
       COALESCE(dc.customer_type, 'new') AS customer_type
FROM kpi_deals d
JOIN kpi_period_months pm ON pm.month_start = month_start(d.close_date)
JOIN kpi_scope_types st
  ON scope_id_of(st.scope_type, d.team, d.owner_id, d.territory) IS NOT NULL
LEFT JOIN kpi_deal_customer dc ON dc.source = d.source AND dc.id = d.id
WHERE d.is_won AND d.close_date IS NOT NULL
