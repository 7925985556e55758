"""The HubSpot writer: KPI rows into the `sales_kpi` object, current values onto companies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.config import HubSpotConfig
from connector.crms.hubspot.desired import (
    COMPANY_TARGET,
    Change,
    build_desired,
    changes,
    remember,
)
from connector.crms.hubspot.fields import KEY_PROPERTY
from connector.crms.hubspot.mapping import PushMapping
from connector.crms.hubspot.send import Outcome, Record, SendBatch, send_all
from connector.crms.hubspot.setup import COMPANIES, check_own, find_schema, setup
from connector.crms.push import PlannedChange, PushResult
from connector.errors import ConfigError
from connector.store import Store

Json = dict[str, Any]


@dataclass
class HubSpotWriter:
    """Writes one store's KPI results into one HubSpot portal (the `Writer` protocol)."""

    name: str
    config: HubSpotConfig
    push_mapping: PushMapping

    def _api(self, transport: HubSpotClient) -> HubSpotApi:
        return HubSpotApi(transport, self.config.pull.max_url_chars)

    def setup(self) -> list[str]:
        """Create the KPI object, its properties, the company group and properties."""
        with HubSpotClient(self.config) as transport:
            return setup(self._api(transport), self.push_mapping)

    def push(self, store: Store, *, dry_run: bool = False) -> PushResult:
        """Send the values that changed since the last accepted push (or plan them)."""
        build_desired(store, self.name, self.push_mapping)
        todo, unchanged = changes(store, self.name, self.config.push.change_tolerance)
        planned = [
            PlannedChange(_target(self.push_mapping, c), c.key, c.prop, c.old, c.new) for c in todo
        ]
        result = PushResult(unchanged=unchanged, planned=planned, dry_run=dry_run)
        if dry_run or not todo:
            return result
        if not self.config.push.enabled:
            raise ConfigError([f"source {self.name}: push.enabled is false; nothing was written"])
        with HubSpotClient(self.config) as transport:
            outcome = Outcome()
            try:
                self._send(self._api(transport), todo, outcome)
            finally:
                remember(store, self.name, outcome.written)
                result.api_calls = transport.api_calls
        result.written = outcome.records
        result.failed = outcome.failed
        return result

    def _send(self, api: HubSpotApi, todo: list[Change], outcome: Outcome) -> None:
        kpi = [c for c in todo if c.target != COMPANY_TARGET]
        company = [c for c in todo if c.target == COMPANY_TARGET]
        if kpi:
            schema = find_schema(api, self.push_mapping.object)
            if schema is None:
                raise ConfigError(
                    [
                        f"source {self.name}: HubSpot has no {self.push_mapping.object} object; "
                        "run `crm-kpi setup hubspot` first"
                    ]
                )
            send = _sender(api, "upsert", str(schema["objectTypeId"]))
            _merge(outcome, send_all(_records(kpi, upsert=True), send))
        if company:
            existing = {str(p["name"]): p for p in api.properties(COMPANIES)}
            check_own(existing, sorted({c.prop for c in company}))
            _merge(
                outcome,
                send_all(_records(company, upsert=False), _sender(api, "update", COMPANIES)),
            )


def _target(push: PushMapping, change: Change) -> str:
    return COMPANIES if change.target == COMPANY_TARGET else push.object


def _records(todo: list[Change], *, upsert: bool) -> list[Record]:
    grouped: dict[str, list[Change]] = {}
    for change in todo:
        grouped.setdefault(change.key, []).append(change)
    records = []
    for key, values in grouped.items():
        props = {c.prop: ("" if c.new is None else c.new) for c in values}
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


def _merge(total: Outcome, part: Outcome) -> None:
    total.written += part.written
    total.records += part.records
    total.failed += part.failed
