"""Goals: goal_targets of reps and teams, read-only, assigned by user id (not owner id)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.objects.goals import ApiException as GoalsError

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e
PROPS = ["hs_goal_name", "hs_target_amount", "hs_start_datetime", "hs_end_datetime",
         "hs_assignee_user_id", "hs_assignee_team_id", "hubspot_owner_id", "hs_kpi_value",
         "hs_group_correlation_uuid", "hs_goal_target_group_id"]


def all_goals(cli: Clients) -> list[Any]:
    api, out, after = cli.api("crm.objects.goals.basic_api"), [], None
    while True:
        page = api.get_page(limit=100, after=after, properties=PROPS)
        out += page.results
        if page.paging is None:
            return out
        after = page.paging.next.after


def test_goal_targets_are_the_reps_and_teams_quotas(sandbox: Box, cli: Clients) -> None:
    goals = all_goals(cli)
    assert len(goals) == sandbox.org.count("quotas", "scope IN ('rep', 'team')")
    rep = next(g.properties for g in goals if g.properties["hs_assignee_user_id"])
    team = next(g.properties for g in goals if g.properties["hs_assignee_team_id"])
    assert rep["hs_goal_name"] != team["hs_goal_name"]
    assert rep["hs_group_correlation_uuid"] != team["hs_group_correlation_uuid"]
    assert rep["hs_start_datetime"].endswith("-01T00:00:00.000Z")
    assert rep["hs_end_datetime"][8:] in ("28T23:59:59.999Z", "29T23:59:59.999Z",
                                          "30T23:59:59.999Z", "31T23:59:59.999Z")
    assert all(g.properties["hubspot_owner_id"] is None for g in goals)


def test_assignees_are_user_ids_resolved_through_owners(sandbox: Box, cli: Clients) -> None:
    owners = cli.api("crm.owners.owners_api").get_page(limit=500).results
    by_user = {str(o.user_id): o for o in owners}
    goals = [g.properties for g in all_goals(cli) if g.properties["hs_assignee_user_id"]]
    owner_ids = {o.id for o in owners}
    assert not any(g["hs_assignee_user_id"] in owner_ids for g in goals)  # not owner ids
    owner = by_user[goals[0]["hs_assignee_user_id"]]
    n = int(owner.id) - 70_000_000
    quotas = sandbox.org.count("quotas", f"scope = 'rep' AND owner_n = {n}")
    assert sum(g["hs_assignee_user_id"] == str(owner.user_id) for g in goals) == quotas
    teams = {t.id for o in owners for t in o.teams or []}
    assert {g.properties["hs_assignee_team_id"] for g in all_goals(cli)
            if g.properties["hs_assignee_team_id"]} <= teams


def test_amounts_in_home_currency_and_progress(sandbox: Box, cli: Clients) -> None:
    row = sandbox.org.cursor().execute(
        """SELECT q.n, round(q.amount / c.rate, 2), (
             SELECT coalesce(sum(o.amount / oc.rate), 0) FROM opportunities o
             JOIN currencies oc ON oc.iso_code = o.currency
             WHERE o.is_won AND NOT o.is_deleted AND o.owner_n = q.owner_n
               AND date_trunc('month', o.close_date) = q.start_date)
           FROM quotas q JOIN currencies c ON c.iso_code = q.currency
           WHERE q.scope = 'rep' ORDER BY 3 DESC LIMIT 1""").fetchone()
    assert row is not None
    goal = cli.api("crm.objects.goals.basic_api").get_by_id(
        str(96 * 10**9 + row[0]), properties=["hs_target_amount", "hs_kpi_value",
                                              "hs_kpi_progress_percent"]).properties
    assert float(goal["hs_target_amount"]) == pytest.approx(row[1])
    assert float(goal["hs_kpi_value"]) == pytest.approx(row[2])
    assert float(goal["hs_kpi_progress_percent"]) == pytest.approx(row[2] / row[1] * 100,
                                                                   abs=0.01)


def test_search_by_period_and_batch_read(cli: Clients) -> None:
    found = cli.api("crm.objects.goals.search_api").do_search({
        "filterGroups": [{"filters": [
            {"propertyName": "hs_start_datetime", "operator": "GTE",
             "value": "2025-01-01T00:00:00Z"},
            {"propertyName": "hs_start_datetime", "operator": "LT",
             "value": "2025-02-01T00:00:00Z"}]}],
        "properties": ["hs_start_datetime"], "limit": 200})
    assert found.total > 0
    assert {g.properties["hs_start_datetime"] for g in found.results} == {
        "2025-01-01T00:00:00.000Z"}
    ids = [g.id for g in found.results[:2]]
    read = cli.api("crm.objects.goals.batch_api").read({"inputs": [{"id": i} for i in ids],
                                                         "properties": ["hs_goal_name"]})
    assert sorted(r.id for r in read.results) == sorted(ids)


def test_goals_need_their_scope_and_are_read_only(sandbox: Box, cli: Clients) -> None:
    token = sandbox.hs.tokens.issue(scopes={"crm.objects.deals.read"})
    with pytest.raises(GoalsError) as err:
        sandbox.clients(token).api("crm.objects.goals.basic_api").get_page(limit=1)
    assert err.value.status == 403
    needed = json.loads(err.value.body)["errors"][0]["context"]["requiredGranularScopes"]
    assert needed == ["crm.objects.goals.read"]
    with pytest.raises(GoalsError) as err:
        cli.api("crm.objects.goals.basic_api").create(
            {"properties": {"hs_goal_name": "x", "hs_target_amount": "1"}})
    assert err.value.status == 400
