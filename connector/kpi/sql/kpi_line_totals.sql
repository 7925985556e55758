-- COGS inputs per deal, in the deal's currency.
SELECT source, opportunity_id,
       count(unit_cost) AS costed_lines,
       sum(CASE WHEN unit_cost IS NOT NULL THEN COALESCE(quantity, 1) * unit_cost END) AS known_cost,
       sum(CASE WHEN unit_cost IS NULL
                THEN COALESCE(quantity, 1) * COALESCE(unit_price, 0) END) AS uncosted_revenue
FROM src_line_items WHERE NOT is_deleted
GROUP BY source, opportunity_id
