-- Every scope with data: the company ('' as its id, so that it can be joined on); the
-- owner keys, teams and territories of live owners who own a live record (an account, a
-- lead, a deal, an activity, a cost); the territories of accounts and deals; and each
-- owner, team or territory a target names. A user who owns nothing and has no target (a
-- manager, an administrator, the integration user) is no scope: no empty rows of theirs
-- are computed or written to a CRM, nor of a team that only such users form.
WITH owning AS (
  SELECT source, owner_id FROM src_accounts WHERE NOT is_deleted
  UNION SELECT source, owner_id FROM src_leads WHERE NOT is_deleted
  UNION SELECT source, owner_id FROM src_opportunities WHERE NOT is_deleted
  UNION SELECT source, owner_id FROM src_activities WHERE NOT is_deleted
  UNION SELECT source, owner_id FROM src_costs WHERE NOT is_deleted
),
holders AS (
  SELECT ow.owner_key, ow.team, ow.territory FROM kpi_owner ow
  JOIN owning o ON o.source = ow.source AND o.owner_id = ow.id
),
territories AS (
  SELECT territory FROM kpi_owner
  UNION SELECT territory FROM src_accounts WHERE NOT is_deleted
  UNION SELECT territory FROM src_opportunities WHERE NOT is_deleted
),
given AS (
  SELECT source, scope_type, scope_id FROM targets WHERE NOT is_deleted
  UNION SELECT source, scope_type, scope_id FROM kpi_config_targets
)
SELECT 'company' AS scope_type, '' AS scope_id
UNION SELECT 'team', team FROM holders WHERE team IS NOT NULL
UNION SELECT 'owner', owner_key FROM holders
UNION SELECT 'territory', territory FROM holders WHERE territory IS NOT NULL
UNION SELECT 'territory', territory FROM src_accounts
      WHERE NOT is_deleted AND territory IS NOT NULL
UNION SELECT 'territory', territory FROM src_opportunities
      WHERE NOT is_deleted AND territory IS NOT NULL
-- an owner a target names by CRM id (of the target's source; any for config.yaml) or e-mail
UNION SELECT 'owner', ow.owner_key FROM given g
      JOIN src_owners o ON (o.id = g.scope_id AND o.source = COALESCE(g.source, o.source))
                        OR lower(o.email) = lower(g.scope_id)
      JOIN kpi_owner ow ON ow.source = o.source AND ow.id = o.id
      WHERE g.scope_type = 'owner'
-- a team or territory a target names, spelled as the data spells it
UNION SELECT 'team', ow.team FROM given g JOIN kpi_owner ow ON lower(ow.team) = lower(g.scope_id)
      WHERE g.scope_type = 'team'
UNION SELECT 'territory', t.territory FROM given g
      JOIN territories t ON lower(t.territory) = lower(g.scope_id)
      WHERE g.scope_type = 'territory'
