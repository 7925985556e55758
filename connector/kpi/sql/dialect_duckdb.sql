-- DuckDB's helper functions (macros). dialect_spark.sql defines the same names with the
-- same arguments and meanings for Spark; tests/kpi/test_dialects.py runs both on the same
-- values. Macros take no bound parameters: {{timezone}} is the org time zone, an IANA
-- name that the engine checks before it writes it here as a literal.
-- The org-local day of a naive UTC timestamp.
CREATE OR REPLACE TEMP MACRO local_date(ts) AS
  CAST(timezone({{timezone}}, timezone('UTC', ts)) AS DATE);
-- The first day of the month of a date.
CREATE OR REPLACE TEMP MACRO month_start(d) AS CAST(date_trunc('month', d) AS DATE);
-- The first instant of the UTC month of a naive UTC timestamp.
CREATE OR REPLACE TEMP MACRO utc_month(ts) AS date_trunc('month', ts);
-- Days from a to b (b - a): positive when b is later.
CREATE OR REPLACE TEMP MACRO days_between(a, b) AS date_diff('day', a, b);
-- The date n days after d.
CREATE OR REPLACE TEMP MACRO add_days(d, n) AS CAST(d + to_days(CAST(n AS INTEGER)) AS DATE);
-- The id of the scope of type scope_type that a record with this team, owner and
-- territory belongs to: '' for the company, NULL where it belongs to no such scope.
-- Every fact explodes its records into their scopes with it, so the rule is stated once.
CREATE OR REPLACE TEMP MACRO scope_id_of(scope_type, team, owner_id, territory) AS
  CASE scope_type WHEN 'company' THEN '' WHEN 'team' THEN team
       WHEN 'owner' THEN owner_id WHEN 'territory' THEN territory END;
