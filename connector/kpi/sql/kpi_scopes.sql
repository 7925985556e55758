-- Every scope with data: the company ('' as its id, so that it can be joined on), the
-- teams and owner keys of live owners, and the territories of owners, accounts and deals.
SELECT 'company' AS scope_type, '' AS scope_id
UNION SELECT 'team', team FROM kpi_owner WHERE team IS NOT NULL
UNION SELECT 'owner', owner_key FROM kpi_owner
UNION SELECT 'territory', territory FROM kpi_owner WHERE territory IS NOT NULL
UNION SELECT 'territory', territory FROM src_accounts
      WHERE NOT is_deleted AND territory IS NOT NULL
UNION SELECT 'territory', territory FROM src_opportunities
      WHERE NOT is_deleted AND territory IS NOT NULL
