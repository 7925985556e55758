-- Line items of won deals, for the product breakdowns of revenue and margin.
WITH lines AS (
  SELECT li.source, li.opportunity_id,
         COALESCE(li.product_name, li.product_id, '(no product)') AS product,
         COALESCE(li.quantity, 1) * COALESCE(li.unit_price, 0) AS revenue,
         COALESCE(li.quantity, 1) * li.unit_cost AS known_cost,
         sum(COALESCE(li.quantity, 1) * COALESCE(li.unit_price, 0))
           OVER (PARTITION BY li.source, li.opportunity_id) AS deal_line_revenue,
         count(li.unit_cost) OVER (PARTITION BY li.source, li.opportunity_id) AS costed_lines
  FROM src_line_items li
  WHERE NOT li.is_deleted
)
-- Product COGS follow the deal's COGS rule, so that product margins add up to the
-- deal's: line cost where the deal has costed lines (uncosted lines at the default
-- rate); else the deal's cost field shared by line revenue; else the default rate.
SELECT w.period_type, w.period_key, w.scope_type, w.scope_id, l.product,
       l.revenue * w.rate AS revenue,
       CASE WHEN l.costed_lines > 0
              THEN COALESCE(l.known_cost, $default_cogs_rate * l.revenue)
            WHEN o.cost IS NOT NULL AND l.deal_line_revenue <> 0
              THEN o.cost * l.revenue / l.deal_line_revenue
            ELSE $default_cogs_rate * l.revenue END * w.rate AS cogs
FROM kpi_won w
JOIN lines l ON l.source = w.source AND l.opportunity_id = w.id
JOIN src_opportunities o ON o.source = w.source AND o.id = w.id
WHERE w.rate IS NOT NULL
