-- Contact attempts (activities) per period, scope and method.
WITH by_utc_month AS (
  SELECT a.source, a.owner_id, a.method,
         CASE WHEN a.occurred_at < u.boundary THEN u.month_before ELSE u.month_after END
           AS month_start,
         count(*) AS attempts
  FROM src_activities a
  JOIN kpi_utc_months u ON u.utc_month = utc_month(a.occurred_at)
  WHERE NOT a.is_deleted
  GROUP BY 1, 2, 3, 4
),
monthly AS (
  SELECT m.month_start, m.method, COALESCE(ow.owner_key, m.owner_id) AS owner_id,
         ow.team, ow.territory,
         sum(m.attempts) AS attempts
  FROM by_utc_month m
  LEFT JOIN kpi_owner ow ON ow.source = m.source AND ow.id = m.owner_id
  GROUP BY 1, 2, 3, 4, 5
)
SELECT pm.period_type, pm.period_key, st.scope_type,
       scope_id_of(st.scope_type, m.team, m.owner_id, m.territory) AS scope_id,
       m.method, sum(m.attempts) AS attempts
FROM monthly m
JOIN kpi_period_months pm ON pm.month_start = m.month_start
JOIN kpi_scope_types st
  ON scope_id_of(st.scope_type, m.team, m.owner_id, m.territory) IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
