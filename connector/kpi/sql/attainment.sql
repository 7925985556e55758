-- Targets, attainment and gap for every KPI value.
-- Target: the one for this exact scope, else the company-wide one (same KPI and period
-- type). Targets apply to rows without breakdown, and to KPI 7's per-method rows.
-- attainment = actual / target ("higher" KPIs) or target / actual ("lower" ones), so 100 %
-- always means on target; null, with a reason, where the division is meaningless.
WITH resolved AS (
  SELECT v.*, d.higher_is_better,
         COALESCE(exact.value, company.value) AS target
  FROM kpi_values v
  JOIN kpi_directions d ON d.kpi = v.kpi
  LEFT JOIN kpi_targets exact
         ON exact.kpi = v.kpi AND exact.period_type = v.period_type
        AND exact.scope_type = v.scope_type AND exact.scope_id = v.scope_id
        AND (v.breakdown_type IS NULL OR v.kpi = 'sales_by_contact_method')
  LEFT JOIN kpi_targets company
         ON company.kpi = v.kpi AND company.period_type = v.period_type
        AND company.scope_type = 'company'
        AND (v.breakdown_type IS NULL OR v.kpi = 'sales_by_contact_method')
)
SELECT kpi, period_type, period_key, scope_type, scope_id, breakdown_type, breakdown_value,
       value, numerator, denominator, target,
       CASE WHEN value IS NULL OR target IS NULL THEN NULL
            WHEN kpi IN ('nps', 'sales_growth') AND (value <= 0 OR target <= 0) THEN NULL
            WHEN higher_is_better AND target <= 0 THEN NULL
            WHEN higher_is_better THEN value / target
            WHEN value <= 0 THEN NULL
            ELSE target / value END AS attainment,
       value - target AS gap,
       CASE WHEN value IS NULL OR target IS NULL THEN note
            WHEN kpi IN ('nps', 'sales_growth') AND (value <= 0 OR target <= 0)
            THEN 'attainment undefined: actual or target is not positive'
            WHEN higher_is_better AND target <= 0
            THEN 'attainment undefined: target is not positive'
            WHEN NOT higher_is_better AND value <= 0
            THEN 'attainment undefined: actual is not positive'
            ELSE note END AS note
FROM resolved
