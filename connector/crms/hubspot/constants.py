"""HubSpot API constants: page sizes, caps, paths and the scopes each call needs."""

from __future__ import annotations

LIST_PAGE_SIZE = 100
SEARCH_PAGE_SIZE = 200
BATCH_SIZE = 100
ASSOCIATION_BATCH_SIZE = 1000
# Search never serves past this many results of one query (`after` + limit > 10,000 → 400).
SEARCH_RESULT_CAP = 10_000

OBJECT_ID_PROPERTY = "hs_object_id"
OWNER_PROPERTY = "hubspot_owner_id"

RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})

# Read scopes per object type, named in the error when a token lacks them.
READ_SCOPES: dict[str, str] = {
    "deals": "crm.objects.deals.read",
    "contacts": "crm.objects.contacts.read",
    "companies": "crm.objects.companies.read",
    "line_items": "crm.objects.line_items.read",
    "calls": "crm.objects.contacts.read",
    "emails": "crm.objects.contacts.read",
    "meetings": "crm.objects.contacts.read",
    "owners": "crm.objects.owners.read",
}
