-- The last org-local day, up to as_of, on which a deal was created or won or a lead was
-- created: the events that the revenue and funnel KPIs count. `compute` shows its month.
-- Contact attempts and survey responses alone do not make a month worth showing (CRMs
-- hold calls scheduled ahead, and a month of calls without deals is nearly all nulls).
-- Timestamps are compared with the UTC instant at which the day after as_of begins, so
-- that only one value per table is converted to the org's day.
SELECT max(day) AS day FROM (
  SELECT max(close_date) AS day FROM src_opportunities
  WHERE NOT is_deleted AND is_won AND close_date <= $as_of
  UNION ALL
  SELECT local_date(max(created_at)) FROM src_opportunities
  WHERE NOT is_deleted AND created_at < $as_of_end
  UNION ALL
  SELECT local_date(max(created_at)) FROM src_leads
  WHERE NOT is_deleted AND created_at < $as_of_end
) days
