"""Request shapes public HubSpot connectors send, recorded from their public source as data.

Nothing here imports those connectors: each constant is the URL, parameters or body a
connector builds, copied as values, with where it comes from. The suite replays them
against the sandbox (tests in this folder) and checks the answers' shapes, paging to the
end and filter semantics.

Sources:
- AIRBYTE: airbytehq/airbyte, airbyte-integrations/connectors/source-hubspot/manifest.yaml
  and components.py (the declarative connector: `base_dynamic_schema_loader`,
  `base_crm_search_incremental_stream`, `offset_paginator`, `engagements_stream`,
  `deal_pipelines_stream`, `build_associations_retriever`).
- SINGER: singer-io/tap-hubspot (4.5.0 on PyPI), tap_hubspot/__init__.py (`ENDPOINTS`,
  `sync_deals`, `sync_companies`, `sync_engagements`, `sync_contacts`, `get_v3_deals`,
  `acquire_access_token_from_refresh_token`).
- MELTANO: MeltanoLabs/tap-hubspot, tap_hubspot/client.py and streams.py.
"""

from __future__ import annotations

from typing import Any

# ---- discovery: the properties each connector reads before it syncs -------------------
# Airbyte: "/properties/v2/{{ parameters['entity'] }}/properties" per stream entity.
AIRBYTE_V2_PROPERTY_ENTITIES = [
    "company", "contact", "deal", "deal_split", "leads", "ticket", "calls", "emails",
    "meetings", "notes", "tasks", "goal_targets", "product", "line_item", "form",
    "companies", "contacts", "deals",
]
SINGER_PROPERTY_PATHS = [
    "/crm/v3/properties/contacts", "/companies/v2/properties",
    "/properties/v1/deals/properties", "/crm/v3/properties/deals",
    "/crm/v3/properties/tickets",
]
MELTANO_V3_PROPERTY_OBJECTS = [
    "tickets", "deals", "contacts", "company", "product", "line_item", "email",
    "postal_mail", "goal_targets", "call", "meeting", "task", "communication", "notes",
]

# ---- OAuth ------------------------------------------------------------------------------
# tap-hubspot 4.5 (`acquire_access_token_from_refresh_token`): a form POST to the
# date-versioned token endpoint; HubSpot's v1 endpoint is deprecated for February 2027.
SINGER_TOKEN_PATH = "/oauth/2026-03/token"
SINGER_TOKEN_FORM = ("grant_type", "redirect_uri", "refresh_token", "client_id",
                     "client_secret")

# ---- legacy listings ------------------------------------------------------------------
SINGER_DEALS_PAGED = ("/deals/v1/deal/paged", {
    "limit": 100, "includeAssociations": True, "properties": [],
    "includeAllProperties": True, "allPropertiesFetchMode": "latest_version"})
SINGER_DEALS_V3_BATCH = "/crm/v3/objects/deals/batch/read"  # {'inputs': [{'id'}], 'properties'}
SINGER_COMPANIES_PAGED = ("/companies/v2/companies/paged", {
    "limit": 250, "properties": ["createdate", "hs_lastmodifieddate"]})
SINGER_COMPANY = "/companies/v2/companies/{company_id}"
SINGER_CONTACTS_BY_COMPANY = "/crm/v3/associations/company/contact/batch/read"
SINGER_ENGAGEMENTS = ("/engagements/v1/engagements/paged", {"limit": 190})  # page size 190
# tap-hubspot 4.5 (`sync_engagements`, ENDPOINTS["engagements_modified_after"]): `limit`
# 190 and `after`, first the start date in epoch ms, then the answer's `after`, while
# `hasMore`; the last `after` is the next run's bookmark.
SINGER_ENGAGEMENTS_MODIFIED_AFTER = ("/engagements/v1/engagements/modified/after",
                                     {"limit": 190})
SINGER_DEAL_PIPELINES = "/deals/v1/pipelines"
SINGER_CONTACTS = ("/crm/v3/objects/contacts", {
    "limit": 100, "properties": "email,firstname,lastname,hs_lastmodifieddate",
    "associations": "tickets,companies,deals"})
# Airbyte pages every engagements endpoint with `count` (page_size_option) and `offset`.
AIRBYTE_ENGAGEMENTS_ALL = ("/engagements/v1/engagements/paged", {"count": 250})
AIRBYTE_ENGAGEMENTS_RECENT = ("/engagements/v1/engagements/recent/modified", {"count": 250})
AIRBYTE_DEAL_PIPELINES = "/crm-pipelines/v1/pipelines/deals"
MELTANO_TICKET_PIPELINES = "/crm-pipelines/v1/pipelines/tickets"
AIRBYTE_TICKET_PIPELINES = "/crm/v3/pipelines/tickets"

# ---- v3 listings ----------------------------------------------------------------------
# Airbyte's `offset_paginator` (the default of `base_retriever`): `limit` and `offset`
# request parameters, OffsetIncrement by 100, stopping at a page shorter than 100. Release
# 5.7.0 paged goals, products and line items with it; HubSpot ignores `offset` there and
# those syncs got stuck (issue 61352) until they paged by `after` (PR 61502).
AIRBYTE_OFFSET_PAGE_SIZE = 100
# `base_crm_object_stream` (goals, products, line_items): its request parameters.
AIRBYTE_CRM_OBJECT_PARAMS = {"archived": "false", "properties": "hs_createdate"}
# MeltanoLabs' HubspotStream.get_url_params on every v3 listing.
MELTANO_LIST_PARAMS = {"limit": 100, "sort": "asc", "order_by": "hs_lastmodifieddate"}
# Airbyte's full-refresh CRM streams: `archived: "false"`, `associations` per stream.
AIRBYTE_LIST_ASSOCIATIONS = {"calls": ["companies", "contacts", "deals", "tickets"],
                             "deals": ["companies", "contacts", "line_items"],
                             "contacts": ["contacts", "companies"],
                             "tickets": ["companies", "contacts", "deals"]}


def airbyte_incremental_search(cursor_property: str, start_ms: int, end_ms: int,
                               after: int = 0, min_id: int = 0,
                               properties: list[str] | None = None) -> dict[str, Any]:
    """`base_crm_search_incremental_stream.request_body_json`: top-level `filters`, no
    `filterGroups`; paged by `after` up to 10,000, then again from the last id + 1
    (HubspotCRMSearchPaginationStrategy)."""
    return {
        "limit": 200,
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "filters": [
            {"propertyName": cursor_property, "operator": "GTE", "value": str(start_ms)},
            {"propertyName": cursor_property, "operator": "LTE", "value": str(end_ms)},
            {"propertyName": "hs_object_id", "operator": "GTE", "value": str(min_id)},
        ],
        "properties": properties or [cursor_property],
        "after": after,
    }


def airbyte_associations_read(record_ids: list[str]) -> dict[str, Any]:
    """`build_associations_retriever`: POST /crm/v4/associations/{entity}/{name}/batch/read."""
    return {"inputs": [{"id": i} for i in record_ids]}


# hubspot-api-client 12's BatchReadInputSimplePublicObjectId always serializes
# `propertiesWithHistory`; public integrations send `idProperty: "email"` with e-mails.
def client_batch_read(ids: list[str], properties: list[str],
                      history: list[str] | None = None) -> dict[str, Any]:
    return {"propertiesWithHistory": history or [], "inputs": [{"id": i} for i in ids],
            "properties": properties}
