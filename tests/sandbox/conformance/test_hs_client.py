"""The same additions through hubspot-api-client 12: its models must take the answers."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId
from hubspot.crm.tickets import SimplePublicObjectInputForCreate

from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> HubSpot:
    info = sandbox.info["hubspot"]
    return HubSpot(access_token=info["access_token"], host=info["host"],
                  ssl_ca_cert=sandbox.info["ca_file"])


def test_tickets_through_the_client(client: HubSpot) -> None:
    tickets: Any = client.crm.tickets
    assert tickets.basic_api.get_page(limit=10).results == []
    made = tickets.basic_api.create(SimplePublicObjectInputForCreate(properties={
        "subject": "Invoice missing", "hs_pipeline": "0", "hs_pipeline_stage": "2"}))
    page = tickets.basic_api.get_page(limit=10, properties=["subject"])
    assert [t.id for t in page.results] == [made.id]
    assert page.results[0].properties["subject"] == "Invoice missing"
    stages = client.crm.pipelines.pipelines_api.get_all("tickets").results[0].stages
    assert [s.id for s in stages] == ["1", "2", "3", "4"]
    names = {p.name for p in client.crm.properties.core_api.get_all("tickets").results}
    assert {"subject", "hs_pipeline_stage", "hs_ticket_priority"} <= names


def test_history_through_the_client(client: HubSpot) -> None:
    contacts: Any = client.crm.contacts
    page = contacts.basic_api.get_page(limit=2, properties_with_history=["email"])
    version = page.results[0].properties_with_history["email"][0]
    assert version.value == page.results[0].properties["email"]
    assert version.source_type == "CRM_UI"
    batch = contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": r.id} for r in page.results], properties=["email"],
        properties_with_history=["email"]))
    assert [r.id for r in batch.results] == [r.id for r in page.results]
    assert all(r.properties_with_history["email"] for r in batch.results)
