-- The only engine-specific SQL of the KPI engine: four helper functions.
-- On Apache Spark, register the same names (from_utc_timestamp, trunc, datediff, date_add).
-- Macros take no bound parameters: {{timezone}} is the org time zone, an IANA name that
-- the engine checks before it writes it here as a literal.
CREATE OR REPLACE TEMP MACRO local_date(ts) AS
  CAST(timezone({{timezone}}, timezone('UTC', ts)) AS DATE);
CREATE OR REPLACE TEMP MACRO month_start(d) AS CAST(date_trunc('month', d) AS DATE);
CREATE OR REPLACE TEMP MACRO days_between(a, b) AS date_diff('day', a, b);
CREATE OR REPLACE TEMP MACRO add_days(d, n) AS CAST(d + to_days(CAST(n AS INTEGER)) AS DATE);
