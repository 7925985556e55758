-- First contact matters only for won deals (KPI 8): the earliest activity is looked up
-- for them and their leads only, not for every deal and lead of the org.
SELECT o.source, 'opportunity' AS kind, o.id AS ref
FROM src_opportunities o WHERE NOT o.is_deleted AND o.is_won
UNION
SELECT o.source, 'lead' AS kind, COALESCE(o.lead_id, ll.lead_id) AS ref
FROM src_opportunities o
LEFT JOIN kpi_lead_link ll ON ll.source = o.source AND ll.opportunity_id = o.id
WHERE NOT o.is_deleted AND o.is_won AND COALESCE(o.lead_id, ll.lead_id) IS NOT NULL
