-- Live deals with their scope (owner key, team, territory), reporting-currency rate on
-- the close date, COGS (deal currency), originating lead and first contact date.
-- A deal of a deleted account keeps its revenue but has no account any more: the account
-- leaves the customers, ARPA's accounts and CLV's customers.
-- A deal without contact method takes its originating lead's (the lead source).
SELECT o.source, o.id, CASE WHEN gone.id IS NULL THEN o.account_id END AS account_id,
       COALESCE(ow.owner_key, o.owner_id) AS owner_id, ow.team,
       COALESCE(o.territory, a.territory, ow.territory) AS territory,
       local_date(o.created_at) AS created_date,
       o.close_date, o.is_closed, o.is_won,
       COALESCE(o.contact_method, l.contact_method) AS contact_method,
       COALESCE(o.currency, $currency) AS currency,
       CASE WHEN COALESCE(o.currency, $currency) = $currency THEN CAST(1 AS DOUBLE)
            ELSE r.rate END AS rate,
       o.amount,
       CASE WHEN lt.costed_lines > 0
              THEN lt.known_cost + $default_cogs_rate * COALESCE(lt.uncosted_revenue, 0)
            WHEN o.cost IS NOT NULL THEN o.cost
            ELSE $default_cogs_rate * o.amount END AS cogs,
       l.id AS lead_id,
       LEAST(local_date(l.created_at), fa_o.first_day, fa_l.first_day,
             local_date(o.created_at)) AS first_contact_date
FROM src_opportunities o
LEFT JOIN kpi_owner ow ON ow.source = o.source AND ow.id = o.owner_id
LEFT JOIN src_accounts a ON a.source = o.source AND a.id = o.account_id AND NOT a.is_deleted
LEFT JOIN src_accounts gone ON gone.source = o.source AND gone.id = o.account_id AND gone.is_deleted
LEFT JOIN kpi_rates r ON r.currency = o.currency AND r.day = o.close_date
LEFT JOIN kpi_lead_link ll ON ll.source = o.source AND ll.opportunity_id = o.id
LEFT JOIN src_leads l
       ON l.source = o.source AND l.id = COALESCE(o.lead_id, ll.lead_id) AND NOT l.is_deleted
LEFT JOIN kpi_line_totals lt ON lt.source = o.source AND lt.opportunity_id = o.id
LEFT JOIN kpi_first_activity fa_o
       ON fa_o.source = o.source AND fa_o.kind = 'opportunity' AND fa_o.ref = o.id
LEFT JOIN kpi_first_activity fa_l
       ON fa_l.source = o.source AND fa_l.kind = 'lead' AND fa_l.ref = l.id
WHERE NOT o.is_deleted
