-- The rate in force on each day, per currency (dated rates: last valid_from wins).
SELECT d.day, r.currency, r.rate
FROM (
  SELECT currency, rate_to_reporting AS rate, valid_from,
         LEAD(valid_from) OVER (PARTITION BY currency ORDER BY valid_from, source) AS valid_to
  FROM exchange_rates WHERE NOT is_deleted
) r
JOIN kpi_days d ON d.day >= r.valid_from AND (r.valid_to IS NULL OR d.day < r.valid_to)
