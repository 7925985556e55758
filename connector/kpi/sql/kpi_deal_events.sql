-- Deals by the period in which they were created, or closed (won or lost; a won deal is
-- closed even where the source left is_closed unset).
SELECT e.event, pm.period_type, pm.period_key, st.scope_type,
       scope_id_of(st.scope_type, d.team, d.owner_id, d.territory) AS scope_id,
       count(*) AS deals, count(d.lead_id) AS from_lead
FROM kpi_deals d
JOIN (SELECT 'created' AS event UNION ALL SELECT 'closed' AS event) e
  ON e.event = 'created' OR ((d.is_closed OR d.is_won) AND d.close_date IS NOT NULL)
JOIN kpi_period_months pm
  ON pm.month_start = month_start(CASE e.event WHEN 'created' THEN d.created_date
                                             ELSE d.close_date END)
JOIN kpi_scope_types st
  ON scope_id_of(st.scope_type, d.team, d.owner_id, d.territory) IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
