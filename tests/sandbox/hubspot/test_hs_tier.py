"""The portal's tier: below Enterprise no custom objects, as HubSpot answers it; the
limits tracking API on every tier; the portal's people in the info."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hubspot.crm.schemas import ApiException as SchemasError

from crm_sandbox.hubspot.tier import NO_CUSTOM_OBJECTS, tier_of

from .conftest import Box, Clients, status_of

EGG = {"name": "kpi_probe", "labels": {"singular": "Probe", "plural": "Probes"},
       "primaryDisplayProperty": "probe_name", "requiredProperties": ["probe_name"],
       "properties": [{"name": "probe_name", "label": "Name", "type": "string",
                       "fieldType": "text"}]}


@pytest.fixture
def starter(sandbox: Box) -> Iterator[Box]:
    sandbox.hs.subscription.tier = "starter"
    try:
        yield sandbox
    finally:
        sandbox.hs.subscription.tier = "enterprise"


def _limits(cli: Clients) -> dict[str, Any]:
    api_client = cli.api("crm.schemas.core_api").api_client
    answer = api_client.call_api(
        "/crm/v3/limits/custom-object-types", "GET", {}, [], {"Accept": "application/json"},
        response_types_map={}, auth_settings=["oauth2"], _preload_content=False)
    return dict(json.loads(answer.data))


def test_below_enterprise_a_schema_is_refused_with_403(starter: Box, cli: Clients) -> None:
    schemas = cli.api("crm.schemas.core_api")
    with pytest.raises(SchemasError) as caught:
        schemas.create(EGG)
    assert status_of(caught.value) == 403
    body = json.loads(caught.value.body)
    assert body["message"] == NO_CUSTOM_OBJECTS
    assert body["category"] == "FORBIDDEN"
    assert body["status"] == "error"
    assert "correlationId" in body
    assert schemas.get_all().results == []
    assert _limits(cli) == {"limit": 0, "percentage": 0.0, "usage": 0}


def test_enterprise_creates_and_counts_them(sandbox: Box, cli: Clients) -> None:
    before = _limits(cli)
    assert before["limit"] == 10
    cli.api("crm.schemas.core_api").create(EGG)
    after = _limits(cli)
    assert after["usage"] == before["usage"] + 1
    assert after["percentage"] == pytest.approx(100.0 * after["usage"] / 10)


def test_tiers_by_name() -> None:
    assert tier_of(" Professional ") == "professional"
    with pytest.raises(ValueError, match="one of free, starter, professional, enterprise"):
        tier_of("premium")


def test_the_info_names_the_portals_people(sandbox: Box) -> None:
    users = sandbox.info["users"]
    cli = sandbox.clients()
    owners = {o.id: o for o in cli.api("crm.owners.owners_api").get_page(limit=100).results}
    reps = [u for u in users if "role" not in u]
    assert reps
    for user in reps:
        assert set(user) == {"email", "name", "user_id", "owner_id", "team", "active"}
        owner = owners.get(user["owner_id"])
        if user["active"]:
            assert owner is not None
            assert owner.email == user["email"]
            assert str(owner.user_id) == user["user_id"]
    admins = [u for u in users if u.get("role") == "Super Admin"]
    assert len(admins) == 1
    assert admins[0]["team"] is None
