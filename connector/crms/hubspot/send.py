"""Sending changes: batches of at most 100 records, 207 answers, one retry of refusals.

A batch answer names refused records in `errors[].context.ids` (record keys, or input
positions); those are retried once, in a batch of their own, and then reported with
record, property and HubSpot's message. An invalid value makes HubSpot refuse the whole
batch (400 VALIDATION_ERROR): the batch is halved until the record at fault stands
alone, and it is reported without a retry. A 2xx answer with neither results nor
errors proves nothing was written: every record of that batch is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.crms.hubspot.constants import BATCH_SIZE
from connector.crms.hubspot.errors import HubSpotApiError
from connector.crms.push import Outcome, RecordFailure
from connector.store.push import Change

Json = dict[str, Any]
SendBatch = Callable[[list[Json]], Json]
_VALUE_REFUSAL = "Property values were not valid"
_PROPERTY_ERRORS = ("PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE")
# HubSpot names the property as `"name":"x"` (validation lists) or `property 'x'`.
_PROPERTY_PATTERNS = (
    re.compile(r'"name"\s*:\s*"([a-z0-9_]+)"'),
    re.compile(r"[Pp]roperty ['\"]([a-z0-9_]+)['\"]"),
)


@dataclass(frozen=True)
class Record:
    """One record to write: its key, the API input, and the changes it carries."""

    key: str
    payload: Json
    changes: list[Change]


def refused(answer: Json, records: list[Record]) -> dict[str, str]:
    """Record key → HubSpot's message, for every record a batch answer refused."""
    if not answer.get("results") and not answer.get("errors"):
        message = "HubSpot answered 2xx with neither results nor errors: nothing was written"
        return {r.key: message for r in records}
    keys = {r.key for r in records}
    out: dict[str, str] = {}
    for error in answer.get("errors") or []:
        message = str(error.get("message") or error.get("category") or "refused")
        ids = [str(i) for i in (error.get("context") or {}).get("ids") or []]
        named = [_key_of(i, records, keys) for i in ids]
        for key in [k for k in named if k is not None] or [r.key for r in records]:
            out.setdefault(key, message)
    return out


def _key_of(ident: str, records: list[Record], keys: set[str]) -> str | None:
    if ident in keys:
        return ident
    if ident.isdigit() and int(ident) < len(records):
        return records[int(ident)].key  # an input position
    return None


def send_all(records: list[Record], send: SendBatch, outcome: Outcome) -> None:
    """Send in batches of 100; retry refused records once; report what still fails."""
    retry: list[tuple[Record, str]] = []
    for start in range(0, len(records), BATCH_SIZE):
        retry += _send_batch(records[start : start + BATCH_SIZE], send, outcome)
    again = [record for record, _ in retry]
    for start in range(0, len(again), BATCH_SIZE):
        for record, message in _send_batch(again[start : start + BATCH_SIZE], send, outcome):
            outcome.failed.append(_failure(record, message))


def _send_batch(batch: list[Record], send: SendBatch, outcome: Outcome) -> list[tuple[Record, str]]:
    try:
        answer = send([r.payload for r in batch])
    except HubSpotApiError as exc:
        if not _one_value_refused(exc):
            raise
        return _isolate(batch, send, outcome, exc)
    bad = refused(answer, batch)
    for record in batch:
        if record.key not in bad:
            outcome.accepted += record.changes
    return [(r, bad[r.key]) for r in batch if r.key in bad]


def _one_value_refused(exc: HubSpotApiError) -> bool:
    """Whether HubSpot refused a batch for a value (of some record), not for a property
    (missing, read-only) or the request itself, which every record would meet alike."""
    return (
        exc.status == 400
        and exc.category == "VALIDATION_ERROR"
        and _VALUE_REFUSAL in exc.detail
        and not any(code in exc.detail for code in _PROPERTY_ERRORS)
    )


def _isolate(
    batch: list[Record], send: SendBatch, outcome: Outcome, exc: HubSpotApiError
) -> list[tuple[Record, str]]:
    """Halve a batch HubSpot refused whole (nothing written) until the records at fault
    stand alone, so the others are written; those are reported at once (HubSpot refuses
    the same value again). One bad record in 100 costs 14 calls; at worst (every value
    bad) two calls a record."""
    if len(batch) == 1:
        outcome.failed.append(_failure(batch[0], exc.detail))
        return []
    half = len(batch) // 2
    return _send_batch(batch[:half], send, outcome) + _send_batch(batch[half:], send, outcome)


def _failure(record: Record, message: str) -> RecordFailure:
    found = [m.group(1) for p in _PROPERTY_PATTERNS if (m := p.search(message))]
    prop = found[0] if found else None
    if prop is None and len(record.changes) == 1:
        prop = record.changes[0].field
    return RecordFailure(record=record.key, field=prop, message=message)
