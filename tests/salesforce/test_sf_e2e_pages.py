"""End to end through simple-salesforce: an administrator runs setup for an API-only
integration user (`push.integration_user`), who alone gets the writer's permission set and
with it can see and write every KPI field (nothing else granted it any); with
`push.activate_pages`, setup makes its Account record page the org default (no page was
active), leaves the Opportunity page an admin activated, and says both (reruns and the
default, off: test_sf_unit_activate.py)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from sf_helpers import WORDING, as_user, make_writer

from connector.crms.salesforce.deploy import read_overrides
from connector.crms.salesforce.fields import writer_fields
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.write import SalesforceWriter
from crm_sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # a setup of a fresh org: ~6 s

API_ONLY = "Minimum Access - API Only Integrations"
MD = "http://soap.sforce.com/2006/04/metadata"
ADMIN_PAGE = "Admin_Opportunity"
ACCOUNT_PAGE = {"actionName": "View", "content": "CRM_KPI_Account_Record",
                "formFactor": "Large", "skipRecordTypeSelect": "false", "type": "Flexipage"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=7, scale=0.01, integration_profile=API_ONLY) as sb:
        yield sb


def admin_of(sb: Sandbox) -> dict[str, Any]:
    """The org's administrator (not the integration user): who runs setup here."""
    return next(u for u in sb.info["salesforce"]["users"] if u["profile"] ==
                "System Administrator" and u["username"] != sb.info["salesforce"]["username"])


def as_admin(sb: Sandbox, mapping: PushMapping | None = None) -> SalesforceWriter:
    plain = make_writer(sb)
    auth = {**plain.config.auth.model_dump(), "username": admin_of(sb)["username"]}
    return make_writer(sb, mapping, auth=auth)


def admin_activates_their_own_opportunity_page(sb: Sandbox) -> None:
    """What an admin did in Lightning App Builder before crm-kpi came: their own page,
    the org default of Opportunity (a deploy of the page and the object's View override)."""
    page = (f'<FlexiPage xmlns="{MD}"><flexiPageRegions><itemInstances><componentInstance>'
            "<componentName>force:detailPanel</componentName><identifier>details"
            "</identifier></componentInstance></itemInstances><name>main</name><type>Region"
            "</type></flexiPageRegions><masterLabel>Deals</masterLabel><sobjectType>"
            "Opportunity</sobjectType><template><name>flexipage:recordHomeTemplateDesktop"
            "</name></template><type>RecordPage</type></FlexiPage>")
    obj = (f'<CustomObject xmlns="{MD}"><actionOverrides><actionName>View</actionName>'
           f"<content>{ADMIN_PAGE}</content><formFactor>Large</formFactor><type>Flexipage"
           "</type></actionOverrides></CustomObject>")
    package = (f'<Package xmlns="{MD}"><types><members>Opportunity</members><name>'
               f"CustomObject</name></types><types><members>{ADMIN_PAGE}</members><name>"
               "FlexiPage</name></types><version>62.0</version></Package>")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("package.xml", package)
        z.writestr(f"flexipages/{ADMIN_PAGE}.flexipage", page)
        z.writestr("objects/Opportunity.object", obj)
    sf = as_user(sb, admin_of(sb)["username"])
    started = sf.deploy(io.BytesIO(zipped.getvalue()), sandbox=False)
    state = "Queued"
    for _ in range(20):
        state = sf.checkDeployStatus(started["asyncId"])["state"]
        if state not in ("Queued", "Pending", "InProgress"):
            break
    assert state == "Succeeded"


def views(sb: Sandbox) -> dict[str, list[dict[str, str]]]:
    with as_admin(sb).client() as client:
        read = read_overrides(client, ["Account", "Opportunity"])
    return {k: [o for o in v if o.get("formFactor") == "Large"] for k, v in read.items()}


def test_setup_activates_its_page_only_where_none_is_active(sandbox: Sandbox) -> None:
    plain = as_admin(sandbox)
    assert views(sandbox)["Account"] == [{"actionName": "View", "formFactor": "Large",
                                          "type": "Default"}]  # a stock org's
    admin_activates_their_own_opportunity_page(sandbox)
    integration = sandbox.info["salesforce"]["username"]
    push = PushMapping.model_validate({**plain.push_mapping.model_dump(),
                                       "activate_pages": True,
                                       "integration_user": integration})
    actions = as_admin(sandbox, push).setup()
    assert f"assigned permission set CRM_KPI_Writer to the integration user {integration}" \
        in actions
    holders = as_user(sandbox, admin_of(sandbox)["username"]).query_all(
        "SELECT AssigneeId FROM PermissionSetAssignment WHERE "
        "PermissionSet.Name = 'CRM_KPI_Writer'")["records"]
    assert {h["AssigneeId"] for h in holders} == {sandbox.info["salesforce"]["user_id"]}
    assert ("Lightning page CRM_KPI_Account_Record is the org default Account record page "
            "(push.activate_pages; apps' and profiles' own assignments still come first)"
            ) in actions
    assert any(a.endswith("sharing rule, record page activations") for a in actions)
    assert any(a.startswith(f"Opportunity record pages stay '{ADMIN_PAGE}', which the org "
                            "has activated") for a in actions)
    pending = next(a for a in actions if "deployed, not activated" in a)
    assert "CRM_KPI_Account_Record" not in pending
    assert "CRM_KPI_Opportunity_Record" in pending
    seen = views(sandbox)
    assert seen["Account"] == [ACCOUNT_PAGE]
    assert seen["Opportunity"][0]["content"] == ADMIN_PAGE
    assert as_admin(sandbox, push).validate() == []  # nothing left to activate
    the_integration_user_writes_every_kpi_field(sandbox, push)


def the_integration_user_writes_every_kpi_field(sb: Sandbox, push: PushMapping) -> None:
    """API-only, with no right on the KPI object but CRM_KPI_Writer's: it sees and edits
    every KPI field and files a row under the rep it describes; it sees the User fields
    (editing other users takes Manage Users, docs/production.md "Least privilege")."""
    nightly = as_user(sb, sb.info["salesforce"]["username"])
    wanted = writer_fields(push, WORDING)
    described = {f["name"]: f for f in getattr(nightly, push.object).describe()["fields"]}
    for field in wanted[push.object]:
        assert described[field.name]["updateable"], field.name
    users = {f["name"]: f for f in nightly.User.describe()["fields"]}  # editing other users'
    assert {f.name for f in wanted["User"]} <= set(users)  # records takes Manage Users
    rep = next(u for u in sb.info["salesforce"]["users"] if u["profile"] == "Standard User")
    row = {"attributes": {"type": push.object}, "KPI_Key__c": "month|2026-11|owner|x",
           "Name": "Test row", "Total_Revenue__c": 1.0, "OwnerId": rep["user_id"]}
    done = nightly.restful(f"composite/sobjects/{push.object}/KPI_Key__c", method="PATCH",
                           json={"allOrNone": True, "records": [row]})
    assert done[0]["success"], done
