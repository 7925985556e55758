"""Sending changed values: sObject Collections of 200 (allOrNone=false), or a Bulk API 2.0
upsert job above a threshold. A refused record is retried once, then reported with the
field and Salesforce's message; nothing is dropped silently. Values the store compares
in a stable form (the default owner's token) are sent as what they stand for."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.crms.push import Outcome, RecordFailure
from connector.crms.salesforce.client import SalesforceClient
from connector.store.push import Change

COLLECTION_SIZE = 200
BULK_NULL = "#N/A"


@dataclass
class Batch:
    """Records of one sObject: by external id (`ext_id`) or by record Id (`ext_id` None);
    `sent_as` maps a compared value to the one sent (the default owner's token → Id)."""

    sobject: str
    ext_id: str | None
    records: list[tuple[str, list[Change]]]
    sent_as: Mapping[str, str] = field(default_factory=dict)


def payload_value(change: Change, sent_as: Mapping[str, str] | None = None) -> Any:
    """The JSON value of a change (numbers as numbers, null clears the field)."""
    if change.new is None:
        return None
    if change.kind == "number":
        return float(change.new)
    return (sent_as or {}).get(change.new, change.new)


def _record(batch: Batch, key: str, values: Sequence[Change]) -> dict[str, Any]:
    body: dict[str, Any] = {"attributes": {"type": batch.sobject}}
    body[batch.ext_id or "Id"] = key
    body.update({c.field: payload_value(c, batch.sent_as) for c in values})
    return body


def _failure(key: str, errors: list[dict[str, Any]]) -> RecordFailure:
    first = errors[0] if errors else {}
    fields = first.get("fields") or []
    code, message = first.get("statusCode", ""), first.get("message", "refused")
    return RecordFailure(key, ",".join(fields) or None, f"{code}: {message}".strip(": "))


def _collection(
    transport: SalesforceClient, batch: Batch, chunk: list[tuple[str, list[Change]]]
) -> dict[str, list[dict[str, Any]]]:
    """One Collections call; the errors of each refused record, by key."""
    path = (
        f"composite/sobjects/{batch.sobject}/{batch.ext_id}"
        if batch.ext_id
        else "composite/sobjects"
    )
    body = {"allOrNone": False, "records": [_record(batch, k, v) for k, v in chunk]}
    answers = transport.restful(path, "PATCH", body) or []
    refused = {}
    for (key, _), answer in zip(chunk, answers, strict=True):
        if not answer.get("success"):
            refused[key] = list(answer.get("errors") or [])
    return refused


def send_collections(
    transport: SalesforceClient, batch: Batch, outcome: Outcome, tries: int = 2
) -> None:
    """Send a batch in Collections of 200; resend refused records (`tries` in all)."""
    pending = batch.records
    for attempt in range(tries):
        refused: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(pending), COLLECTION_SIZE):
            refused.update(_collection(transport, batch, pending[start : start + COLLECTION_SIZE]))
        for key, values in pending:
            if key not in refused:
                outcome.accepted += values
        pending = [(k, v) for k, v in pending if k in refused]
        if not pending:
            return
        if attempt == tries - 1:
            outcome.failed += [_failure(k, refused[k]) for k, _ in pending]


def send_bulk(transport: SalesforceClient, batch: Batch, poll: int, outcome: Outcome) -> None:
    """Upsert a large batch with one Bulk API 2.0 job; refused records go by Collections."""
    assert batch.ext_id is not None
    columns = sorted({c.field for _, values in batch.records for c in values})
    rows = []
    for key, values in batch.records:
        row = dict.fromkeys(columns, "")  # empty: leave the field as it is
        row.update({c.field: _bulk_value(c, batch.sent_as) for c in values})
        rows.append({batch.ext_id: key, **row})
    handler = getattr(transport.client.bulk2, batch.sobject)
    jobs = handler.upsert(records=rows, external_id_field=batch.ext_id, wait=poll)
    failed_keys: set[str] = set()
    for job in jobs:
        if int(job.get("numberRecordsFailed", 0)):
            text = handler.get_failed_records(job["job_id"])
            failed_keys |= {r[batch.ext_id] for r in csv.DictReader(io.StringIO(text))}
    for key, values in batch.records:
        if key not in failed_keys:
            outcome.accepted += values
    retry = [(k, v) for k, v in batch.records if k in failed_keys]
    if retry:
        again = Batch(batch.sobject, batch.ext_id, retry, batch.sent_as)
        send_collections(transport, again, outcome, tries=1)


def _bulk_value(change: Change, sent_as: Mapping[str, str]) -> str:
    value = payload_value(change, sent_as)
    return BULK_NULL if value is None else str(value)
