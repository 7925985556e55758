-- Sales and marketing costs per period and scope, spread evenly over the days of each
-- entry (period_end inclusive) and converted at each day's rate.
WITH monthly AS (
  SELECT month_start(d.day) AS month_start, COALESCE(ow.owner_key, c.owner_id) AS owner_id,
         COALESCE(c.team, ow.team) AS team,
         sum(c.amount * CASE WHEN COALESCE(c.currency, $currency) = $currency THEN CAST(1 AS DOUBLE)
                             ELSE r.rate END
             / (days_between(c.period_start, c.period_end) + 1)) AS cost
  FROM src_costs c
  JOIN kpi_days d ON d.day >= c.period_start AND d.day <= c.period_end
  LEFT JOIN kpi_rates r ON r.currency = c.currency AND r.day = d.day
  LEFT JOIN kpi_owner ow ON ow.source = c.source AND ow.id = c.owner_id
  WHERE NOT c.is_deleted
  GROUP BY 1, 2, 3
)
SELECT pm.period_type, pm.period_key, st.scope_type,
       scope_id_of(st.scope_type, m.team, m.owner_id, NULL) AS scope_id,
       sum(m.cost) AS cost
FROM monthly m
JOIN kpi_period_months pm ON pm.month_start = m.month_start
-- A cost carries a team and an owner, never a territory.
JOIN kpi_scope_types st ON scope_id_of(st.scope_type, m.team, m.owner_id, NULL) IS NOT NULL
GROUP BY 1, 2, 3, 4
