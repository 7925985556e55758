"""Who setup gives its permission sets to: assignments read first, only the missing ones
created, nothing removed; readers as the mapping names them."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sf_mock import INSTANCE, QUERY_URL, TOKEN_URL

from connector.crms.salesforce.access import (
    Person,
    grant,
    integration_user_problems,
    reader_ids,
    reader_problems,
    writer_id,
)
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.mapping import PushMapping
from connector.errors import FatalError
from connector.yamlfile import KeyPath, render_path

ME = "005000000000001AAA"
COLLECTIONS = f"{INSTANCE}/services/data/v62.0/composite/sobjects"
PEOPLE = [
    Person(ME, "integration@acme.com", "integration@acme.com", "API Only", ""),
    Person("005000000000002AAA", "kira@acme.com", "kira.lee@acme.com", "Sales User", "West Rep"),
    Person("005000000000003AAA", "ben@acme.com", "ben@acme.com", "Sales User", "East Rep"),
    Person("005000000000004AAA", "mia@acme.com", "mia@acme.com", "Sales Manager", "West Manager"),
]


def where(path: KeyPath | None) -> str:
    return "salesforce.yaml" if path is None else f"salesforce.yaml:9 {render_path(path)}"


def test_all_active_means_every_active_internal_user() -> None:
    assert reader_ids(PushMapping(), PEOPLE) == [p.id for p in PEOPLE]


def test_readers_are_named_by_profile_role_e_mail_or_username_in_any_case() -> None:
    push = PushMapping(readers=["sales manager", "West Rep", "BEN@acme.com"])
    assert reader_ids(push, PEOPLE) == ["005000000000002AAA", "005000000000003AAA",
                                        "005000000000004AAA"]  # fmt: skip
    assert reader_problems(push, PEOPLE, where) == []


def test_a_reader_entry_that_names_nobody_is_a_problem_with_a_hint() -> None:
    push = PushMapping(readers=["Sales Usr", "nobody@acme.com"])
    assert reader_problems(push, PEOPLE, where) == [
        "salesforce.yaml:9 push.readers[0]: 'Sales Usr' names no profile, role, e-mail or "
        "username of an active internal user (did you mean Sales User?)",
        "salesforce.yaml:9 push.readers[1]: 'nobody@acme.com' names no profile, role, e-mail "
        "or username of an active internal user",
    ]


def test_readers_must_name_someone() -> None:
    with pytest.raises(ValueError, match="name at least one"):
        PushMapping(readers=[])


@pytest.fixture
def org(rsps: Any) -> dict[str, Any]:
    """Answers the queries setup's assignments make; records what it creates."""
    state: dict[str, Any] = {
        "sets": [{"Name": "CRM_KPI_Writer", "Id": "0PS000000000001AAA"},
                 {"Name": "CRM_KPI_Reader", "Id": "0PS000000000002AAA"}],
        "assigned": {"0PS000000000002AAA": ["005000000000003AAA"]},  # given by an admin
        "created": [],
    }  # fmt: skip
    rsps.replace(responses.POST, TOKEN_URL, json={
        "access_token": "access-token-0001", "instance_url": INSTANCE,
        "id": f"https://login.example.com/id/00D000000000001AAA/{ME}"})  # fmt: skip

    def query(request: Any) -> tuple[int, dict[str, str], str]:
        soql = parse_qs(urlsplit(request.url).query)["q"][0]
        if "FROM PermissionSetAssignment" in soql:
            set_id = soql.rsplit("'", 2)[1]
            rows = [{"AssigneeId": a} for a in state["assigned"].get(set_id, [])]
        else:
            rows = state["sets"]
        return 200, {}, json.dumps({"totalSize": len(rows), "done": True, "records": rows})

    def create(request: Any) -> tuple[int, dict[str, str], str]:
        records = json.loads(request.body)["records"]
        state["created"] += [(r["PermissionSetId"], r["AssigneeId"]) for r in records]
        answers = [{"id": "0Pa1", "success": True, "errors": []} for _ in records]
        if records[-1]["AssigneeId"] == "005000000000004AAA":
            answers[-1] = {"success": False, "errors": [{
                "statusCode": "FIELD_INTEGRITY_EXCEPTION",
                "message": "The user license doesn't allow the permission: Read Sales KPIs"}]}
        return 200, {}, json.dumps(answers)

    rsps.add_callback(responses.GET, QUERY_URL, callback=query)
    rsps.add_callback(responses.POST, COLLECTIONS, callback=create)
    return state


def test_only_missing_assignments_are_created_and_refusals_are_told(
    config: SalesforceConfig, org: dict[str, Any]
) -> None:
    with SalesforceClient(config) as client:
        _ = client.client
        actions = grant(client, PushMapping(), PEOPLE)
    assert org["created"] == [
        ("0PS000000000001AAA", ME),
        ("0PS000000000002AAA", ME),
        ("0PS000000000002AAA", "005000000000002AAA"),
        ("0PS000000000002AAA", "005000000000004AAA"),
    ]  # Ben already had it: left as it is
    assert actions == [
        "assigned permission set CRM_KPI_Writer to the integration user",
        "assigned permission set CRM_KPI_Reader to 2 readers",
        "could not give CRM_KPI_Reader to user 005000000000004AAA: FIELD_INTEGRITY_EXCEPTION: "
        "The user license doesn't allow the permission: Read Sales KPIs",
    ]


def test_a_rerun_creates_nothing(
    config: SalesforceConfig, rsps: Any, org: dict[str, Any]
) -> None:
    rsps.remove(responses.POST, COLLECTIONS)  # a create would now fail the test
    org["assigned"] = {"0PS000000000001AAA": [ME],
                       "0PS000000000002AAA": [p.id for p in PEOPLE]}  # fmt: skip
    with SalesforceClient(config) as client:
        _ = client.client
        assert grant(client, PushMapping(), PEOPLE) == []
    assert org["created"] == []


def test_permission_sets_the_org_does_not_list_stop_setup(
    config: SalesforceConfig, rsps: Any, org: dict[str, Any]
) -> None:
    rsps.remove(responses.POST, COLLECTIONS)
    org["sets"] = org["sets"][:1]
    with SalesforceClient(config) as client:
        _ = client.client
        with pytest.raises(FatalError, match="CRM_KPI_Reader"):
            grant(client, PushMapping(), PEOPLE)


def test_an_admin_s_setup_gives_the_writer_s_set_to_the_integration_user_the_mapping_names(
    config: SalesforceConfig, org: dict[str, Any]
) -> None:
    push = PushMapping(integration_user="KIRA@acme.com", readers=["ben@acme.com"])
    with SalesforceClient(config) as client:  # connects as ME: the admin running setup
        _ = client.client
        assert integration_user_problems(client, push, PEOPLE, where) == []
        actions = grant(client, push, PEOPLE)
    assert ("0PS000000000001AAA", "005000000000002AAA") in org["created"]
    assert ("0PS000000000001AAA", ME) not in org["created"]
    assert actions[0] == "assigned permission set CRM_KPI_Writer to the integration user " \
        "KIRA@acme.com"
    by_id = PushMapping(integration_user="005000000000003")  # a 15-character Id
    with SalesforceClient(config) as client:
        assert writer_id(client, by_id, PEOPLE) == "005000000000003AAA"
        gone = PushMapping(integration_user="left@acme.com")
        assert integration_user_problems(client, gone, PEOPLE, where) == [
            "salesforce.yaml:9 push.integration_user: no active internal Salesforce user "
            "left@acme.com: name the user crm-kpi run connects as (a username or a User "
            "Id), or leave it out when setup connects as that user"]
