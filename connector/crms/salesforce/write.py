"""The Salesforce writer: KPI rows into `Sales_KPI__c`, current values onto User/Account."""

from __future__ import annotations

import math
from dataclasses import dataclass

from connector.crms.push import PlannedChange, PushResult
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.desired import Change, build_desired, by_record, changes, remember
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.send import (
    COLLECTION_SIZE,
    Batch,
    Outcome,
    send_bulk,
    send_collections,
)
from connector.crms.salesforce.setup import run_setup
from connector.errors import ConfigError, FatalError
from connector.store import Store

_SETUP_HINT = ("INVALID_FIELD", "INVALID_TYPE", "NOT_FOUND", "INVALID_FIELD_FOR_INSERT_UPDATE")


@dataclass
class SalesforceWriter:
    """Writes one store's KPI results into one Salesforce org (the `Writer` protocol)."""

    name: str
    config: SalesforceConfig
    push_mapping: PushMapping

    def transport(self) -> SalesforceClient:
        return SalesforceClient(self.config)

    def setup(self) -> list[str]:
        """Create the KPI object, its fields, the User/Account fields, report, dashboard."""
        with self.transport() as transport:
            return run_setup(transport, self.push_mapping)

    def push(self, store: Store, *, dry_run: bool = False) -> PushResult:
        """Send the values that changed since the last successful push (or plan them)."""
        build_desired(store, self.name, self.push_mapping)
        todo, unchanged = changes(store, self.name, self.config.push.change_tolerance)
        planned = [PlannedChange(c.target, c.key, c.field, c.old, c.new) for c in todo]
        result = PushResult(unchanged=unchanged, planned=planned, dry_run=dry_run)
        if dry_run or not todo:
            return result
        if not self.config.push.enabled:
            raise ConfigError([f"source {self.name}: push.enabled is false; nothing was written"])
        with self.transport() as transport:
            transport.limits()  # fixes this run's API budget before any write
            batches = self._batches(todo)
            transport.guard.ensure(self._estimate(batches), f"the push to {self.name}")
            outcome = Outcome()
            try:
                for batch in batches:
                    self._send(transport, batch, outcome)
            finally:
                remember(store, self.name, outcome.accepted)
                result.api_calls = transport.api_calls
        result.written = len({(c.target, c.key) for c in outcome.accepted})
        result.failed = outcome.failed
        return result

    def _batches(self, todo: list[Change]) -> list[Batch]:
        grouped: dict[str, list[tuple[str, list[Change]]]] = {}
        for target, key, values in by_record(todo):
            grouped.setdefault(target, []).append((key, values))
        kpi = self.push_mapping.object
        return [
            Batch(target, self.push_mapping.external_id if target == kpi else None, records)
            for target, records in grouped.items()
        ]

    def _bulk(self, batch: Batch) -> bool:
        return batch.ext_id is not None and len(batch.records) > self.config.push.bulk_threshold

    def _estimate(self, batches: list[Batch]) -> int:
        return sum(
            6 if self._bulk(b) else math.ceil(len(b.records) / COLLECTION_SIZE) for b in batches
        )

    def _send(self, transport: SalesforceClient, batch: Batch, outcome: Outcome) -> None:
        try:
            if self._bulk(batch):
                send_bulk(transport, batch, self.config.pull.bulk_poll_seconds, outcome)
            else:
                send_collections(transport, batch, outcome)
        except SalesforceApiError as exc:
            if exc.error_code in _SETUP_HINT:
                raise FatalError(
                    f"{exc} (writing {batch.sobject}; run `crm-kpi setup salesforce` first?)"
                ) from exc
            raise
