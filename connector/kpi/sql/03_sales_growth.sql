-- KPI 3 sales_growth: (revenue(P) - revenue(P')) / revenue(P'), P' the previous period of
-- the same type (growth_basis: previous) or the same period a year earlier
-- (year_over_year). Null when revenue(P') is 0.
-- Like for like while P runs: a period in progress (kpi_periods.elapsed_days, d days
-- elapsed today included) compares its first d days with the first d days of P' (all of
-- P' when it is shorter), never a few days with a whole period; its note says so. A
-- closed period compares the two whole periods.
WITH revenue AS (
  SELECT period_type, period_key, scope_type, scope_id, sum(amount_rc) AS revenue
  FROM kpi_won WHERE amount_rc IS NOT NULL
  GROUP BY period_type, period_key, scope_type, scope_id
),
running AS (
  SELECT period_type, period_key, elapsed_days,
         CASE WHEN $growth_basis = 'year_over_year' THEN yoy_key ELSE prev_key END AS ref_key
  FROM kpi_periods WHERE requested AND elapsed_days IS NOT NULL
),
-- The first elapsed_days days of each running period and of its comparison period.
to_date AS (
  SELECT x.period_type, x.period_key, w.scope_type, w.scope_id,
         sum(CASE WHEN w.period_key = x.period_key THEN w.amount_rc END) AS revenue,
         sum(CASE WHEN w.period_key = x.ref_key THEN w.amount_rc END) AS previous
  FROM running x
  JOIN kpi_periods r
    ON r.period_type = x.period_type AND (r.period_key = x.period_key OR r.period_key = x.ref_key)
  JOIN kpi_won w ON w.period_type = r.period_type AND w.period_key = r.period_key
  WHERE w.amount_rc IS NOT NULL AND days_between(r.start_date, w.close_date) < x.elapsed_days
  GROUP BY x.period_type, x.period_key, w.scope_type, w.scope_id
),
compared AS (
  SELECT g.period_type, g.period_key, g.scope_type, g.scope_id, p.elapsed_days,
         CASE WHEN p.elapsed_days IS NULL THEN COALESCE(cur.revenue, 0)
              ELSE COALESCE(td.revenue, 0) END AS revenue,
         CASE WHEN p.elapsed_days IS NULL THEN COALESCE(prev.revenue, 0)
              ELSE COALESCE(td.previous, 0) END AS previous
  FROM kpi_grid g
  JOIN kpi_periods p ON p.period_type = g.period_type AND p.period_key = g.period_key
  LEFT JOIN revenue cur
         ON cur.period_type = g.period_type AND cur.period_key = g.period_key
        AND cur.scope_type = g.scope_type AND cur.scope_id = g.scope_id
  LEFT JOIN revenue prev
         ON prev.period_type = g.period_type
        AND prev.period_key = CASE WHEN $growth_basis = 'year_over_year'
                                   THEN p.yoy_key ELSE p.prev_key END
        AND prev.scope_type = g.scope_type AND prev.scope_id = g.scope_id
  LEFT JOIN to_date td
         ON td.period_type = g.period_type AND td.period_key = g.period_key
        AND td.scope_type = g.scope_type AND td.scope_id = g.scope_id
)
SELECT 'sales_growth' AS kpi, period_type, period_key, scope_type, scope_id,
       CAST(NULL AS STRING) AS breakdown_type, CAST(NULL AS STRING) AS breakdown_value,
       CASE WHEN previous <> 0 THEN (revenue - previous) / previous END AS value,
       revenue - previous AS numerator, previous AS denominator,
       NULLIF(concat_ws('; ',
         CASE WHEN elapsed_days IS NOT NULL
              THEN 'so far: the first '
                   || CASE WHEN elapsed_days = 1 THEN 'day'
                           ELSE CAST(elapsed_days AS STRING) || ' days' END
                   || ' of this ' || period_type || ' against the same days of '
                   || CASE WHEN $growth_basis = 'year_over_year'
                           THEN 'the same ' || period_type || ' a year earlier'
                           ELSE 'the ' || period_type || ' before' END END,
         CASE WHEN previous = 0 THEN 'no revenue in the comparison period' END), '') AS note
FROM compared
