"""HubSpot's legacy APIs that real portals still serve and public connectors still call.

Over the same generated portal as the v3 API (same ids, same values):

- properties v1/v2: `GET /properties/v{1,2}/{object}/properties` (Airbyte's schema
  discovery, every stream; tap-hubspot's `/properties/v1/deals/properties`) and
  `GET /companies/v2/properties` — a bare list of definitions (`legacy_values`); any object
  type the v3 API knows, by name, singular or plural (`deal`, `line_item`, `form`);
- pipelines v1: `GET /crm-pipelines/v1/pipelines/{deals,tickets}` and
  `GET /deals/v1/pipelines` (`pipelines`);
- deals v1 and companies v2 listings (`legacy_records`), engagements v1
  (`legacy_engagements`);
- associations v3: `POST /crm/v3/associations/{from}/{to}/batch/read` with `{"inputs":
  [{"id"}]}` (tap-hubspot's contacts_by_company) → `{status, results: [{from: {id}, to:
  [{id, type}]}], …}`, 207 `NO_ASSOCIATIONS_FOUND` per id without any, as v4.

Not served (404, as an unknown route): email events and campaigns, subscriptions, forms
v2 and submissions, workflows, contact lists v1 (docs/sandbox.md, "Endpoint families").
"""

from __future__ import annotations

import json
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..org import Org
from . import pipelines
from .associations import Associations
from .batch import answer
from .errors import not_found, record_error, validation
from .legacy_engagements import LegacyEngagements
from .legacy_records import LegacyRecords
from .legacy_values import v2_definition
from .model import ObjectType
from .registry import Registry
from .request import OBJ, json_body

# Scopes of the routes whose scope the surface cannot derive from an `obj` path segment.
SCOPES = {"recentEngagements": "crm.objects.contacts.read",
          "engagementsPaged": "crm.objects.contacts.read",
          "engagementsModifiedAfter": "crm.objects.contacts.read",
          "dealV1Paged": "crm.objects.deals.read", "dealV1Recent": "crm.objects.deals.read",
          "dealV1": "crm.objects.deals.read", "dealPipelinesV1": "crm.objects.deals.read",
          "companyV2Paged": "crm.objects.companies.read",
          "companyV2Recent": "crm.objects.companies.read",
          "companyV2": "crm.objects.companies.read",
          "companyPropertiesV2": "crm.schemas.companies.read"}
MAX_ASSOCIATION_INPUTS = 1000


class Legacy:
    """Every legacy endpoint the sandbox serves."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self.registry = org, registry
        self.records = LegacyRecords(org, registry)
        self.engagements = LegacyEngagements(org, registry)
        self.assoc = Associations(org, registry)

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", rf"/properties/v[12]/{OBJ}/properties/?", "propertiesLegacy",
                     self.properties),
            Endpoint("GET", r"/companies/v2/properties/?", "companyPropertiesV2",
                     lambda r: self._properties(self.registry.get("companies"))),
            Endpoint("GET", rf"/crm-pipelines/v1/pipelines/{OBJ}/?", "pipelinesV1",
                     self.pipelines_v1),
            Endpoint("GET", r"/deals/v1/pipelines/?", "dealPipelinesV1", self.deal_pipelines),
            Endpoint("POST", rf"/crm/v3/associations/{OBJ}/(?P<to>[A-Za-z0-9_\-]+)/batch/read",
                     "associationsV3BatchRead", self.associations_v3),
            *self.records.endpoints(), *self.engagements.endpoints(),
        ]

    def properties(self, req: Request) -> Response:
        return self._properties(self.registry.get(req.params["obj"]))

    @staticmethod
    def _properties(o: ObjectType) -> Response:
        return json_response([v2_definition(p) for p in o.props.values()])

    def pipelines_v1(self, req: Request) -> Response:
        o = self.registry.get(req.params["obj"])
        found = pipelines.of(o.name)
        if not found:
            raise not_found(f"No pipelines for object type {req.params['obj']}")
        return json_response({"results": [pipelines.v1(p, self.org.window.start)
                                          for p in found]})

    def deal_pipelines(self, req: Request) -> Response:
        return json_response([pipelines.deals_v1(pipelines.deal_pipeline())])

    def associations_v3(self, req: Request) -> Response:
        src = self.registry.get(req.params["obj"])
        dst = self.registry.get(req.params["to"])
        inputs = json_body(req).get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise validation("inputs must be a non-empty list")
        if len(inputs) > MAX_ASSOCIATION_INPUTS:
            raise validation(f"Batch input limit exceeded: at most {MAX_ASSOCIATION_INPUTS} "
                             "inputs.")
        ids = [str(i.get("id", "")) for i in inputs if isinstance(i, dict)]
        keys = {i: k for i in ids if (k := src.key(i)) is not None}
        found, _, _, _ = self.assoc.linked(src, dst, sorted(set(keys.values())))
        kind = f"{_snake(src.singular)}_to_{_snake(dst.singular)}"
        results = [json.dumps({"from": {"id": i}, "to": [
            {"id": dst.hs_id(b), "type": kind} for b in found[keys[i]]]},
            separators=(",", ":")) for i in ids if i in keys and keys[i] in found]
        missing = [i for i in ids if i not in keys or keys[i] not in found]
        errors: list[dict[str, Any]] = [record_error(
            "NO_ASSOCIATIONS_FOUND", f"No {dst.name} is associated with {src.singular} {i}.",
            [i]) for i in missing]
        return answer(results, errors, 200, self.org)


def _snake(label: str) -> str:
    return label.lower().replace(" ", "_")
