-- Live owners with the key of their owner scope: the CRM id, or, when several CRMs are
-- merged, the e-mail, so that one rep with a user in each CRM is one scope.
-- A deleted owner's team and territory no longer place its records.
SELECT source, id,
       CASE WHEN $merge_owners_by_email THEN COALESCE(lower(email), source || ':' || id)
            ELSE id END AS owner_key,
       team, territory
FROM src_owners WHERE NOT is_deleted
