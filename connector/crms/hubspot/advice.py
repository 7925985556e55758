"""When exports would save calls: what `validate` and a stream's first pull say.

A full pull through the exports API costs about two calls an object (a start and a status
call; the file's download is no API call), where search costs one call per 200 records
and one per 1,000 per associated object. With `pull.exports: false`, `validate` (and a
run that pulled streams whole) says so when the token has the `crm.export` scope and an
export would save at least `WORTH` calls, with both figures; `pull.exports: auto` then
uses exports whenever the token has the scope.
"""

from __future__ import annotations

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.errors import MissingScope
from connector.crms.hubspot.exports import EXPORTS
from connector.crms.hubspot.full import calls_by_search
from connector.crms.hubspot.mapping import Stream
from connector.errors import FatalError

EXPORT_CALLS = 2  # per object: the start, and one status call once it is done
WORTH = 100  # calls an export must save before it is suggested


def missing_scope(api: HubSpotApi) -> str | None:
    """Why the token cannot start exports (None when it can): one status call of a task
    that does not exist answers 403 MISSING_SCOPES without the scope, else refuses it."""
    try:
        api.call(EXPORTS, "get_status", "1", what="read an export's status")
    except MissingScope as exc:
        return str(exc)
    except FatalError:
        return None  # no such task: the scope is there
    return None


def counts(api: HubSpotApi, streams: list[Stream]) -> dict[str, int]:
    """HubSpot's count of each stream's records (one search of one record each)."""
    found = {}
    for stream in streams:
        body = {"properties": [OBJECT_ID_PROPERTY], "limit": 1}
        found[stream.key] = int(api.search(stream.object, body).get("total") or 0)
    return found


def export_calls(streams: int) -> int:
    """API calls a full pull of `streams` objects costs through exports."""
    return EXPORT_CALLS * streams


def saving(by_search: int, streams: int) -> int | None:
    """Calls exports would save over `by_search`, when worth saying (else None)."""
    saved = by_search - export_calls(streams)
    return saved if saved >= WORTH else None


def validate_note(
    api: HubSpotApi, source: str, streams: list[Stream], setting: object
) -> str | None:
    """What `validate` says about exports: with `auto`, a token without the scope; when
    off, the calls exports would save, if the token has the scope and that is worth it."""
    if setting is True:
        return None  # validate's problems name a missing scope
    missing = missing_scope(api)
    if setting == "auto":
        if missing is None:
            return None
        return (f"{source}: pull.exports is auto but {missing}: full pulls go through search "
                "until the token has crm.export")
    if missing is not None:
        return None
    found = counts(api, streams)
    by_search = sum(calls_by_search(found[s.key], s) for s in streams)
    return _note(source, by_search, sum(found.values()), len(streams), "a full pull costs")


def first_pull_note(
    api: HubSpotApi, source: str, calls: int, records: int, streams: int
) -> str | None:
    """What a run says after pulling `streams` objects whole in `calls` calls, with exports
    off: the figure exports would have cost, when the token has the scope."""
    if saving(calls, streams) is None or missing_scope(api) is not None:
        return None
    return _note(source, calls, records, streams, "this first pull cost")


def _note(source: str, by_search: int, records: int, streams: int, what: str) -> str | None:
    if saving(by_search, streams) is None:
        return None
    return (f"{source}: the token has the crm.export scope, and {what} {by_search:,} API calls "
            f"for {records:,} records in {streams} objects where exports would cost about "
            f"{export_calls(streams)}: set pull.exports: auto (docs/hubspot.md)")
