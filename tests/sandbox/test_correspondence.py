"""The documented Salesforce → normalized mapping reproduces the org's CSV export."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce

from crm_sandbox import Sandbox
from crm_sandbox.org.tables import EVENT_METHOD, LEAD_SOURCE_METHOD, TASK_METHOD

pytestmark = pytest.mark.e2e


def ts(value: str | None) -> str:
    """Salesforce datetime → the export's ISO-8601 UTC form."""
    return "" if not value else value[:19] + "Z"


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def export(sandbox: Sandbox, tmp_path: Path, name: str) -> dict[str, dict[str, str]]:
    sandbox.org.export_files(tmp_path)
    with (tmp_path / name).open() as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def test_opportunities(sf: Salesforce, sandbox: Sandbox, tmp_path: Path) -> None:
    lead_of = {r["ConvertedOpportunityId"]: r["Id"] for r in sf.query_all_iter(
        "SELECT Id, ConvertedOpportunityId FROM Lead WHERE ConvertedOpportunityId != null")}
    pulled = {}
    for r in sf.query_all_iter(
            "SELECT Id, LastModifiedDate, AccountId, OwnerId, CreatedDate, CloseDate, IsClosed, "
            "IsWon, Amount, CurrencyIsoCode, Cost__c, LeadSource, Territory__c, Type "
            "FROM Opportunity"):
        pulled[r["Id"]] = {
            "id": r["Id"], "modified_at": ts(r["LastModifiedDate"]),
            "account_id": text(r["AccountId"]), "owner_id": text(r["OwnerId"]),
            "created_at": ts(r["CreatedDate"]), "close_date": text(r["CloseDate"]),
            "is_closed": text(r["IsClosed"]), "is_won": text(r["IsWon"]),
            "amount": text(r["Amount"]), "currency": text(r["CurrencyIsoCode"]),
            "cost": text(r["Cost__c"]),
            "contact_method": LEAD_SOURCE_METHOD.get(r["LeadSource"] or "", "other"),
            "lead_id": lead_of.get(r["Id"], ""), "territory": text(r["Territory__c"]),
            "type": text(r["Type"])}
    assert pulled == export(sandbox, tmp_path, "opportunities.csv")


def test_activities(sf: Salesforce, sandbox: Sandbox, tmp_path: Path) -> None:
    pulled = {}
    for kind, sub, when, methods in (("Task", "TaskSubtype", "CompletedDateTime", TASK_METHOD),
                                     ("Event", "Type", "StartDateTime", EVENT_METHOD)):
        for r in sf.query_all_iter(f"SELECT Id, LastModifiedDate, {sub}, {when}, OwnerId, "
                                   f"WhoId, WhatId, AccountId FROM {kind}"):
            who, what = r["WhoId"] or "", r["WhatId"] or ""
            pulled[r["Id"]] = {
                "id": r["Id"], "modified_at": ts(r["LastModifiedDate"]),
                "method": methods.get(r[sub], "other"), "occurred_at": ts(r[when]),
                "owner_id": text(r["OwnerId"]),
                "lead_id": who if who.startswith("00Q") else "",
                "opportunity_id": what if what.startswith("006") else "",
                "account_id": text(r["AccountId"])}
    assert pulled == export(sandbox, tmp_path, "activities.csv")


def test_leads_and_owners(sf: Salesforce, sandbox: Sandbox, tmp_path: Path) -> None:
    leads = {r["Id"]: r for r in sf.query_all_iter(
        "SELECT Id, CreatedDate, OwnerId, LeadSource, Status, ConvertedDate, "
        "ConvertedOpportunityId, ConvertedAccountId FROM Lead")}
    exported = export(sandbox, tmp_path, "leads.csv")
    assert leads.keys() == exported.keys()
    for lead_id, row in exported.items():
        r = leads[lead_id]
        assert row["contact_method"] == LEAD_SOURCE_METHOD.get(r["LeadSource"] or "", "other")
        assert row["converted_at"] == (f"{r['ConvertedDate']}T00:00:00Z"
                                       if r["ConvertedDate"] else "")
        assert row["converted_account_id"] == text(r["ConvertedAccountId"])
        assert row["owner_id"] == r["OwnerId"]
        assert row["created_at"] == ts(r["CreatedDate"])
    owners = export(sandbox, tmp_path, "owners.csv")
    users = {r["Id"]: r for r in sf.query_all_iter(
        "SELECT Id, Name, Email, UserRole.Name, Territory__c, IsActive FROM User")}
    assert {i: (o["name"], o["team"], o["active"]) for i, o in owners.items()} == {
        i: (u["Name"], (u["UserRole"] or {}).get("Name", ""), text(u["IsActive"]))
        for i, u in users.items()}
