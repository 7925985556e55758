-- The lead a deal came from, by the lead's conversion (for deals without lead_id).
SELECT source, converted_opportunity_id AS opportunity_id, min(id) AS lead_id
FROM src_leads WHERE NOT is_deleted AND converted_opportunity_id IS NOT NULL
GROUP BY source, converted_opportunity_id
