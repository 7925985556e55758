-- Leads created, counted per period and scope (lead owner's team and territory).
WITH monthly AS (
  SELECT month_start(local_date(l.created_at)) AS month_start,
         COALESCE(ow.owner_key, l.owner_id) AS owner_id, ow.team,
         ow.territory, count(*) AS leads
  FROM src_leads l LEFT JOIN kpi_owner ow ON ow.source = l.source AND ow.id = l.owner_id
  WHERE NOT l.is_deleted
  GROUP BY 1, 2, 3, 4
)
SELECT pm.period_type, pm.period_key, st.scope_type,
       scope_id_of(st.scope_type, m.team, m.owner_id, m.territory) AS scope_id,
       sum(m.leads) AS leads
FROM monthly m
JOIN kpi_period_months pm ON pm.month_start = m.month_start
JOIN kpi_scope_types st
  ON scope_id_of(st.scope_type, m.team, m.owner_id, m.territory) IS NOT NULL
GROUP BY 1, 2, 3, 4
