"""Setup's Metadata API deploy through simple-salesforce, its SOAP requests seen with
`responses`: the zip sent, the polling, the failures named, the session and the faults."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from sf_mock import (
    INSTANCE,
    LIMITS_URL,
    METADATA_URL,
    TOKEN_URL,
    deploy_answer,
    deploy_status,
    soap_fault,
)

from connector.crms.salesforce.bundle import Archive, build_archive
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.deploy import DeployError, deploy
from connector.crms.salesforce.fields import writer_fields
from connector.crms.salesforce.mapping import load_mapping
from connector.errors import EXIT_ACTION, AuthError
from connector.presentation import Wording

DEPLOY_ID = "0Af000000000001AAA"
STATUS_URL = f"{METADATA_URL}/{DEPLOY_ID}"
XML = {"content_type": "text/xml; charset=utf-8"}


@pytest.fixture
def archive(config: SalesforceConfig) -> Archive:
    push = load_mapping(config.mapping_path).push
    return build_archive(push, writer_fields(push, Wording("USD")), config.api_version)


def _element(body: str, tag: str) -> str:
    found = re.search(rf"<met:{tag}>([^<]*)</met:{tag}>", body)
    assert found, f"no {tag} in the request"
    return found.group(1)


def test_the_zip_goes_in_one_deploy_followed_until_it_succeeds(
    config: SalesforceConfig, rsps: Any, archive: Archive
) -> None:
    rsps.add(responses.POST, METADATA_URL, body=deploy_answer(DEPLOY_ID), **XML)
    rsps.add(responses.POST, STATUS_URL, body=deploy_status("InProgress", deployed=5), **XML)
    rsps.add(responses.POST, STATUS_URL, body=deploy_status("InProgress", deployed=5), **XML)
    rsps.add(responses.POST, STATUS_URL, body=deploy_status("Succeeded"), **XML)
    rsps.add(responses.GET, LIMITS_URL, json={})
    lines: list[str] = []
    with SalesforceClient(config) as client:
        done = deploy(client, archive, 0, lines.append)
        client.limits()
    assert (done.deploy_id, done.components) == (DEPLOY_ID, 14)
    sent = rsps.calls[1].request
    assert sent.headers["SOAPAction"] == "deploy"
    body = str(sent.body)
    assert base64.b64decode(_element(body, "ZipFile")) == archive.zip_bytes()
    assert _element(body, "sessionId") == "access-token-0001"
    assert (_element(body, "rollbackOnError"), _element(body, "allowMissingFiles"),
            _element(body, "checkOnly")) == ("True", "False", "False")  # fmt: skip
    assert lines == [
        f"deploy {DEPLOY_ID}: 14 components sent, Queued",
        f"deploy {DEPLOY_ID}: InProgress, 5 of 14 components",  # said once, not per poll
        f"deploy {DEPLOY_ID}: Succeeded, 14 of 14 components",
    ]
    assert _element(str(rsps.calls[2].request.body), "asyncProcessId") == DEPLOY_ID
    # simple-salesforce leaves its SOAP headers on the client: later REST calls send JSON.
    assert rsps.calls[-1].request.headers["Content-Type"] == "application/json"
    assert "SOAPAction" not in rsps.calls[-1].request.headers


def test_every_refused_component_is_named_with_its_file_and_problem(
    config: SalesforceConfig, rsps: Any, archive: Archive
) -> None:
    failures = [
        {"type": "Dashboard", "name": "CRM_KPI_Dashboards/Sales_KPIs_Dashboard",
         "file": "dashboards/CRM_KPI_Dashboards/Sales_KPIs_Dashboard.dashboard",
         "problem": "You reached the limit of dynamic dashboards for your org."},
        {"type": "PermissionSet", "name": "CRM_KPI_Writer",
         "file": "permissionsets/CRM_KPI_Writer.permissionset",
         "problem": "In field: field - no CustomField named Sales_KPI__c.Nps__c found"},
    ]  # fmt: skip
    rsps.add(responses.POST, METADATA_URL, body=deploy_answer(DEPLOY_ID), **XML)
    rsps.add(responses.POST, STATUS_URL, body=deploy_status("Failed", failures=failures), **XML)
    with SalesforceClient(config) as client, pytest.raises(DeployError) as err:
        deploy(client, archive, 0, lambda _: None)
    assert err.value.failures == [
        "Dashboard CRM_KPI_Dashboards/Sales_KPIs_Dashboard (dashboards/CRM_KPI_Dashboards/"
        "Sales_KPIs_Dashboard.dashboard): Error: You reached the limit of dynamic dashboards "
        "for your org.",
        "PermissionSet CRM_KPI_Writer (permissionsets/CRM_KPI_Writer.permissionset): Error: "
        "In field: field - no CustomField named Sales_KPI__c.Nps__c found",
    ]
    assert f"Salesforce refused deploy {DEPLOY_ID} (nothing of it was kept)" in str(err.value)
    assert "Manage Dynamic Dashboards" in str(err.value)
    assert err.value.exit_code == EXIT_ACTION  # a rerun is refused alike: a person acts


def test_a_failed_deploy_without_components_says_so(
    config: SalesforceConfig, rsps: Any, archive: Archive
) -> None:
    rsps.add(responses.POST, METADATA_URL, body=deploy_answer(DEPLOY_ID), **XML)
    rsps.add(responses.POST, STATUS_URL, body=deploy_status("Failed", detail="No package.xml"),
             **XML)  # fmt: skip
    with SalesforceClient(config) as client, pytest.raises(DeployError) as err:
        deploy(client, archive, 0, lambda _: None)
    assert err.value.failures == [
        "the deploy ended Failed without naming a component (No package.xml)"
    ]


def test_an_expired_session_is_renewed_and_the_envelope_carries_the_new_one(
    config: SalesforceConfig, rsps: Any, archive: Archive
) -> None:
    rsps.add(responses.POST, TOKEN_URL, json={"access_token": "access-token-0002",
                                              "instance_url": INSTANCE})  # fmt: skip
    expired = soap_fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader")
    rsps.add(responses.POST, METADATA_URL, body=expired, status=500, **XML)
    rsps.add(responses.POST, METADATA_URL, body=deploy_answer(DEPLOY_ID), **XML)
    rsps.add(responses.POST, STATUS_URL, body=deploy_status("Succeeded"), **XML)
    with SalesforceClient(config) as client:
        deploy(client, archive, 0, lambda _: None)
    bodies = [str(c.request.body) for c in rsps.calls if c.request.url == METADATA_URL]
    assert [_element(b, "sessionId") for b in bodies] == ["access-token-0001",
                                                          "access-token-0002"]  # fmt: skip
    status_body = str(rsps.calls[-1].request.body)
    assert _element(status_body, "sessionId") == "access-token-0002"
    assert parse_qs(str(rsps.calls[2].request.body))["grant_type"] == ["refresh_token"]


def test_a_transient_soap_fault_is_retried_a_refusal_is_not(
    config: SalesforceConfig, rsps: Any, archive: Archive
) -> None:
    busy = soap_fault("UNKNOWN_EXCEPTION", "An unexpected error occurred")
    rsps.add(responses.POST, METADATA_URL, body=busy, status=500, **XML)
    rsps.add(responses.POST, METADATA_URL, body=deploy_answer(DEPLOY_ID), **XML)
    denied = soap_fault("INSUFFICIENT_ACCESS", "insufficient access rights on object id")
    rsps.add(responses.POST, STATUS_URL, body=denied, status=500, **XML)
    with SalesforceClient(config) as client:
        with pytest.raises(AuthError) as err:
            deploy(client, archive, 0, lambda _: None)
        assert client.stats.retries == 1
    assert "INSUFFICIENT_ACCESS" in str(err.value)
    assert len([c for c in rsps.calls if c.request.url == STATUS_URL]) == 1


def test_the_same_mapping_always_gives_the_same_zip(
    config: SalesforceConfig, archive: Archive
) -> None:
    push = load_mapping(config.mapping_path).push
    again = build_archive(push, writer_fields(push, Wording("USD")), config.api_version)
    assert again.zip_bytes() == archive.zip_bytes()
    names = zipfile.ZipFile(io.BytesIO(archive.zip_bytes())).namelist()
    assert names[0] == "package.xml"
    assert names[1:] == sorted(names[1:])
