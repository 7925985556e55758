"""Full pulls through HubSpot's CRM exports API (`pull.exports: true`), as Salesforce full
pulls use Bulk API 2.0: one export per object instead of a list call per 100 records and
an association read per 1,000.

`POST /crm/v3/exports/export/async` with the object type, the mapped properties (internal
names and values: `exportInternalValuesOptions: [NAMES, VALUES]`, the list API's
strings), and the associated object types (every association, not the first 1,000 per
row). Every stream's export is started before any is waited for (HubSpot runs them one
at a time, in order, while the first files load), so a quick export costs one status
call; a task is polled `export_poll_seconds` after its start, then at doubling intervals,
until COMPLETE. Its download URL needs no token and is not an API call. A file over
1,000,000 rows (or 2 MB) arrives as a zip of CSV partitions, each with its header. The
export needs the `crm.export` scope (a super admin installs it for an OAuth app):
`validate` says when the token lacks it, and when an export cannot be had (scope, the 30
exports a day, a failed task) the stream falls back to search in id order, logged. Incremental
pulls stay on search; the next one starts at the export's request time (the portal's
clock) minus the overlap.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import certifi
import urllib3

from connector.crms.client import with_retries
from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.context import (
    Json,
    Links,
    StreamContext,
    load_records,
    save_state,
    targets,
)
from connector.crms.hubspot.errors import MissingScope, tls_failed
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.paging import SearchCursor, parse_ms
from connector.crms.hubspot.streams import reconcile_archived
from connector.errors import FatalError, RetriableError
from connector.store import IngestResult

EXPORTS = "crm.exports.public_exports_api"
MAX_ASSOCIATED = 4  # object types per export (the exports guide)
MAX_POLL_SECONDS = 30.0
MAX_WAIT_SECONDS = 3 * 3600.0
_ASSOCIATED = re.compile(r"^Associated (.+) IDs$")


@dataclass(frozen=True)
class Started:
    """An export started: its task, and when (monotonic seconds)."""

    task: str
    at: float


class ExportUnavailable(Exception):
    """This export cannot be had (scope, daily limit, failed task): list instead.
    `for_the_run`: no other export of this run can be had either; `scope`: because the
    token lacks crm.export."""

    def __init__(self, message: str, *, for_the_run: bool = False, scope: bool = False) -> None:
        super().__init__(message)
        self.for_the_run = for_the_run
        self.scope = scope


def start_exports(ctx: StreamContext, streams: list[Stream]) -> dict[str, Started]:
    """Start the export of every stream due a full pull before waiting for any: HubSpot
    runs them one after another while the first files load, so an export that is quick
    costs one status call. Streams whose export cannot be had are listed instead."""
    started: dict[str, Started] = {}
    for stream in streams:
        state = ctx.store.get_state(ctx.source, stream.key) or {}
        if state.get("phase") == "incremental" or state.get("after"):
            continue
        if len(targets(stream)) > MAX_ASSOCIATED:
            continue
        try:
            if ctx.no_exports is not None:
                raise ExportUnavailable(ctx.no_exports)
            started[stream.key] = Started(_start(ctx, stream), time.monotonic())
        except ExportUnavailable as exc:
            _unavailable(ctx, stream, exc)
    return started


def pull_by_export(
    ctx: StreamContext, stream: Stream, started: Started | None
) -> IngestResult | None:
    """A full pull of `stream` through its started export; None when none was started or
    it failed (then the stream is listed)."""
    if started is None:
        return None
    state = ctx.store.get_state(ctx.source, stream.key) or {}
    try:
        task = _wait(ctx, started, f"export {stream.object}")
    except ExportUnavailable as exc:
        _unavailable(ctx, stream, exc)
        return None
    result = IngestResult(source=ctx.source, entity=stream.entity, origins=[stream.object])
    with tempfile.TemporaryDirectory(prefix="crm-kpi-export-") as folder:
        path = _download(ctx, task["result"], Path(folder))
        for records, links in _batches(_rows(path), stream, ctx.settings.load_records):
            load_records(ctx, stream, records, result, links)
    start = SearchCursor(max(parse_ms(task["requestedAt"]) - ctx.overlap_ms, 0))
    save_state(ctx, stream, {"phase": "incremental", "cursor": start.as_state()})
    reconcile_archived(ctx, stream, result, first=not state)
    return result


def _unavailable(ctx: StreamContext, stream: Stream, exc: ExportUnavailable) -> None:
    if exc.for_the_run:
        ctx.no_exports = str(exc)  # the next streams would be refused alike
        # `auto` wants exports only where the token has the scope (validate notes it)
        ctx.exports_quiet = exc.scope and ctx.settings.exports == "auto"
    if ctx.progress and not ctx.exports_quiet:
        ctx.progress(f"{stream.object}: no export ({exc}); searching instead")


def export_ids(ctx: StreamContext, stream: Stream, note: Callable[[list[str]], None]) -> bool:
    """Hand `note` every id HubSpot has of `stream`, through an export of the id alone (two
    calls, where listing costs one per 100); False when no export can be had."""
    if ctx.no_exports is not None:
        return False
    try:
        started = Started(_start(ctx, stream, ids_only=True), time.monotonic())
        task = _wait(ctx, started, f"export of the {stream.object} ids")
    except ExportUnavailable as exc:
        _unavailable(ctx, stream, exc)
        return False
    with tempfile.TemporaryDirectory(prefix="crm-kpi-export-") as folder:
        ids: list[str] = []
        for row in _rows(_download(ctx, task["result"], Path(folder))):
            record_id = row.get("hs_object_id") or row.get("Record ID")
            if record_id:
                ids.append(record_id)
            if len(ids) >= ctx.settings.load_records:
                note(ids)
                ids = []
        note(ids)
    return True


def _start(ctx: StreamContext, stream: Stream, ids_only: bool = False) -> str:
    """Start the export (of the id alone with `ids_only`): its task id."""
    body = {
        "exportType": "VIEW",
        "format": "CSV",
        "exportName": f"crm-kpi {ctx.source} {stream.object}{' ids' if ids_only else ''}",
        "objectType": stream.object,
        "objectProperties": [OBJECT_ID_PROPERTY] if ids_only else stream.property_names,
        "associatedObjectType": [] if ids_only else targets(stream),
        "exportInternalValuesOptions": ["NAMES", "VALUES"],
        "includePrimaryDisplayPropertyForAssociatedObjects": False,
        "overrideAssociatedObjectsPerDefinitionPerRowLimit": True,
        "language": "EN",
    }
    try:
        started = ctx.api.call(EXPORTS, "start", public_export_request=body,
                               what=f"export {stream.object}", retry=False).body  # fmt: skip
    except MissingScope as exc:
        raise ExportUnavailable(str(exc), for_the_run=True, scope=True) from None
    except RetriableError as exc:  # the 30 exports a day (429), or HubSpot busy
        raise ExportUnavailable(str(exc), for_the_run=exc.status == 429) from None
    return str(started["id"])


def _wait(ctx: StreamContext, started: Started, what: str) -> Json:
    """The COMPLETE status (with `result`, the URL): polled no sooner than
    `export_poll_seconds` after the start, then at doubling intervals."""
    pause = ctx.settings.export_poll_seconds
    due = started.at + pause
    while True:
        time.sleep(max(due - time.monotonic(), 0.0))
        status = ctx.api.call(EXPORTS, "get_status", started.task, what=f"{what} (status)").body
        state = str(status.get("status") or "")
        if state == "COMPLETE" and status.get("result"):
            return status
        if state not in ("PENDING", "PROCESSING", "COMPLETE"):
            raise ExportUnavailable(f"the export task ended {state or 'without a status'}")
        if time.monotonic() - started.at > MAX_WAIT_SECONDS:
            raise ExportUnavailable(f"the export took more than {MAX_WAIT_SECONDS / 3600:.0f} h")
        pause = min(max(pause * 2, 0.5), MAX_POLL_SECONDS)
        due = time.monotonic() + pause


def _download(ctx: StreamContext, url: str, folder: Path) -> Path:
    """The export's file on disk (streamed: a large export never sits in memory)."""
    ca_file = str(ctx.api.transport.config.ca_file or certifi.where())
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=ca_file, retries=False)
    path = folder / "export"

    def fetch() -> Path:
        try:
            response = pool.request("GET", url, preload_content=False,
                                    timeout=ctx.api.transport.config.http.timeout_seconds)
        except urllib3.exceptions.SSLError:
            raise tls_failed("download an export", urllib3.util.parse_url(url).host or "") from None
        except urllib3.exceptions.HTTPError as exc:
            raise RetriableError(f"download of an export: {type(exc).__name__}") from exc
        try:
            if response.status >= 500:
                raise RetriableError(f"download of an export: HTTP {response.status}", None, 503)
            if response.status != 200:
                raise FatalError(f"HubSpot refused the download of an export ({response.status}; "
                                 "its URL lives five minutes)")
            with path.open("wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
        finally:
            response.release_conn()
        return path

    try:
        return with_retries(ctx.api.transport.http, ctx.api.transport.stats, "HubSpot", fetch)
    finally:
        pool.clear()


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """Every row of the export: one CSV, or each CSV of a zip in name order."""
    with path.open("rb") as raw:
        zipped = raw.read(4) == b"PK\x03\x04"
    if not zipped:
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield from _csv(text)
        return
    with zipfile.ZipFile(path) as bundle:
        for name in sorted(n for n in bundle.namelist() if n.lower().endswith(".csv")):
            with bundle.open(name) as member:
                yield from _csv(io.TextIOWrapper(member, encoding="utf-8-sig", newline=""))


def _csv(text: IO[str]) -> Iterator[dict[str, str]]:
    try:
        yield from csv.DictReader(text)
    except csv.Error as exc:
        raise FatalError(f"HubSpot's export file is not readable CSV: {exc}") from None


def _batches(
    rows: Iterator[dict[str, str]], stream: Stream, size: int
) -> Iterator[tuple[list[Json], Links]]:
    """Rows as list-API records and their associations, `size` records at a time."""
    columns: dict[str, str] | None = None
    records: list[Json] = []
    links: Links = {to: {} for to in targets(stream)}
    for row in rows:
        if columns is None:
            columns = _associated_columns(list(row), stream)
        record_id = row.get("hs_object_id") or row.get("Record ID") or ""
        properties = {p: (row.get(p) or None) for p in stream.property_names}
        records.append({"id": record_id, "properties": properties})
        for header, to in columns.items():
            ids = [i for i in (row.get(header) or "").split(";") if i]
            if ids:
                links[to][record_id] = ids
        if len(records) >= size:
            yield records, links
            records, links = [], {to: {} for to in targets(stream)}
    if records:
        yield records, links


def _associated_columns(headers: list[str], stream: Stream) -> dict[str, str]:
    """`Associated <Singular> IDs` header → the associated object type it holds."""
    wanted = {_key(_singular(to)): to for to in targets(stream)}
    found = {}
    for header in headers:
        m = _ASSOCIATED.match(header)
        if m and _key(m.group(1)) in wanted:
            found[header] = wanted[_key(m.group(1))]
    missing = set(wanted.values()) - set(found.values())
    if missing:
        raise FatalError(f"HubSpot's export of {stream.object} lacks the associated "
                         f"{', '.join(sorted(missing))} ids")  # fmt: skip
    return found


def _singular(obj: str) -> str:
    name = obj.replace("_", " ")
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())
