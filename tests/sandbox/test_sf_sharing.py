"""Record sharing through simple-salesforce: reps see their own deals on a Private object,
their manager the team's, criteria rules and manual shares open rows; every read path
(REST pages, single records, Bulk 2.0, composite, getUpdated) and every write path
(Collections, single records, Bulk ingest) applies it, with Salesforce's errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id
from crm_sandbox.salesforce.sharing import Criterion, SharingRule

from .access_helpers import as_user, collection, error, key, people

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def who(sandbox: Sandbox) -> dict[str, Any]:
    """Clients and keys of the admin, a manager and two of their reps."""
    p = people(sandbox)
    return {name: {**u, "sf": as_user(sandbox, u["access_token"]), "n": key(sandbox, u)}
            for name, u in p.items()}


def owned(sb: Sandbox, table: str, user: dict[str, Any]) -> set[str]:
    prefix = {"opportunities": "006", "accounts": "001"}[table]
    return {sf_id(prefix, n) for n in sb.org.keys(table, f"owner_n = {user['n']} AND NOT "
                                                         "is_deleted")}


def ids(sf: Salesforce, soql: str) -> set[str]:
    return {r["Id"] for r in sf.query_all_iter(soql)}


def test_reps_read_their_own_deals_managers_their_teams(sandbox: Sandbox,
                                                        who: dict[str, Any]) -> None:
    rep, other, manager = who["rep"], who["other"], who["manager"]
    mine = ids(rep["sf"], "SELECT Id FROM Opportunity")
    assert mine == owned(sandbox, "opportunities", rep)
    theirs = owned(sandbox, "opportunities", other)
    assert mine
    assert theirs
    assert not mine & theirs
    team = ids(manager["sf"], "SELECT Id FROM Opportunity")
    assert mine | theirs <= team
    assert len(ids(who["admin"]["sf"], "SELECT Id FROM Opportunity")) == sandbox.org.count(
        "opportunities")
    one = sorted(theirs)[0]
    assert rep["sf"].query(f"SELECT Id FROM Opportunity WHERE Id = '{one}'")["totalSize"] == 0
    with pytest.raises(SalesforceResourceNotFound):
        rep["sf"].Opportunity.get(one)
    assert other["sf"].Opportunity.get(one)["Id"] == one


def test_children_and_parents_follow_the_deals(sandbox: Sandbox, who: dict[str, Any]) -> None:
    rep = who["rep"]
    deals = rep["sf"].query_all("SELECT Id, AccountId, Account.Name FROM Opportunity "
                                "WHERE AccountId != null")["records"]
    assert deals
    assert all(d["Account"] and d["Account"]["Name"] for d in deals)  # implicit: read
    accounts = ids(rep["sf"], "SELECT Id FROM Account")
    assert {d["AccountId"] for d in deals} <= accounts
    assert owned(sandbox, "accounts", rep) <= accounts
    lines = rep["sf"].query_all("SELECT OpportunityId FROM OpportunityLineItem")["records"]
    mine = owned(sandbox, "opportunities", rep)
    assert lines
    assert {r["OpportunityId"] for r in lines} <= mine
    contacts = rep["sf"].query_all("SELECT AccountId FROM Contact")["records"]
    assert {c["AccountId"] for c in contacts} - {None} <= accounts


def test_bulk_composite_and_replication_apply_sharing(sandbox: Sandbox,
                                                      who: dict[str, Any]) -> None:
    rep = who["rep"]
    mine = owned(sandbox, "opportunities", rep)
    pages = rep["sf"].bulk2.Opportunity.query("SELECT Id FROM Opportunity", max_records=50,
                                              wait=0.05)
    bulk = {r["Id"] for page in pages for r in csv.DictReader(io.StringIO(page))}
    assert bulk == mine
    batch = rep["sf"].restful("composite/batch", method="POST", json={"batchRequests": [
        {"method": "GET", "url": "v60.0/query/?q=SELECT+COUNT()+FROM+Opportunity"}]})
    assert batch["results"][0]["result"]["totalSize"] == len(mine)
    deal = sorted(mine)[0]
    other_deal = sorted(owned(sandbox, "opportunities", who["other"]))[0]
    admin = who["admin"]["sf"]
    for d in (deal, other_deal):
        admin.Opportunity.update(d, {"Type": "New Customer"})
    sandbox.org.advance_clock(dt.timedelta(minutes=2))  # past the minute covered
    now = sandbox.org.clock.now().replace(tzinfo=dt.UTC)
    updated = rep["sf"].Opportunity.updated(now - dt.timedelta(days=1), now)
    assert deal in updated["ids"]
    assert other_deal not in updated["ids"]


def test_writes_check_rights_and_records_one_by_one(sandbox: Sandbox,
                                                    who: dict[str, Any]) -> None:
    rep = who["rep"]
    mine = sorted(owned(sandbox, "opportunities", rep))[0]
    theirs = sorted(owned(sandbox, "opportunities", who["other"]))[0]
    ok, refused = collection(rep["sf"], "PATCH", [
        {"attributes": {"type": "Opportunity"}, "Id": i, "Type": "New Customer"}
        for i in (mine, theirs)])
    assert ok["success"]
    assert error(refused) == ("INSUFFICIENT_ACCESS_OR_READONLY",
                              "insufficient access rights on object id")
    [product] = collection(rep["sf"], "POST", [{"attributes": {"type": "Product2"},
                                                "Name": "Side deal"}])
    assert error(product) == ("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                              "entity type cannot be inserted: Product")
    [gone] = rep["sf"].restful(f"composite/sobjects?ids={theirs}", method="DELETE")
    assert error(gone)[0] == "INSUFFICIENT_ACCESS_OR_READONLY"
    hidden_account = sandbox.org.keys(
        "accounts", f"owner_n = {who['other']['n']} AND n NOT IN (SELECT account_n FROM "
        f"opportunities WHERE owner_n = {rep['n']} AND account_n IS NOT NULL)", 1)[0]
    [cross] = collection(rep["sf"], "POST", [{
        "attributes": {"type": "Opportunity"}, "Name": "Poach", "StageName": "Prospecting",
        "CloseDate": "2026-12-31", "AccountId": sf_id("001", hidden_account)}])
    assert error(cross) == ("INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
                            "insufficient access rights on cross-reference id")
    manager = who["manager"]["sf"]
    assert collection(manager, "PATCH", [{"attributes": {"type": "Opportunity"},
                                          "Id": theirs, "Type": "New Customer"}])[0]["success"]
    job = rep["sf"].bulk2.Opportunity.update(records=[{"Id": theirs, "Type": "New Customer"},
                                                      {"Id": mine, "Type": "New Customer"}],
                                             wait=0.05)
    failed = list(csv.DictReader(io.StringIO(
        rep["sf"].bulk2.Opportunity.get_failed_records(job[0]["job_id"]))))
    assert [(r["Id"], r["sf__Error"]) for r in failed] == [
        (theirs, "INSUFFICIENT_ACCESS_OR_READONLY:insufficient access rights on object id: --")]
    job = rep["sf"].bulk2.Product2.insert(records=[{"Name": "Side deal"}], wait=0.05)
    failed = list(csv.DictReader(io.StringIO(
        rep["sf"].bulk2.Product2.get_failed_records(job[0]["job_id"]))))
    assert [r["sf__Error"] for r in failed] == [
        "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY:entity type cannot be inserted: Product: --"]


def test_a_new_record_is_its_creators(sandbox: Sandbox, who: dict[str, Any]) -> None:
    rep = who["rep"]
    created = rep["sf"].Account.create({"Name": "Rep made"})
    got = rep["sf"].Account.get(created["id"])
    assert got["OwnerId"] == rep["user_id"]
    assert created["id"] not in ids(who["other"]["sf"], "SELECT Id FROM Account")


def test_a_criteria_sharing_rule_opens_rows(sandbox: Sandbox, who: dict[str, Any]) -> None:
    rep, other = who["rep"], who["other"]
    before = ids(rep["sf"], "SELECT Id FROM Opportunity")
    role = sandbox.org.cursor().execute("SELECT developer_name FROM teams WHERE n = (SELECT "
                                        "team_n FROM users WHERE n = ?)",
                                        [rep["n"]]).fetchone()[0]
    sandbox.salesforce.ctx.access.put_sharing_rule(SharingRule(
        "Opportunity", "Won_EUR_deals", (Criterion("StageName", "equals", "Closed Won"),
                                         Criterion("CurrencyIsoCode", "equals", "EUR")),
        "roleAndSubordinates", role, access="Read"))
    opened = {sf_id("006", n) for n in sandbox.org.keys(
        "opportunities", "stage = 'Closed Won' AND currency = 'EUR' AND NOT is_deleted")}
    after = ids(rep["sf"], "SELECT Id FROM Opportunity")
    assert opened - before
    assert after == before | opened
    assert ids(other["sf"], "SELECT Id FROM Opportunity") >= opened  # same role
    theirs = sorted(opened - before)[0]
    [refused] = collection(rep["sf"], "PATCH", [{"attributes": {"type": "Opportunity"},
                                                 "Id": theirs, "Type": "New Customer"}])
    assert error(refused)[0] == "INSUFFICIENT_ACCESS_OR_READONLY"  # a Read rule


def test_manual_shares_through_the_share_object(sandbox: Sandbox, who: dict[str, Any]) -> None:
    rep, other = who["rep"], who["other"]
    deal = sorted(owned(sandbox, "opportunities", rep) -
                  ids(other["sf"], "SELECT Id FROM Opportunity"))[0]
    share = rep["sf"].OpportunityShare.create({"OpportunityId": deal,
                                               "UserOrGroupId": other["user_id"],
                                               "OpportunityAccessLevel": "Edit"})
    assert share["id"].startswith("00t")
    assert other["sf"].Opportunity.get(deal)["Id"] == deal
    assert collection(other["sf"], "PATCH", [{"attributes": {"type": "Opportunity"},
                                              "Id": deal, "Type": "New Customer"}])[0][
        "success"]
    rows = rep["sf"].query(f"SELECT UserOrGroupId, OpportunityAccessLevel, RowCause FROM "
                           f"OpportunityShare WHERE OpportunityId = '{deal}'")["records"]
    assert [(r["UserOrGroupId"], r["OpportunityAccessLevel"], r["RowCause"]) for r in rows] \
        == [(other["user_id"], "Edit", "Manual")]
    [resharing] = collection(other["sf"], "POST", [{
        "attributes": {"type": "OpportunityShare"}, "OpportunityId": deal,
        "UserOrGroupId": who["manager"]["user_id"], "OpportunityAccessLevel": "Read"}])
    assert error(resharing)[0] == "INSUFFICIENT_ACCESS_OR_READONLY"  # not the owner's
    rep["sf"].OpportunityShare.delete(share["id"])
    assert deal not in ids(other["sf"], "SELECT Id FROM Opportunity")


def test_profiles_decide_what_a_user_may_do(sandbox: Sandbox, who: dict[str, Any]) -> None:
    admin, other = who["admin"]["sf"], who["other"]
    read_only = admin.query("SELECT Id FROM Profile WHERE Name = 'Read Only'")["records"][0]
    admin.User.update(other["user_id"], {"ProfileId": read_only["Id"]})
    [refused] = collection(other["sf"], "POST", [{"attributes": {"type": "Account"},
                                                  "Name": "Nope"}])
    assert error(refused) == ("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                              "entity type cannot be inserted: Account")
    assert other["sf"].query("SELECT COUNT() FROM Opportunity")["totalSize"] > 0
    deal = sorted(owned(sandbox, "opportunities", other))[0]
    [kept] = other["sf"].restful(f"composite/sobjects?ids={deal}", method="DELETE")
    assert error(kept) == ("INSUFFICIENT_ACCESS_OR_READONLY",
                           "insufficient access rights on object id")  # no Delete right
    minimum = admin.query("SELECT Id FROM Profile WHERE Name = 'Minimum Access - "
                          "Salesforce'")["records"][0]
    admin.User.update(other["user_id"], {"ProfileId": minimum["Id"]})
    r = other["sf"].session.get(f"{sandbox.info['salesforce']['instance_url']}/services/data/"
                                "v60.0/limits", headers={
                                    "Authorization": f"Bearer {other['access_token']}"},
                                timeout=10)
    assert (r.status_code, r.json()) == (403, [{"message": "API is disabled for this User",
                                                "errorCode": "API_CURRENTLY_DISABLED"}])
    standard = admin.query("SELECT Id FROM Profile WHERE Name = 'Standard User'")["records"][0]
    admin.User.update(other["user_id"], {"ProfileId": standard["Id"]})
    assert other["sf"].query("SELECT COUNT() FROM Opportunity")["totalSize"] > 0
