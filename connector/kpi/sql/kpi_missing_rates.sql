-- Records that need a rate the store does not have, reported as data-quality findings:
-- won deals (left out of the money KPIs) and costs (left out of CAC on those days).
SELECT source, 'opportunities' AS entity, id, currency, close_date AS first_day,
       'deal excluded from money KPIs' AS effect
FROM kpi_deals
WHERE is_won AND close_date IS NOT NULL AND rate IS NULL
UNION ALL
SELECT c.source, 'costs', c.id, c.currency, min(d.day),
       'cost left out of CAC on the days without a rate'
FROM src_costs c
JOIN kpi_days d ON d.day >= c.period_start AND d.day <= c.period_end
LEFT JOIN kpi_rates r ON r.currency = c.currency AND r.day = d.day
WHERE NOT c.is_deleted AND COALESCE(c.currency, $currency) <> $currency AND r.rate IS NULL
GROUP BY c.source, c.id, c.currency
