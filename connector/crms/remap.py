"""A mapping edit reaches every stored record: what each CRM's streams do after a pull.

The store keeps the raw rows a CRM sent and the shape of the mapping that derived each
stream's records. An edit of what the raw rows already hold (a value map, an exclusion,
a constant, a default, another field already read) derives every stored record again,
locally, at no API call; an edit that reads a field the raw rows lack reads that
stream whole, once (`whole_read_reason`). Each is said in the run's output.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.store import IngestResult, ParseOptions, Store
from connector.store.derive import Derivation, Rederived, held, rederive
from connector.store.raw import RawStream
from connector.store.shapes import Shape, changed_keys, fingerprint, record_shape, stored_shape


def whole_read_reason(raw: RawStream, fields: Sequence[str], *, first: bool) -> str | None:
    """Why a stream must be read whole to hold `fields` (None: its raw rows hold them,
    or this is its first pull, read whole anyway)."""
    missing = raw.missing(fields)
    if not missing or first:
        return None
    if not raw.stored:
        return "the store holds no raw copy of it yet (it was pulled by an earlier version)"
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return f"the mapping now reads {shown}, not pulled yet"


def settle_mapping(
    store: Store, raw: RawStream, rules: Derivation, shape: Shape, opts: ParseOptions,
    *, read_whole: bool,
) -> str | None:  # fmt: skip
    """Record that `shape` derived the stream's records, deriving every stored record
    again first when another shape did (unless all were just read and derived whole);
    the sentence saying what that changed (without the source's name), or None."""
    old = stored_shape(store, raw.source, raw.stream)
    note = None
    if old is not None and fingerprint(old) != fingerprint(shape):
        keys = ", ".join(changed_keys(old, shape)) or "its rules"
        what = f"mapping changed ({keys}): {rules.entity.name} from {rules.origin}"
        if read_whole:
            note = f"{what} derived from the records just read whole: " + _held(
                *held(store, raw, rules))
        else:
            note = f"{what} re-derived from the store, 0 API calls: " + _counts(
                rederive(store, raw, rules, opts))
    record_shape(store, raw.source, raw.stream, rules.entity.name, shape)
    return note


def _counts(done: Rederived) -> str:
    parts = [f"{done.records:,} records"]
    if done.now_excluded:
        parts.append(f"{done.now_excluded:,} now excluded")
    if done.now_included:
        parts.append(f"{done.now_included:,} now included")
    parts.append(f"{done.changed:,} changed")
    more = done.quarantined - done.quarantined_before
    if more:
        parts.append(f"{abs(more):,} {'more' if more > 0 else 'fewer'} quarantined "
                     f"({done.quarantined:,} in all)")  # fmt: skip
    return ", ".join(parts)


def _held(records: int, left_out: int, quarantined: int) -> str:
    said = f"{records:,} records, {left_out:,} left out by the mapping"
    return said + (f", {quarantined:,} quarantined" if quarantined else "")


def settle_whole_read(store: Store, stream: str, shape: Shape, result: IngestResult) -> str | None:
    """For a stream read whole every run (a CSV export): record the shape that derived
    it; the sentence saying the mapping changed, or None."""
    old = stored_shape(store, result.source, stream)
    record_shape(store, result.source, stream, result.entity, shape)
    if old is None or fingerprint(old) == fingerprint(shape):
        return None
    keys = ", ".join(changed_keys(old, shape)) or "its rules"
    origin = ", ".join(result.origins)
    excluded = f": {result.excluded:,} now excluded" if result.excluded else ""
    return (f"mapping changed ({keys}): {result.entity} derived again from {origin}, "
            f"read whole as every run{excluded}")
