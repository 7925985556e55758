-- Targets, attainment, gap and pace for every KPI value.
-- Target: the one of this exact scope (kpi_target_values), never another scope's: a scope
-- without one has none, and says so when the KPI has targets elsewhere. Targets apply to
-- rows without breakdown, and to the rows of a KPI whose values exist only per breakdown
-- (kpi_registry.split_by: KPI 7's per-method rates).
-- attainment = actual / target ("higher" KPIs) or target / actual ("lower" ones), so 100 %
-- always means on target; null, with a reason, where the division is meaningless, and
-- for signed KPIs (growth, NPS) whenever either side is not positive.
-- pace, for the period in progress and a KPI that accumulates over it: the same with the
-- target pro-rated to the elapsed share of the period (kpi_periods.elapsed_share), once
-- it means something: from day kpi_periods.pace_from_day of the period (kpis.pace's
-- min_days and min_share) and from $pace_min_deals deals won by the scope. Before that
-- pace is null and pace_note says from when it will be given, in a rep's words.
WITH targeted AS (
  SELECT DISTINCT kpi, period_type, period_key FROM kpi_target_values
),
-- Deals won per period and scope, counted only when pace waits for them (a scan of every
-- won deal by every period and scope saved otherwise).
won AS (
  SELECT period_type, period_key, scope_type, scope_id, count(*) AS deals
  FROM kpi_won WHERE $pace_min_deals > 0
  GROUP BY period_type, period_key, scope_type, scope_id
),
resolved AS (
  SELECT v.*, r.higher_is_better, r.signed, r.accumulates, p.elapsed_share,
         p.elapsed_days, p.pace_from_day, COALESCE(w.deals, 0) AS deals,
         p.elapsed_days >= p.pace_from_day AND COALESCE(w.deals, 0) >= $pace_min_deals
           AS pace_ready,
         (v.breakdown_type IS NULL OR v.breakdown_type = r.split_by) AS takes_target,
         t.target, t.target_note, k.kpi IS NOT NULL AS has_targets
  FROM kpi_values v
  JOIN kpi_registry r ON r.kpi = v.kpi
  JOIN kpi_periods p ON p.period_type = v.period_type AND p.period_key = v.period_key
  LEFT JOIN kpi_target_values t
         ON t.kpi = v.kpi AND t.period_type = v.period_type AND t.period_key = v.period_key
        AND t.scope_type = v.scope_type AND t.scope_id = v.scope_id
        AND (v.breakdown_type IS NULL OR v.breakdown_type = r.split_by)
  LEFT JOIN targeted k
         ON k.kpi = v.kpi AND k.period_type = v.period_type AND k.period_key = v.period_key
  LEFT JOIN won w
         ON w.period_type = v.period_type AND w.period_key = v.period_key
        AND w.scope_type = v.scope_type AND w.scope_id = v.scope_id
),
paced AS (
  SELECT resolved.*,
         CASE WHEN accumulates AND elapsed_share IS NOT NULL AND value IS NOT NULL
               AND target IS NOT NULL AND NOT pace_ready
              THEN concat_ws('; ',
                CASE WHEN elapsed_days < pace_from_day
                     THEN 'pace from day ' || CAST(pace_from_day AS STRING) || ' of the '
                          || period_type || ' (today is day ' || CAST(elapsed_days AS STRING)
                          || ')' END,
                CASE WHEN deals < $pace_min_deals
                     THEN 'pace from ' || CAST($pace_min_deals AS STRING) || ' won deals ('
                          || CAST(deals AS STRING) || ' so far)' END) END AS pace_note
  FROM resolved
)
SELECT kpi, period_type, period_key, scope_type, scope_id, breakdown_type, breakdown_value,
       value, numerator, denominator, target,
       CASE WHEN value IS NULL OR target IS NULL THEN NULL
            WHEN signed AND (value <= 0 OR target <= 0) THEN NULL
            WHEN higher_is_better AND target <= 0 THEN NULL
            WHEN higher_is_better THEN value / target
            WHEN value <= 0 THEN NULL
            ELSE target / value END AS attainment,
       value - target AS gap,
       CASE WHEN NOT accumulates OR elapsed_share IS NULL OR value IS NULL OR target IS NULL
              OR NOT pace_ready
            THEN NULL
            WHEN higher_is_better AND target <= 0 THEN NULL
            WHEN higher_is_better THEN value / (target * elapsed_share)
            WHEN value <= 0 THEN NULL
            ELSE target * elapsed_share / value END AS pace,
       pace_note,
       NULLIF(concat_ws('; ',
         note,
         CASE WHEN value IS NULL OR target IS NULL THEN NULL
              WHEN signed AND (value <= 0 OR target <= 0)
              THEN 'attainment undefined: actual or target is not positive'
              WHEN higher_is_better AND target <= 0
              THEN 'attainment undefined: target is not positive'
              WHEN NOT higher_is_better AND value <= 0
              THEN 'attainment undefined: actual is not positive' END,
         target_note,
         CASE WHEN takes_target AND has_targets AND target IS NULL AND target_note IS NULL
              THEN CASE scope_type WHEN 'owner' THEN 'no target for this rep'
                                   WHEN 'team' THEN 'no target for this team'
                                   WHEN 'territory' THEN 'no target for this territory'
                                   ELSE 'no target for the company' END END,
         pace_note
       ), '') AS note
FROM paced
