-- Facts shared by the KPI definitions, from the normalized tables only.
-- Deleted records are left out here, once, so that they leave every KPI.
-- Scope ids are '' for the company scope so that they can be joined on.
-- src_<table> are the normalized tables of the sources being computed (all, or one).
-- An owner scope is an owner_key: the CRM id, or, when several CRMs are merged, the
-- owner's e-mail, so that one rep with a user in each CRM is one scope.

-- A deleted owner's team and territory no longer place its records.
CREATE OR REPLACE TEMP TABLE kpi_owner AS
SELECT source, id, {{owner_key}} AS owner_key, team, territory
FROM src_owners WHERE NOT is_deleted;

-- The rate in force on each day, per currency (dated rates: last valid_from wins).
CREATE OR REPLACE TEMP TABLE kpi_rates AS
SELECT d.day, r.currency, r.rate
FROM (
  SELECT currency, rate_to_reporting AS rate, valid_from,
         LEAD(valid_from) OVER (PARTITION BY currency ORDER BY valid_from, source) AS valid_to
  FROM exchange_rates WHERE NOT is_deleted
) r
JOIN kpi_days d ON d.day >= r.valid_from AND (r.valid_to IS NULL OR d.day < r.valid_to);

CREATE OR REPLACE TEMP TABLE kpi_lead_link AS
SELECT source, converted_opportunity_id AS opportunity_id, min(id) AS lead_id
FROM src_leads WHERE NOT is_deleted AND converted_opportunity_id IS NOT NULL
GROUP BY source, converted_opportunity_id;

-- First contact matters only for won deals (KPI 8): the earliest activity is looked up
-- for them and their leads only, not for every deal and lead of the org.
CREATE OR REPLACE TEMP TABLE kpi_won_refs AS
SELECT o.source, 'opportunity' AS kind, o.id AS ref
FROM src_opportunities o WHERE NOT o.is_deleted AND o.is_won
UNION
SELECT o.source, 'lead' AS kind, COALESCE(o.lead_id, ll.lead_id) AS ref
FROM src_opportunities o
LEFT JOIN kpi_lead_link ll ON ll.source = o.source AND ll.opportunity_id = o.id
WHERE NOT o.is_deleted AND o.is_won AND COALESCE(o.lead_id, ll.lead_id) IS NOT NULL;

CREATE OR REPLACE TEMP TABLE kpi_first_activity AS
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
GROUP BY a.source, a.lead_id;

-- COGS inputs per deal, in the deal's currency.
CREATE OR REPLACE TEMP TABLE kpi_line_totals AS
SELECT source, opportunity_id,
       count(unit_cost) AS costed_lines,
       sum(CASE WHEN unit_cost IS NOT NULL THEN COALESCE(quantity, 1) * unit_cost END) AS known_cost,
       sum(CASE WHEN unit_cost IS NULL
                THEN COALESCE(quantity, 1) * COALESCE(unit_price, 0) END) AS uncosted_revenue
FROM src_line_items WHERE NOT is_deleted
GROUP BY source, opportunity_id;

-- A deal of a deleted account keeps its revenue but has no account any more: the account
-- leaves the customers, ARPA's accounts and CLV's customers.
-- A deal without contact method takes its originating lead's (the lead source).
CREATE OR REPLACE TEMP TABLE kpi_deals AS
SELECT o.source, o.id, CASE WHEN gone.id IS NULL THEN o.account_id END AS account_id,
       COALESCE(ow.owner_key, o.owner_id) AS owner_id, ow.team,
       COALESCE(o.territory, a.territory, ow.territory) AS territory,
       local_date(o.created_at) AS created_date,
       o.close_date, o.is_closed, o.is_won,
       COALESCE(o.contact_method, l.contact_method) AS contact_method,
       COALESCE(o.currency, {{currency}}) AS currency,
       CASE WHEN COALESCE(o.currency, {{currency}}) = {{currency}} THEN 1.0 ELSE r.rate END AS rate,
       o.amount,
       CASE WHEN lt.costed_lines > 0
              THEN lt.known_cost + {{default_cogs_rate}} * COALESCE(lt.uncosted_revenue, 0)
            WHEN o.cost IS NOT NULL THEN o.cost
            ELSE {{default_cogs_rate}} * o.amount END AS cogs,
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
WHERE NOT o.is_deleted;

-- Customers: an account from its first won deal until its churn date. Scoped by the
-- account's owner and territory (or, for an account without owner, its first deal's).
CREATE OR REPLACE TEMP TABLE kpi_customers AS
WITH won AS (
  SELECT source, account_id, id, owner_id, team, territory, close_date,
         row_number() OVER (PARTITION BY source, account_id ORDER BY close_date, id) AS nth,
         max(close_date) OVER (PARTITION BY source, account_id) AS last_won
  FROM kpi_deals
  WHERE is_won AND close_date IS NOT NULL AND account_id IS NOT NULL
)
SELECT w.source, w.account_id, w.close_date AS first_won,
       COALESCE(local_date(a.churned_at),
                CASE WHEN add_days(w.last_won, {{churn_after_days}}) <= {{as_of}}
                     THEN add_days(w.last_won, {{churn_after_days}}) END) AS churn_date,
       CASE WHEN a.owner_id IS NOT NULL THEN COALESCE(ao.owner_key, a.owner_id)
            ELSE w.owner_id END AS owner_id,
       CASE WHEN a.owner_id IS NOT NULL THEN ao.team ELSE w.team END AS team,
       COALESCE(a.territory, ao.territory, w.territory) AS territory
FROM won w
LEFT JOIN src_accounts a ON a.source = w.source AND a.id = w.account_id
LEFT JOIN kpi_owner ao ON ao.source = a.source AND ao.id = a.owner_id
WHERE w.nth = 1 AND (a.id IS NULL OR NOT a.is_deleted);

-- Customer type of a won deal: new when it closed on the account's first won day (two
-- deals won the same day are both the first purchase), else existing.
CREATE OR REPLACE TEMP TABLE kpi_deal_customer AS
SELECT d.source, d.id,
       CASE WHEN c.first_won = d.close_date THEN 'new' ELSE 'existing' END AS customer_type
FROM kpi_deals d
JOIN kpi_customers c ON c.source = d.source AND c.account_id = d.account_id
WHERE d.is_won;

-- Won deals by the period of their close date and by every scope they belong to.
CREATE OR REPLACE TEMP TABLE kpi_won AS
SELECT pm.period_type, pm.period_key, st.scope_type,
       CASE st.scope_type WHEN 'company' THEN '' WHEN 'team' THEN d.team
            WHEN 'owner' THEN d.owner_id ELSE d.territory END AS scope_id,
       d.source, d.id, d.account_id, d.close_date, d.contact_method, d.lead_id,
       d.rate, d.amount * d.rate AS amount_rc, d.cogs * d.rate AS cogs_rc,
       -- a deal recorded after its (backdated) close date took no time, not negative days
       GREATEST(days_between(d.first_contact_date, d.close_date), 0) AS cycle_days,
       COALESCE(dc.customer_type, 'new') AS customer_type
FROM kpi_deals d
JOIN kpi_period_months pm ON pm.month_start = month_start(d.close_date)
JOIN kpi_scope_types st
  ON st.scope_type = 'company'
  OR (st.scope_type = 'team' AND d.team IS NOT NULL)
  OR (st.scope_type = 'owner' AND d.owner_id IS NOT NULL)
  OR (st.scope_type = 'territory' AND d.territory IS NOT NULL)
LEFT JOIN kpi_deal_customer dc ON dc.source = d.source AND dc.id = d.id
WHERE d.is_won AND d.close_date IS NOT NULL;

-- Deals by the period in which they were created, or closed (won or lost; a won deal is
-- closed even where the source left is_closed unset).
CREATE OR REPLACE TEMP TABLE kpi_deal_events AS
SELECT e.event, pm.period_type, pm.period_key, st.scope_type,
       CASE st.scope_type WHEN 'company' THEN '' WHEN 'team' THEN d.team
            WHEN 'owner' THEN d.owner_id ELSE d.territory END AS scope_id,
       count(*) AS deals, count(d.lead_id) AS from_lead
FROM kpi_deals d
JOIN (SELECT 'created' AS event UNION ALL SELECT 'closed' AS event) e
  ON e.event = 'created' OR ((d.is_closed OR d.is_won) AND d.close_date IS NOT NULL)
JOIN kpi_period_months pm
  ON pm.month_start = month_start(CASE e.event WHEN 'created' THEN d.created_date
                                             ELSE d.close_date END)
JOIN kpi_scope_types st
  ON st.scope_type = 'company'
  OR (st.scope_type = 'team' AND d.team IS NOT NULL)
  OR (st.scope_type = 'owner' AND d.owner_id IS NOT NULL)
  OR (st.scope_type = 'territory' AND d.territory IS NOT NULL)
GROUP BY 1, 2, 3, 4, 5;

-- Leads created, counted per period and scope (lead owner's team and territory).
CREATE OR REPLACE TEMP TABLE kpi_lead_counts AS
WITH monthly AS (
  SELECT month_start(local_date(l.created_at)) AS month_start,
         COALESCE(ow.owner_key, l.owner_id) AS owner_id, ow.team,
         ow.territory, count(*) AS leads
  FROM src_leads l LEFT JOIN kpi_owner ow ON ow.source = l.source AND ow.id = l.owner_id
  WHERE NOT l.is_deleted
  GROUP BY 1, 2, 3, 4
)
SELECT pm.period_type, pm.period_key, st.scope_type,
       CASE st.scope_type WHEN 'company' THEN '' WHEN 'team' THEN m.team
            WHEN 'owner' THEN m.owner_id ELSE m.territory END AS scope_id,
       sum(m.leads) AS leads
FROM monthly m
JOIN kpi_period_months pm ON pm.month_start = m.month_start
JOIN kpi_scope_types st
  ON st.scope_type = 'company'
  OR (st.scope_type = 'team' AND m.team IS NOT NULL)
  OR (st.scope_type = 'owner' AND m.owner_id IS NOT NULL)
  OR (st.scope_type = 'territory' AND m.territory IS NOT NULL)
GROUP BY 1, 2, 3, 4;

-- Contact attempts (activities) per period, scope and method.
CREATE OR REPLACE TEMP TABLE kpi_activity_counts AS
WITH by_utc_month AS (
  SELECT a.source, a.owner_id, a.method,
         CASE WHEN a.occurred_at < u.boundary THEN u.month_before ELSE u.month_after END
           AS month_start,
         count(*) AS attempts
  FROM src_activities a
  JOIN kpi_utc_months u ON u.utc_month = date_trunc('month', a.occurred_at)
  WHERE NOT a.is_deleted
  GROUP BY 1, 2, 3, 4
),
monthly AS (
  SELECT m.month_start, m.method, COALESCE(ow.owner_key, m.owner_id) AS owner_id,
         ow.team, ow.territory,
         sum(m.attempts) AS attempts
  FROM by_utc_month m
  LEFT JOIN kpi_owner ow ON ow.source = m.source AND ow.id = m.owner_id
  GROUP BY 1, 2, 3, 4, 5
)
SELECT pm.period_type, pm.period_key, st.scope_type,
       CASE st.scope_type WHEN 'company' THEN '' WHEN 'team' THEN m.team
            WHEN 'owner' THEN m.owner_id ELSE m.territory END AS scope_id,
       m.method, sum(m.attempts) AS attempts
FROM monthly m
JOIN kpi_period_months pm ON pm.month_start = m.month_start
JOIN kpi_scope_types st
  ON st.scope_type = 'company'
  OR (st.scope_type = 'team' AND m.team IS NOT NULL)
  OR (st.scope_type = 'owner' AND m.owner_id IS NOT NULL)
  OR (st.scope_type = 'territory' AND m.territory IS NOT NULL)
GROUP BY 1, 2, 3, 4, 5;

-- Customers by scope, compared with every period's start and end (for KPIs 10-13).
-- Every period boundary is a month start, so counting "customers at D" is a running
-- sum of monthly gains and losses. A customer counts from its first won deal until its
-- churn date; one whose churn date precedes its first win never counts as a customer.
-- `lost` also counts customers acquired and lost within P (the article's churn over
-- acquisitions). The "standard" churn over the customers of the start (churn_basis start,
-- CLV's annual churn) and retention leave those out (`transient`): lost_of_start =
-- lost - transient and retained = at_start - lost_of_start, so both stay within 0..1 and
-- retention + churn (start basis) = 1.
CREATE OR REPLACE TEMP TABLE kpi_customer_flow AS
WITH scoped AS (
  SELECT st.scope_type,
         CASE st.scope_type WHEN 'company' THEN '' WHEN 'team' THEN c.team
              WHEN 'owner' THEN c.owner_id ELSE c.territory END AS scope_id,
         c.first_won, c.churn_date,
         (c.churn_date IS NULL OR c.churn_date >= c.first_won) AS ever_customer
  FROM kpi_customers c
  JOIN kpi_scope_types st
    ON st.scope_type = 'company'
    OR (st.scope_type = 'team' AND c.team IS NOT NULL)
    OR (st.scope_type = 'owner' AND c.owner_id IS NOT NULL)
    OR (st.scope_type = 'territory' AND c.territory IS NOT NULL)
),
events AS (
  SELECT scope_type, scope_id, month_start(first_won) AS month_start,
         count(*) AS acquired,
         sum(CASE WHEN ever_customer THEN 1 ELSE 0 END) AS gained,
         0 AS lost
  FROM scoped GROUP BY 1, 2, 3
  UNION ALL
  SELECT scope_type, scope_id, month_start(churn_date), 0, 0, count(*)
  FROM scoped WHERE churn_date IS NOT NULL AND ever_customer GROUP BY 1, 2, 3
),
monthly AS (
  SELECT s.scope_type, s.scope_id, m.month_start,
         COALESCE(sum(e.acquired), 0) AS acquired, COALESCE(sum(e.gained), 0) AS gained,
         COALESCE(sum(e.lost), 0) AS lost
  FROM (SELECT DISTINCT scope_type, scope_id FROM events) s
  CROSS JOIN kpi_months m
  LEFT JOIN events e
         ON e.scope_type = s.scope_type AND e.scope_id = s.scope_id
        AND e.month_start = m.month_start
  GROUP BY 1, 2, 3
),
running AS (
  SELECT scope_type, scope_id, month_start, acquired, lost,
         sum(gained - lost) OVER (PARTITION BY scope_type, scope_id ORDER BY month_start
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
           AS before_month,
         sum(lost) OVER (PARTITION BY scope_type, scope_id ORDER BY month_start
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS lost_before
  FROM monthly
),
in_period AS (
  SELECT pm.period_type, pm.period_key, r.scope_type, r.scope_id,
         sum(r.acquired) AS acquired, sum(r.lost) AS lost
  FROM running r JOIN kpi_period_months pm ON pm.month_start = r.month_start
  GROUP BY 1, 2, 3, 4
),
-- Customers acquired and lost within a period (both months in it) ...
transient AS (
  SELECT pa.period_type, pa.period_key, s.scope_type, s.scope_id, count(*) AS customers
  FROM scoped s
  JOIN kpi_period_months pa ON pa.month_start = month_start(s.first_won)
  JOIN kpi_period_months pl
    ON pl.month_start = month_start(s.churn_date)
   AND pl.period_type = pa.period_type AND pl.period_key = pa.period_key
  WHERE s.churn_date IS NOT NULL AND s.ever_customer
  GROUP BY 1, 2, 3, 4
),
-- ... and within the trailing 12 months of a period.
transient_trailing AS (
  SELECT ta.period_type, ta.period_key, s.scope_type, s.scope_id, count(*) AS customers
  FROM scoped s
  JOIN kpi_trailing_months ta ON ta.month_start = month_start(s.first_won)
  JOIN kpi_trailing_months tl
    ON tl.month_start = month_start(s.churn_date)
   AND tl.period_type = ta.period_type AND tl.period_key = ta.period_key
  WHERE s.churn_date IS NOT NULL AND s.ever_customer
  GROUP BY 1, 2, 3, 4
)
SELECT p.period_type, p.period_key, ip.scope_type, ip.scope_id,
       COALESCE(s.before_month, 0) AS at_start, COALESCE(e.before_month, 0) AS at_end,
       ip.acquired, ip.lost,
       ip.lost - COALESCE(tr.customers, 0) AS lost_of_start,
       COALESCE(s.before_month, 0) - ip.lost + COALESCE(tr.customers, 0) AS retained,
       COALESCE(t.before_month, 0) AS at_trailing_start,
       COALESCE(e.lost_before, 0) - COALESCE(t.lost_before, 0) - COALESCE(tt.customers, 0)
         AS lost_trailing
FROM kpi_periods p
JOIN in_period ip ON ip.period_type = p.period_type AND ip.period_key = p.period_key
LEFT JOIN transient tr
       ON tr.period_type = ip.period_type AND tr.period_key = ip.period_key
      AND tr.scope_type = ip.scope_type AND tr.scope_id = ip.scope_id
LEFT JOIN transient_trailing tt
       ON tt.period_type = ip.period_type AND tt.period_key = ip.period_key
      AND tt.scope_type = ip.scope_type AND tt.scope_id = ip.scope_id
LEFT JOIN running s
       ON s.scope_type = ip.scope_type AND s.scope_id = ip.scope_id
      AND s.month_start = p.start_date
LEFT JOIN running e
       ON e.scope_type = ip.scope_type AND e.scope_id = ip.scope_id
      AND e.month_start = p.end_date
LEFT JOIN running t
       ON t.scope_type = ip.scope_type AND t.scope_id = ip.scope_id
      AND t.month_start = p.trailing_start;

-- Sales and marketing costs per period and scope, spread evenly over the days of each
-- entry (period_end inclusive) and converted at each day's rate.
CREATE OR REPLACE TEMP TABLE kpi_cost_totals AS
WITH monthly AS (
  SELECT month_start(d.day) AS month_start, COALESCE(ow.owner_key, c.owner_id) AS owner_id,
         COALESCE(c.team, ow.team) AS team,
         sum(c.amount * CASE WHEN COALESCE(c.currency, {{currency}}) = {{currency}} THEN 1.0
                             ELSE r.rate END
             / (days_between(c.period_start, c.period_end) + 1)) AS cost
  FROM src_costs c
  JOIN kpi_days d ON d.day >= c.period_start AND d.day <= c.period_end
  LEFT JOIN kpi_rates r ON r.currency = c.currency AND r.day = d.day
  LEFT JOIN kpi_owner ow ON ow.source = c.source AND ow.id = c.owner_id
  WHERE NOT c.is_deleted
  GROUP BY 1, 2, 3
)
SELECT pm.period_type, pm.period_key, st.scope_type,
       CASE st.scope_type WHEN 'company' THEN '' WHEN 'team' THEN m.team
            ELSE m.owner_id END AS scope_id,
       sum(m.cost) AS cost
FROM monthly m
JOIN kpi_period_months pm ON pm.month_start = m.month_start
JOIN kpi_scope_types st
  ON st.scope_type = 'company'
  OR (st.scope_type = 'team' AND m.team IS NOT NULL)
  OR (st.scope_type = 'owner' AND m.owner_id IS NOT NULL)
GROUP BY 1, 2, 3, 4;

-- Line items of won deals, for the product breakdowns of revenue and margin.
CREATE OR REPLACE TEMP TABLE kpi_won_lines AS
WITH lines AS (
  SELECT li.source, li.opportunity_id,
         COALESCE(li.product_name, li.product_id, '(no product)') AS product,
         COALESCE(li.quantity, 1) * COALESCE(li.unit_price, 0) AS revenue,
         COALESCE(li.quantity, 1) * li.unit_cost AS known_cost,
         sum(COALESCE(li.quantity, 1) * COALESCE(li.unit_price, 0))
           OVER (PARTITION BY li.source, li.opportunity_id) AS deal_line_revenue,
         count(li.unit_cost) OVER (PARTITION BY li.source, li.opportunity_id) AS costed_lines
  FROM src_line_items li
  WHERE NOT li.is_deleted
)
-- Product COGS follow the deal's COGS rule, so that product margins add up to the
-- deal's: line cost where the deal has costed lines (uncosted lines at the default
-- rate); else the deal's cost field shared by line revenue; else the default rate.
SELECT w.period_type, w.period_key, w.scope_type, w.scope_id, l.product,
       l.revenue * w.rate AS revenue,
       CASE WHEN l.costed_lines > 0
              THEN COALESCE(l.known_cost, {{default_cogs_rate}} * l.revenue)
            WHEN o.cost IS NOT NULL AND l.deal_line_revenue <> 0
              THEN o.cost * l.revenue / l.deal_line_revenue
            ELSE {{default_cogs_rate}} * l.revenue END * w.rate AS cogs
FROM kpi_won w
JOIN lines l ON l.source = w.source AND l.opportunity_id = w.id
JOIN src_opportunities o ON o.source = w.source AND o.id = w.id
WHERE w.rate IS NOT NULL;

-- Records that need a rate the store does not have, reported as data-quality findings:
-- won deals (left out of the money KPIs) and costs (left out of CAC on those days).
CREATE OR REPLACE TEMP TABLE kpi_missing_rates AS
SELECT source, 'opportunities' AS entity, id, currency, close_date AS first_day,
       'deal excluded from money KPIs' AS effect
FROM kpi_deals
WHERE is_won AND close_date IS NOT NULL AND rate IS NULL
UNION ALL
SELECT c.source, 'costs', c.id, c.currency, min(d.day),
       'cost left out of CAC on the days without a rate'
FROM src_costs c
JOIN kpi_days d ON d.day >= c.period_start AND d.day <= c.period_end
LEFT JOIN kpi_rates r ON r.currency = c.currency AND r.day = d.day
WHERE NOT c.is_deleted AND COALESCE(c.currency, {{currency}}) <> {{currency}} AND r.rate IS NULL
GROUP BY c.source, c.id, c.currency;
