"""Pulling one stream: plan (full or incremental), probe (its first REST page, read in a
composite request with the other streams'), then REST or Bulk by the probe's totalSize;
read, stage, checkpoint."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from connector.crms.base import Progress
from connector.crms.remap import settle_mapping, whole_read_reason
from connector.crms.salesforce import soql
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.composite import SubAnswer, Subrequest
from connector.crms.salesforce.config import Pull
from connector.crms.salesforce.mapping import SalesforceMapping, Stream
from connector.crms.salesforce.paging import (
    CursorReleased,
    pages_to_read,
    query_pages,
    window_calls,
)
from connector.crms.salesforce.records import (
    StreamReader,
    compile_reader,
    derivation,
    raw_fields,
    shape,
)
from connector.crms.salesforce.state import StreamState, later, parse_ts, utc_now_iso
from connector.crms.salesforce.validate import Resolved
from connector.errors import CrmKpiError, FatalError
from connector.schema import DateWindow
from connector.store import IngestResult, ParseOptions, Store
from connector.store.derive import Derivation, derive
from connector.store.raw import (
    RawStream,
    begin_full_read,
    end_full_read,
    raw_stream,
    upsert_raw,
)
from connector.store.staging import remember_seen

REST_PAGE = 2_000
BULK_PAGE = 50_000
BULK_FIXED_CALLS = 2  # create the job, one poll (the interval grows: see client.py)


def rest_calls(count: int) -> int:
    """Calls to read `count` records over REST after the probe's first page: five pages
    a call (see paging.py)."""
    return window_calls(pages_to_read(count, REST_PAGE))


def bulk_calls(count: int) -> int:
    """Calls to read `count` records (less the probe's first page) with Bulk API 2.0:
    create, a poll, a results page per 50,000 (at least one)."""
    return BULK_FIXED_CALLS + max(math.ceil(max(count - REST_PAGE, 0) / BULK_PAGE), 1)


@dataclass
class Plan:
    """How one stream is pulled in this run; `accept` takes its probe's answer."""

    stream: Stream
    key: str
    state: StreamState
    since: dt.datetime | None
    full: bool
    paths: list[str]
    query: str
    raw: RawStream
    reason: str | None = None  # why a stream read incrementally before is read whole
    count: int = 0
    bulk: bool = False
    first: dict[str, Any] | None = None  # the first REST page, read by the probe
    ahead: list[tuple[str, SubAnswer]] = field(default_factory=list)  # pages read ahead
    rest_query: str | None = None  # the probe's query, REST's from its first page on

    @property
    def include_deleted(self) -> bool:
        return self.stream.soft_deletes and not self.full

    @property
    def estimated_calls(self) -> int:
        return bulk_calls(self.count) if self.bulk else rest_calls(self.count)

    def probe(self, api_version: str) -> Subrequest:
        """The first REST page of the query, as a composite subrequest."""
        resource = "queryAll" if self.include_deleted else "query"
        url = f"/services/data/v{api_version}/{resource}/?q={quote_plus(self.query)}"
        return Subrequest(f"probe_{len(self.key)}_{_slug(self.key)}", url)

    def accept(self, answer: SubAnswer, settings: Pull, api_version: str) -> None:
        """Size the pull from the probe's totalSize: REST on from its first page, or the
        first page and Bulk for the rest (its query leaves out the records read), whichever
        costs fewer calls (or Bulk above `bulk_threshold`)."""
        if not answer.ok or not isinstance(answer.body, dict):
            raise answer.failure(f"query {self.stream.object}")
        self.count = int(answer.body.get("totalSize") or 0)
        self.first = answer.body
        self.bulk = (
            bulk_calls(self.count) < rest_calls(self.count)
            or self.count > settings.bulk_threshold
            or soql.too_long_for_rest(self.query, api_version)
        )
        self.rest_query = self.query
        if self.bulk:  # Bulk API 2.0 refuses ORDER BY
            stream, read = self.stream, [str(r["Id"]) for r in self.first.get("records") or []]
            self.query = soql.select(stream.object, self.paths, cursor_field=stream.cursor,
                                     since=self.since, order=False, skip_ids=read)  # fmt: skip


    def resumable(self, api_version: str) -> None:
        """Read over REST, checkpointed page by page, rather than as a Bulk job, which
        does not resume halfway: for a run whose budget does not hold the whole pull."""
        if self.bulk and self.rest_query and not soql.too_long_for_rest(self.rest_query,
                                                                           api_version):
            self.bulk, self.query = False, self.rest_query


def _slug(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key)


@dataclass
class StreamPuller:
    """Pulls the streams of one source with one transport into one store."""

    source: str
    transport: SalesforceClient
    store: Store
    mapping: SalesforceMapping
    resolved: Resolved
    settings: Pull
    timezone: str
    progress: Progress | None = None
    full_ids: set[str] = field(default_factory=set)  # objects pulled whole from the start
    settled: dt.datetime | None = None  # this run's settled time (see state.py)
    records_read: int = 0  # records the API answered, every page of every stream
    window: DateWindow | None = None  # the business dates records may carry (None: default)

    def plan(self, stream: Stream) -> Plan:
        """Decide full or incremental, and the query, for one stream: read whole when its
        raw rows lack a field the mapping reads."""
        key = f"{stream.entity}:{stream.object}"
        state = StreamState.load(self.store, self.source, key)
        since, full = state.since(dt.timedelta(seconds=self.settings.overlap_seconds))
        if not stream.incremental:
            since, full = None, True
        raw = self._raw(stream, key)
        needed = list(raw.columns)
        reason = whole_read_reason(raw, needed, first=state.cursor is None)
        if reason is not None and not (state.resume_full and raw.filled_by_full_read(needed)):
            since, full = None, True
        else:
            reason = None
        paths = [self.resolved.path(stream, p) for p in stream.crm_fields()]
        if stream.soft_deletes and not full:
            paths.append("IsDeleted")
        query = soql.select(stream.object, paths, cursor_field=stream.cursor, since=since)
        return Plan(stream, key, state, since, full, paths, query, raw, reason)

    def _raw(self, stream: Stream, key: str) -> RawStream:
        path = self.resolved.path
        return raw_stream(self.store, source=self.source, stream=key, entity=stream.entity,
                          key=path(stream, stream.key), cursor=path(stream, stream.cursor),
                          fields=raw_fields(stream, self.resolved))  # fmt: skip

    def run(self, plan: Plan) -> IngestResult:
        """Read, stage and load one planned stream; checkpoint as it goes."""
        stream = plan.stream
        result = IngestResult(source=self.source, entity=stream.entity, origins=[stream.object])
        how = "Bulk API 2.0" if plan.bulk else "REST"
        kind = "full" if plan.full else "incremental"
        self._say(f"{stream.object}: {kind} pull of ~{plan.count} records via {how}")
        if plan.reason is not None:
            self._note(f"{stream.object}: {plan.reason}: read whole ({plan.count:,} records, "
                       f"~{plan.estimated_calls} API calls after the first page, which the "
                       "run's probe read)", result)  # fmt: skip
        if plan.full and plan.since is None:
            begin_full_read(self.store, plan.raw, list(plan.raw.columns))
        rules = derivation(stream, self.mapping, self.resolved)
        pending: list[list[Any]] = []
        resumed = plan.state.resume if plan.since is not None else None
        high = plan.state.cursor if not plan.full else resumed
        start, served = (plan.state.resume, plan.state.resume_full), 0
        pages = self._pages(plan)
        reader = compile_reader(stream, self.resolved, flat=False)
        try:
            for reader, page in pages:
                self.records_read += len(page)
                served += len(page)
                rows, page_high = reader.split(page)
                pending += rows
                high = later(high, page_high)
                if len(pending) >= self.settings.checkpoint_every:
                    self._flush(plan, reader, rules, pending, result)
                    pending = []
                    self._checkpoint(plan, high)
        except CrmKpiError:
            self._flush(plan, reader, rules, pending, result)
            self._checkpoint(plan, high)
            raise
        self._flush(plan, reader, rules, pending, result)
        if not plan.bulk and plan.first is not None and served != plan.count:
            self._listed_short(plan, start, served)
        self._finish(plan, high)
        self._settle(plan, rules, result)
        return result

    def _settle(self, plan: Plan, rules: Derivation, result: IngestResult) -> None:
        """After the stream's pull: every stored record derived again if the mapping
        changed since they were (not when they were all read again just now)."""
        note = settle_mapping(self.store, plan.raw, rules,
                              shape(plan.stream, self.mapping, self.timezone), self._opts(),
                              read_whole=plan.full and plan.since is None)  # fmt: skip
        if note is not None:
            self._note(note, result)

    def _note(self, note: str, result: IngestResult) -> None:
        """Say `note` now, and in the run's summary."""
        self._say(note)
        result.notes.append(f"{self.source}: {note}")

    def _listed_short(self, plan: Plan, start: tuple[str | None, bool], served: int) -> None:
        """A REST listing served other than its `totalSize`: its resume point goes back
        to where this run started it (checkpoints may have passed a gap), and the run stops."""
        plan.state.resume, plan.state.resume_full = start
        plan.state.save(self.store, self.source, plan.key)
        raise FatalError(
            f"{self.source}: {plan.stream.object}: Salesforce served {served:,} of the "
            f"{plan.count:,} records its query counted; the next run reads them again"
        )

    def _pages(self, plan: Plan) -> Iterator[tuple[StreamReader, list[dict[str, Any]]]]:
        """(reader, page) of every page: REST pages are nested, Bulk CSV rows flat."""
        nested = compile_reader(plan.stream, self.resolved, flat=False)
        if not plan.bulk:
            yield from ((nested, page) for page in self._rest_pages(plan, nested))
            return
        if plan.first and plan.first.get("records"):
            yield nested, plan.first["records"]
        flat = compile_reader(plan.stream, self.resolved, flat=True)
        pages = self.transport.bulk_pages(
            plan.stream.object, plan.query, include_deleted=plan.include_deleted
        )
        yield from ((flat, page) for page in pages)

    def _rest_pages(self, plan: Plan, reader: StreamReader) -> Iterator[list[dict[str, Any]]]:
        """The REST pages of a planned stream. When the org released its cursor (another
        query opened the user's eleventh), the query is asked again from the last change
        read, inclusive: pages are in cursor order, and what is read twice loads once."""
        first, ahead, served, high = plan.first, plan.ahead, 0, None
        restarted, restarted_at = False, None  # asked again, and from where
        while True:
            try:
                for page in query_pages(self.transport, plan.query, first=first, ahead=ahead,
                                        include_deleted=plan.include_deleted):  # fmt: skip
                    served += len(page)
                    high = later(high, max((reader.cursor(r) or "" for r in page), default=None))
                    yield page
                return
            except CursorReleased as exc:
                if restarted and restarted_at == high:  # nothing read since: stop
                    raise FatalError(
                        f"{plan.stream.object}: {exc} again before anything more was read; "
                        "another job of the integration user may be opening queries: run "
                        "again when it is done") from exc
                restarted, restarted_at = True, high
                stream, since = plan.stream, parse_ts(high or None) or plan.since
                plan.query = soql.select(stream.object, plan.paths, cursor_field=stream.cursor,
                                         since=since)  # fmt: skip
                first = self.transport.first_page(plan.query, include_deleted=plan.include_deleted)
                ahead, plan.count = [], served + int(first.get("totalSize") or 0)
                self._say(f"{stream.object}: Salesforce released the query's cursor; asked "
                          f"again from {since.isoformat() if since else 'the start'}")  # fmt: skip

    def _flush(
        self,
        plan: Plan,
        reader: StreamReader,
        rules: Derivation,
        rows: list[list[Any]],
        result: IngestResult,
    ) -> None:
        """Keep the rows as the org sent them, then derive their records."""
        if not rows:
            return
        upsert_raw(self.store, plan.raw, reader.fields, rows)
        ids = [row[0] for row in rows]
        loaded = derive(self.store, plan.raw, rules, self._opts(), ids)
        result.loaded += loaded.loaded
        result.quarantined += loaded.quarantined
        result.findings += loaded.findings
        result.deleted += loaded.deleted
        if plan.full and plan.since is None:  # ids the org has, left out or not
            remember_seen(self.store, plan.stream.entity, [row[0] for row in rows if not row[2]])

    def _opts(self) -> ParseOptions:
        return ParseOptions(timezone=self.timezone, window=self.window)

    def _checkpoint(self, plan: Plan, high: str | None) -> None:
        if plan.bulk:
            return  # Bulk results are unordered: only a finished job moves the cursor
        plan.state.resume, plan.state.resume_full = high, plan.full
        plan.state.save(self.store, self.source, plan.key)

    def _finish(self, plan: Plan, high: str | None) -> None:
        state = plan.state
        state.cursor = high
        state.resume, state.resume_full = None, False
        state.settled = self.settled.isoformat() if self.settled else None
        if plan.full and plan.since is None:
            self.full_ids.add(plan.key)
            state.last_reconcile = utc_now_iso()
        if plan.full:
            end_full_read(self.store, plan.raw, list(plan.raw.columns))
        state.save(self.store, self.source, plan.key)

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(f"{self.source}: {message}")
