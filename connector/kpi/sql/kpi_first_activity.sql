-- The local day of the first activity on each won deal and on each of their leads.
SELECT a.source, 'opportunity' AS kind, a.opportunity_id AS ref,
       local_date(min(a.occurred_at)) AS first_day
FROM src_activities a
JOIN kpi_won_refs w ON w.kind = 'opportunity' AND w.source = a.source
                   AND w.ref = a.opportunity_id
WHERE NOT a.is_deleted
GROUP BY a.source, a.opportunity_id
UNION ALL
SELECT a.source, 'lead' AS kind, a.lead_id AS ref, local_date(min(a.occurred_at)) AS first_day
FROM src_activities a
JOIN kpi_won_refs w ON w.kind = 'lead' AND w.source = a.source AND w.ref = a.lead_id
WHERE NOT a.is_deleted
GROUP BY a.source, a.lead_id
