-- The target of each requested period and scope, from config.yaml (kpi_config_targets)
-- and the targets table (CSV, Salesforce quotas, HubSpot goals) of every source: a target
-- names its scope, and that decides where it applies.
-- A target applies to exactly the scope it names: an owner by CRM id (of the target's own
-- source; of any source for config.yaml) or by e-mail, a team or a territory by name, both
-- case-insensitively; the company has none to name. A target for one period
-- (period_start) beats one for every period of its type; then the origin decides
-- (kpi_target_origins: config, csv, quota, goal), then the latest modified. Money targets
-- in another currency are converted at the rate in force on the period's first day.
-- With kpis.target_rollup, a team, territory or the company without its own target gets
-- the sum of its reps' targets.
WITH given AS (
  SELECT source, id, modified_at, kpi, period_type, period_start, scope_type, scope_id,
         value, currency, origin
  FROM targets WHERE NOT is_deleted
  UNION ALL
  SELECT source, id, modified_at, kpi, period_type, period_start, scope_type, scope_id,
         value, currency, origin
  FROM kpi_config_targets
),
scoped AS (
  SELECT g.*, '' AS scope_key FROM given g WHERE g.scope_type = 'company'
  UNION
  SELECT g.*, ow.owner_key FROM given g
  JOIN src_owners o ON o.id = g.scope_id AND o.source = COALESCE(g.source, o.source)
  JOIN kpi_owner ow ON ow.source = o.source AND ow.id = o.id
  WHERE g.scope_type = 'owner'
  UNION
  SELECT g.*, ow.owner_key FROM given g
  JOIN src_owners o ON lower(o.email) = lower(g.scope_id)
  JOIN kpi_owner ow ON ow.source = o.source AND ow.id = o.id
  WHERE g.scope_type = 'owner'
  UNION
  SELECT g.*, s.scope_id FROM given g
  JOIN kpi_scopes s ON s.scope_type = g.scope_type AND lower(s.scope_id) = lower(g.scope_id)
  WHERE g.scope_type IN ('team', 'territory')
),
ranked AS (
  SELECT s.kpi, s.period_type, p.period_key, p.start_date, s.scope_type,
         s.scope_key AS scope_id, s.value, s.currency,
         row_number() OVER (
           PARTITION BY s.kpi, s.period_type, p.period_key, s.scope_type, s.scope_key
           ORDER BY CASE WHEN s.period_start IS NULL THEN 1 ELSE 0 END, o.precedence,
                    s.modified_at DESC NULLS LAST, s.source NULLS FIRST, s.id) AS nth
  FROM scoped s
  JOIN kpi_periods p
    ON p.period_type = s.period_type AND p.requested
   AND (s.period_start IS NULL OR s.period_start = p.start_date)
  JOIN kpi_target_origins o ON o.origin = s.origin
),
own AS (
  SELECT t.kpi, t.period_type, t.period_key, t.scope_type, t.scope_id,
         CASE WHEN r.unit <> 'money' OR COALESCE(t.currency, $currency) = $currency
              THEN t.value ELSE t.value * x.rate END AS target,
         CASE WHEN r.unit = 'money' AND COALESCE(t.currency, $currency) <> $currency
               AND x.rate IS NULL
              THEN 'target left out: no exchange rate for ' || t.currency || ' on '
                   || CAST(t.start_date AS STRING) END AS target_note
  FROM ranked t
  JOIN kpi_registry r ON r.kpi = t.kpi
  LEFT JOIN kpi_rates x ON x.currency = t.currency AND x.day = t.start_date
  WHERE t.nth = 1
),
-- The reps of each rolled-up scope (a rep merged from two CRMs counts once per scope).
members AS (
  SELECT DISTINCT u.kpi, u.scope_type,
         scope_id_of(u.scope_type, ow.team, ow.owner_key, ow.territory) AS scope_id,
         ow.owner_key
  FROM kpi_rollup u
  JOIN kpi_owner ow ON scope_id_of(u.scope_type, ow.team, ow.owner_key, ow.territory) IS NOT NULL
),
rolled AS (
  SELECT m.kpi, p.period_type, p.period_key, m.scope_type, m.scope_id,
         sum(t.target) AS target, count(t.target) AS with_target, count(*) AS reps
  FROM members m
  JOIN kpi_periods p ON p.requested
  LEFT JOIN own t
         ON t.kpi = m.kpi AND t.period_type = p.period_type AND t.period_key = p.period_key
        AND t.scope_type = 'owner' AND t.scope_id = m.owner_key
  GROUP BY m.kpi, p.period_type, p.period_key, m.scope_type, m.scope_id
)
SELECT kpi, period_type, period_key, scope_type, scope_id, target, target_note FROM own
UNION ALL
SELECT r.kpi, r.period_type, r.period_key, r.scope_type, r.scope_id, r.target,
       CASE WHEN r.with_target = r.reps
            THEN 'target: the sum of its ' || CAST(r.reps AS STRING) || ' reps'' targets'
            ELSE 'target: the sum of the targets of ' || CAST(r.with_target AS STRING)
                 || ' of its ' || CAST(r.reps AS STRING) || ' reps' END
FROM rolled r
LEFT JOIN own t
       ON t.kpi = r.kpi AND t.period_type = r.period_type AND t.period_key = r.period_key
      AND t.scope_type = r.scope_type AND t.scope_id = r.scope_id
WHERE t.kpi IS NULL AND r.with_target > 0
