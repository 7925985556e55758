"""The HubSpot writer: KPI rows into the `sales_kpi` object, each company's own figures
onto companies."""

from __future__ import annotations

from typing import Any

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.config import HubSpotConfig
from connector.crms.hubspot.fields import COMPANIES, KEY_PROPERTY, push_plan
from connector.crms.hubspot.mapping import PushMapping
from connector.crms.hubspot.send import Record, SendBatch, send_all
from connector.crms.hubspot.setup import (
    custom_object_limit,
    default_owner_id,
    find_schema,
    object_allowed,
    owner_problems,
    portal_review,
    setup,
    without_custom_objects,
)
from connector.crms.push import DiffWriter, Outcome, pending
from connector.errors import ConfigError
from connector.store.push import Change, PushPlan

Json = dict[str, Any]


class HubSpotWriter(DiffWriter[HubSpotClient, HubSpotConfig, PushMapping]):
    """Writes one store's KPI results into one HubSpot portal (the `Writer` protocol)."""

    def plan(self) -> PushPlan:
        return push_plan(self.push_mapping, self.wording)

    def client(self) -> HubSpotClient:
        return HubSpotClient(self.config)

    def _api(self, client: HubSpotClient) -> HubSpotApi:
        return HubSpotApi(client, self.config.pull.max_url_chars)

    def setup(self) -> list[str]:
        """Create or bring up to date the KPI object, its properties, the company group
        and properties; retire the properties no longer mapped."""
        with self.client() as client:
            return setup(self._api(client), self.push_mapping, self.wording, self.where)

    def validate(self) -> list[str]:
        """Properties the writer may not write, and everything `setup` still has to do;
        on a portal without custom objects, a note of what is not written (no problem)."""
        push = self.push_mapping
        with self.client() as client:
            api = self._api(client)
            found = portal_review(api, push, self.wording, self.where)
            problems = found.problems + owner_problems(api, push, self.where)
            steps = found.steps
            if not object_allowed(api, steps):
                steps = [s for s in steps if s.obj != push.object]
                self.notes.append(f"source {self.name}: {without_custom_objects(push)}")
        return problems + pending(self.where(None), steps, self.config.setup_command())

    def send(self, client: HubSpotClient, todo: list[Change], outcome: Outcome) -> None:
        """Upsert KPI records by their key; update the properties of existing companies."""
        api = self._api(client)
        kpi = [c for c in todo if c.target != COMPANIES]
        company = [c for c in todo if c.target == COMPANIES]
        schema = find_schema(api, self.push_mapping.object) if kpi else None
        if kpi and schema is None and custom_object_limit(api) == 0:
            kpi = self._left_out(kpi, outcome)
        if kpi:
            if schema is None:
                raise ConfigError([f"source {self.name}: HubSpot has no "
                                   f"{self.push_mapping.object} object; run "
                                   f"`{self.config.setup_command()}` first"])  # fmt: skip
            owners = self.default_owner(
                kpi, self.plan(), lambda: default_owner_id(api, self.push_mapping)
            )
            send = _sender(api, "upsert", str(schema["objectTypeId"]))
            send_all(_records(kpi, owners, upsert=True), send, outcome)
        if company:
            send_all(_records(company, {}, upsert=False), _sender(api, "update", COMPANIES),
                     outcome)  # fmt: skip


    def _left_out(self, kpi: list[Change], outcome: Outcome) -> list[Change]:
        """KPI records a portal without custom objects cannot hold: said, not sent, not
        remembered (each run plans them again, at no API cost, until the portal can)."""
        records = len({c.key for c in kpi})
        note = without_custom_objects(self.push_mapping)
        outcome.notes.append(f"{records:,} {self.push_mapping.object} records not written: {note}")
        return []


def _records(todo: list[Change], sent_as: dict[str, str], *, upsert: bool) -> list[Record]:
    grouped: dict[str, list[Change]] = {}
    for change in todo:
        grouped.setdefault(change.key, []).append(change)
    records = []
    for key, values in grouped.items():
        props = {c.field: "" if c.new is None else sent_as.get(c.new, c.new) for c in values}
        payload: Json = {"id": key, "properties": props}
        if upsert:
            payload["idProperty"] = KEY_PROPERTY
        records.append(Record(key, payload, values))
    return records


def _sender(api: HubSpotApi, method: str, obj: str) -> SendBatch:
    def send(inputs: list[Json]) -> Json:
        answer = api.call(
            "crm.objects.batch_api",
            method,
            obj,
            {"inputs": inputs},
            what=f"{method} {len(inputs)} {obj} records",
        )
        return answer.body

    return send
