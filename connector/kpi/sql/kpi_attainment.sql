-- Targets, attainment and gap for every KPI value.
-- Target: the one for this exact scope, else the company-wide one (same KPI and period
-- type). Targets apply to rows without breakdown, and to the rows of a KPI whose values
-- exist only per breakdown (kpi_registry.split_by: KPI 7's per-method rates).
-- attainment = actual / target ("higher" KPIs) or target / actual ("lower" ones), so 100 %
-- always means on target; null, with a reason, where the division is meaningless, and
-- for signed KPIs (growth, NPS) whenever either side is not positive.
WITH resolved AS (
  SELECT v.*, r.higher_is_better, r.signed,
         COALESCE(exact.value, company.value) AS target
  FROM kpi_values v
  JOIN kpi_registry r ON r.kpi = v.kpi
  LEFT JOIN kpi_targets exact
         ON exact.kpi = v.kpi AND exact.period_type = v.period_type
        AND exact.scope_type = v.scope_type AND exact.scope_id = v.scope_id
        AND (v.breakdown_type IS NULL OR v.breakdown_type = r.split_by)
  LEFT JOIN kpi_targets company
         ON company.kpi = v.kpi AND company.period_type = v.period_type
        AND company.scope_type = 'company'
        AND (v.breakdown_type IS NULL OR v.breakdown_type = r.split_by)
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
       CAST(NULL AS DOUBLE) AS pace,
       CASE WHEN value IS NULL OR target IS NULL THEN note
            WHEN signed AND (value <= 0 OR target <= 0)
            THEN 'attainment undefined: actual or target is not positive'
            WHEN higher_is_better AND target <= 0
            THEN 'attainment undefined: target is not positive'
            WHEN NOT higher_is_better AND value <= 0
            THEN 'attainment undefined: actual is not positive'
            ELSE note END AS note
FROM resolved
