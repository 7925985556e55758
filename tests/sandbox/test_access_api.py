"""The access API other sandbox modules build on (`ctx.access`): rights, record filters,
grants, assignments, sharing rules — each change seen at once."""

from __future__ import annotations

from typing import Any

import pytest

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id
from crm_sandbox.salesforce.access import Access
from crm_sandbox.salesforce.errors import SfError
from crm_sandbox.salesforce.sharing import Criterion, SharingRule


@pytest.fixture(scope="module")
def access(sandbox: Sandbox) -> Access:
    return sandbox.salesforce.ctx.access


def people(sandbox: Sandbox) -> dict[str, Any]:
    """An admin, a manager and two of their reps (active, in the info file)."""
    users = sandbox.info["salesforce"]["users"]
    manager = next(u for u in users if u["role"] and u["role"].endswith("Manager"))
    reps = [u for u in users if u["manager"] == manager["username"]]
    admin = next(u for u in users if u["profile"] == "System Administrator"
                 and u["username"] != sandbox.info["salesforce"]["username"])
    return {"admin": admin, "manager": manager, "rep": reps[0], "other": reps[1]}


def visible(sandbox: Sandbox, access: Access, user: str, sobject: str) -> set[int]:
    """Keys of the live records of `sobject` the user may read."""
    obj = sandbox.salesforce.ctx.registry.get(sobject)
    assert obj is not None
    pred = access.records(user, sobject, "t")
    where = f" AND {pred.sql}" if pred else ""
    rows = sandbox.org.cursor().execute(
        f"SELECT t.n FROM {obj.table} t WHERE NOT t.is_deleted{obj.and_filter()}{where}",
        list(pred.params) if pred else []).fetchall()
    return {int(r[0]) for r in rows}


def test_a_token_belongs_to_its_user(sandbox: Sandbox, access: Access) -> None:
    p = people(sandbox)
    assert access.user_of(p["rep"]["access_token"]) == p["rep"]["user_id"]
    assert access.user_of("00D!nothing") is None
    assert access.viewer(p["rep"]["username"]).user_id == p["rep"]["user_id"]


def test_rights_of_the_stock_profiles(sandbox: Sandbox, access: Access) -> None:
    p = people(sandbox)
    rep, admin = p["rep"]["user_id"], p["admin"]["user_id"]
    assert access.object_rights(rep, "Opportunity").edit
    assert not access.object_rights(rep, "Opportunity").view_all
    assert access.object_rights(admin, "Opportunity").modify_all
    assert access.field_rights(rep, "Account", "Territory__c").read
    assert not access.field_rights(rep, "User", "Territory__c").edit
    assert "Name" in access.readable_fields(rep, "Account")
    assert access.records(admin, "Opportunity") is None  # View All Data: no filter


def test_reps_see_their_own_deals_managers_their_teams(sandbox: Sandbox,
                                                      access: Access) -> None:
    p = people(sandbox)
    owner = dict(sandbox.org.cursor().execute("SELECT n, owner_n FROM opportunities")
                 .fetchall())
    mine = visible(sandbox, access, p["rep"]["user_id"], "Opportunity")
    theirs = visible(sandbox, access, p["other"]["user_id"], "Opportunity")
    team = visible(sandbox, access, p["manager"]["user_id"], "Opportunity")
    rep_n = sandbox.org.keys("users", f"username = '{p['rep']['username']}'")[0]
    assert mine
    assert {owner[k] for k in mine} == {rep_n}
    assert not mine & theirs
    assert mine | theirs <= team


def test_grants_take_effect_at_once(sandbox: Sandbox, access: Access) -> None:
    p = people(sandbox)
    rep = p["rep"]["user_id"]
    assert not access.object_rights(rep, "Opportunity").view_all
    ps = access.upsert_permission_set("Deal_Desk", label="Deal Desk")
    assert access.upsert_permission_set("Deal_Desk", description="again") == ps
    access.grant_object(ps, "Opportunity", read=True, view_all=True)
    assert not access.object_rights(rep, "Opportunity").view_all  # not assigned yet
    access.assign(ps, rep)
    assert access.object_rights(rep, "Opportunity").view_all
    assert access.records(rep, "Opportunity") is None
    access.unassign(ps, rep)
    assert access.records(rep, "Opportunity") is not None


def test_grant_errors_are_salesforces(access: Access) -> None:
    ps = access.upsert_permission_set("Checks")
    with pytest.raises(SfError) as err:
        access.grant_object(ps, "Account", read=False, edit=True)
    assert err.value.code == "FIELD_INTEGRITY_EXCEPTION"
    assert "depends on permission(s): Read Account" in err.value.message
    with pytest.raises(SfError) as err:
        access.grant_field(ps, "Account.Nope__c")
    assert (err.value.code, err.value.message) == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "bad value for restricted picklist field: Account.Nope__c")
    with pytest.raises(SfError) as err:
        access.assign(access.profile_permission_set("Standard User"), "005xx")
    assert err.value.code == "NOT_FOUND"


def test_a_sharing_rule_opens_rows(sandbox: Sandbox, access: Access) -> None:
    p = people(sandbox)
    rep = p["rep"]["user_id"]
    before = visible(sandbox, access, rep, "Opportunity")
    access.put_sharing_rule(SharingRule(
        "Opportunity", "Big_deals", (Criterion("Amount", "greaterThan", "50000"),
                                     Criterion("StageName", "equals", "Closed Won")),
        "allInternalUsers", access="Read"))
    big = {int(n) for (n,) in sandbox.org.cursor().execute(
        "SELECT n FROM opportunities WHERE amount > 50000 AND stage = 'Closed Won' AND NOT "
        "is_deleted").fetchall()}
    after = visible(sandbox, access, rep, "Opportunity")
    assert big
    assert after == before | big
    assert [r.name for r in access.sharing_rules("Opportunity")] == ["Big_deals"]
    access.delete_sharing_rule("Opportunity", "Big_deals")
    assert visible(sandbox, access, rep, "Opportunity") == before


def test_a_manual_share_and_a_role_rule(sandbox: Sandbox, access: Access) -> None:
    p = people(sandbox)
    other = p["other"]["user_id"]
    rep_n = sandbox.org.keys("users", f"username = '{p['rep']['username']}'")[0]
    deal = sandbox.org.keys("opportunities", f"owner_n = {rep_n} AND NOT is_deleted", 1)[0]
    assert deal not in visible(sandbox, access, other, "Opportunity")
    share = access.share("Opportunity", sf_id("006", deal), other, "Read")
    assert share.startswith("00t")
    assert deal in visible(sandbox, access, other, "Opportunity")
    with pytest.raises(SfError):
        access.put_sharing_rule(SharingRule("Opportunity", "Nobody", (
            Criterion("Amount", "greaterThan", "1"),), "role", "No_Such_Role"))
