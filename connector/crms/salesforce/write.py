"""The Salesforce writer: KPI rows into `Sales_KPI__c`, each rep's current values onto
User, each account's own figures onto Account."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace

from connector.crms.push import DiffWriter, Outcome, pending
from connector.crms.salesforce import access
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.fields import push_plan, writer_fields
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.owned import FieldCatalog, review
from connector.crms.salesforce.send import COLLECTION_SIZE, Batch, send_bulk, send_collections
from connector.crms.salesforce.setup import (
    default_owner_id,
    deploy_pending,
    owner_problems,
    run_setup,
)
from connector.errors import ConfigError
from connector.store.push import Change, PushPlan

INACTIVE_OWNER = "INACTIVE_OWNER_OR_USER"
_SETUP_HINT = ("INVALID_FIELD", "INVALID_TYPE", "NOT_FOUND", "INVALID_FIELD_FOR_INSERT_UPDATE")


class SalesforceWriter(DiffWriter[SalesforceClient, SalesforceConfig, PushMapping]):
    """Writes one store's KPI results into one Salesforce org (the `Writer` protocol)."""

    def plan(self) -> PushPlan:
        return push_plan(self.push_mapping, self.wording)

    def client(self) -> SalesforceClient:
        return SalesforceClient(self.config)

    def setup(self) -> list[str]:
        """Create or bring up to date the KPI object, its fields, the User and Account
        fields; deploy what people see them through (permission sets, tab, card, pages,
        report, dashboard, sharing) and assign the permission sets; retire the fields no
        longer mapped."""
        with self.client() as client:
            return run_setup(client, self.push_mapping, self.wording, self.where,
                             self.config.push.deploy_poll_seconds,
                             self.progress or (lambda _: None))  # fmt: skip

    def validate(self) -> list[str]:
        """Fields the writer may not write or cannot see, people the mapping names who do
        not exist, and everything `setup` still has to do."""
        push = self.push_mapping
        with self.client() as client:
            catalog = FieldCatalog(client)
            found = review(catalog, push, writer_fields(push, self.wording), self.where)
            problems = found.problems + owner_problems(client, push, self.where)
            people = access.active_users(client)
            problems += access.reader_problems(push, people, self.where)
            problems += access.integration_user_problems(client, push, people, self.where)
            if access.writer_id(client, push, people) in (None, client.user_id):
                # What the user validate connects as may see says nothing of another
                # integration user's access: for that one, its writer's set stands.
                problems += [s.problem for s in found.steps if s.kind == "grant"]
            steps: list[object] = [s for s in found.steps if s.kind != "grant"]
            if not steps and not catalog.hidden(push.object):
                steps += deploy_pending(client, push, catalog, people)
        return problems + pending(self.where(None), steps, self.config.setup_command())

    def send(self, client: SalesforceClient, todo: list[Change], outcome: Outcome) -> None:
        """Collections (or one Bulk job per large batch), within this run's API budget."""
        client.limits()  # fixes this run's API budget before any write
        owners = self.default_owner(
            todo, self.plan(), lambda: default_owner_id(client, self.push_mapping)
        )
        batches = self._batches(todo, owners)
        client.guard.ensure(self._estimate(batches), f"the push to {self.name}")
        for batch in batches:
            self._send(client, batch, outcome)
        self._reassign_inactive(client, todo, owners, outcome)

    def _reassign_inactive(
        self, client: SalesforceClient, todo: list[Change], owners: dict[str, str],
        outcome: Outcome,
    ) -> None:  # fmt: skip
        """Rows of a rep deactivated since the pull, which Salesforce refuses as their
        owner (INACTIVE_OWNER_OR_USER), go to the default owner, as after the next pull."""
        records, push = self.plan().records, self.push_mapping
        mine = {key: values for target, key, values in _by_record(todo) if target == push.object}
        stuck = [f for f in outcome.failed
                 if f.record in mine and f.message.startswith(INACTIVE_OWNER)]  # fmt: skip
        token = records.default_owner
        if not stuck or token is None:
            return
        owner = owners.get(token) or default_owner_id(client, push)
        if owner is None:
            return  # no active default owner: the refusals stand as reported
        outcome.failed = [f for f in outcome.failed if f not in stuck]
        moved = [(f.record, [replace(c, new=token) if c.field == records.owner_field else c
                             for c in mine[f.record]]) for f in stuck]  # fmt: skip
        batch = Batch(push.object, push.external_id, moved, {**owners, token: owner})
        send_collections(client, batch, outcome, tries=1)

    def _batches(self, todo: list[Change], owners: dict[str, str]) -> list[Batch]:
        grouped: dict[str, list[tuple[str, list[Change]]]] = {}
        for target, key, values in _by_record(todo):
            grouped.setdefault(target, []).append((key, values))
        kpi = self.push_mapping.object
        return [
            Batch(target, self.push_mapping.external_id if target == kpi else None, records,
                  owners)
            for target, records in grouped.items()
        ]  # fmt: skip

    def _bulk(self, batch: Batch) -> bool:
        threshold = self.config.push.bulk_threshold
        return batch.ext_id is not None and len(batch.records) > threshold

    def _estimate(self, batches: list[Batch]) -> int:
        return sum(
            6 if self._bulk(b) else math.ceil(len(b.records) / COLLECTION_SIZE) for b in batches
        )

    def _send(self, client: SalesforceClient, batch: Batch, outcome: Outcome) -> None:
        try:
            if self._bulk(batch):
                send_bulk(client, batch, self.config.pull.bulk_poll_seconds, outcome)
            else:
                send_collections(client, batch, outcome)
        except SalesforceApiError as exc:
            if exc.error_code in _SETUP_HINT:
                raise ConfigError([f"{exc} (writing {batch.sobject}): run "
                                   f"`{self.config.setup_command()}` first"]) from exc  # fmt: skip
            raise


def _by_record(items: list[Change]) -> Iterator[tuple[str, str, list[Change]]]:
    """Changes grouped per record (they come sorted by target, key)."""
    start = 0
    for index in range(1, len(items) + 1):
        if index == len(items) or _record(items[index]) != _record(items[start]):
            yield items[start].target, items[start].key, items[start:index]
            start = index


def _record(change: Change) -> tuple[str, str]:
    return change.target, change.key
