-- Spark's helper functions: SQL functions (Spark 4), which Spark inlines into each query.
-- The same names, arguments and meanings as dialect_duckdb.sql; tests/kpi/test_dialects.py
-- runs both on the same values. Timestamps are TIMESTAMP_NTZ holding UTC (the session
-- time zone is UTC). {{timezone}} is the org time zone, checked, then written as a literal.
-- The org-local day of a naive UTC timestamp.
CREATE OR REPLACE TEMPORARY FUNCTION local_date(ts TIMESTAMP_NTZ) RETURNS DATE
  RETURN CAST(convert_timezone('UTC', {{timezone}}, ts) AS DATE);
-- The first day of the month of a date.
CREATE OR REPLACE TEMPORARY FUNCTION month_start(d DATE) RETURNS DATE RETURN trunc(d, 'MM');
-- The first instant of the UTC month of a naive UTC timestamp.
CREATE OR REPLACE TEMPORARY FUNCTION utc_month(ts TIMESTAMP_NTZ) RETURNS TIMESTAMP_NTZ
  RETURN CAST(date_trunc('MONTH', ts) AS TIMESTAMP_NTZ);
-- Days from a to b (b - a): Spark's datediff takes (end, start), the other way round.
CREATE OR REPLACE TEMPORARY FUNCTION days_between(a DATE, b DATE) RETURNS INT
  RETURN datediff(b, a);
-- The date n days after d.
CREATE OR REPLACE TEMPORARY FUNCTION add_days(d DATE, n INT) RETURNS DATE
  RETURN date_add(d, n);
-- The id of the scope of type scope_type that a record with this team, owner and
-- territory belongs to: '' for the company, NULL where it belongs to no such scope.
CREATE OR REPLACE TEMPORARY FUNCTION scope_id_of(
  scope_type STRING, team STRING, owner_id STRING, territory STRING) RETURNS STRING
  RETURN CASE scope_type WHEN 'company' THEN '' WHEN 'team' THEN team
              WHEN 'owner' THEN owner_id WHEN 'territory' THEN territory END;
