"""Properties for KPI values: numberDisplayHint, showCurrencySymbol, description; PATCH."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.properties import ApiException as PropertiesError

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e
HINTS = ("unformatted", "formatted", "currency", "percentage", "duration", "probability")


def raw(cli: Clients, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A properties call with a plain JSON body and answer: hubspot-api-client 12's models
    know neither numberDisplayHint nor (in create/update) showCurrencySymbol."""
    api = cli.api("crm.properties.core_api").api_client
    resp = api.call_api(path, method, header_params={"Content-Type": "application/json",
                                                     "Accept": "application/json"},
                        body=body, auth_settings=["oauth2", "private_apps"],
                        _preload_content=False, _return_http_data_only=True)
    return json.loads(resp.data)


def number_prop(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": name.replace("_", " "), "type": "number",
            "fieldType": "number", "groupName": "dealinformation", **extra}


@pytest.mark.parametrize("hint", HINTS)
def test_number_display_hints_are_stored_and_returned(cli: Clients, hint: str) -> None:
    made = raw(cli, "POST", "/crm/v3/properties/deals", number_prop(
        f"kpi_{hint}", numberDisplayHint=hint, showCurrencySymbol=hint == "currency",
        description=f"A KPI shown as {hint}"))
    got = raw(cli, "GET", f"/crm/v3/properties/deals/kpi_{hint}")
    for answer in (made, got):
        assert answer["numberDisplayHint"] == hint
        assert answer["showCurrencySymbol"] is (hint == "currency")
        assert answer["description"] == f"A KPI shown as {hint}"


@pytest.mark.parametrize("spec", [
    number_prop("kpi_bad_hint", numberDisplayHint="percent"),
    {**number_prop("kpi_text_hint", numberDisplayHint="currency"), "type": "string",
     "fieldType": "text"},
    number_prop("kpi_bad_symbol", showCurrencySymbol="yes"),
])
def test_invalid_display_options_are_refused(cli: Clients, spec: dict[str, Any]) -> None:
    with pytest.raises(PropertiesError) as err:
        raw(cli, "POST", "/crm/v3/properties/deals", spec)
    assert err.value.status == 400
    assert json.loads(err.value.body)["category"] == "VALIDATION_ERROR"


def test_patch_changes_what_it_names_and_keeps_the_rest(cli: Clients) -> None:
    raw(cli, "POST", "/crm/v3/properties/companies", {
        **number_prop("kpi_revenue", numberDisplayHint="currency", showCurrencySymbol=True,
                      description="Revenue"), "groupName": "companyinformation"})
    changed = raw(cli, "PATCH", "/crm/v3/properties/companies/kpi_revenue",
                  {"label": "Revenue (reporting currency)", "numberDisplayHint": None})
    assert changed["label"] == "Revenue (reporting currency)"
    assert (changed["numberDisplayHint"], changed["showCurrencySymbol"]) == ("currency", True)
    assert changed["description"] == "Revenue"
    assert changed["updatedAt"] >= changed["createdAt"]
    changed = raw(cli, "PATCH", "/crm/v3/properties/companies/kpi_revenue",
                  {"numberDisplayHint": "formatted", "showCurrencySymbol": False,
                   "description": "Won revenue"})
    got = raw(cli, "GET", "/crm/v3/properties/companies/kpi_revenue")
    assert (got["numberDisplayHint"], got["showCurrencySymbol"], got["description"]) == (
        "formatted", False, "Won revenue")


def test_patch_through_the_client_and_its_limits(sandbox: Box, cli: Clients) -> None:
    api = cli.api("crm.properties.core_api")
    raw(cli, "POST", "/crm/v3/properties/deals", number_prop("kpi_pace"))
    done = api.update("deals", "kpi_pace", {"label": "Pace", "description": "vs. target"})
    assert (done.label, done.description) == ("Pace", "vs. target")
    with pytest.raises(PropertiesError) as err:  # HubSpot's own definitions are fixed
        api.update("deals", "amount", {"label": "Value"})
    assert err.value.status == 400
    with pytest.raises(PropertiesError) as err:
        api.update("deals", "kpi_pace", {"type": "string", "fieldType": "text"})
    assert err.value.status == 400
    with pytest.raises(PropertiesError) as err:
        api.update("deals", "kpi_nothing", {"label": "x"})
    assert err.value.status == 404
    token = sandbox.hs.tokens.issue(scopes={"crm.schemas.deals.read"})
    with pytest.raises(PropertiesError) as err:
        sandbox.clients(token).api("crm.properties.core_api").update(
            "deals", "kpi_pace", {"label": "y"})
    assert err.value.status == 403
