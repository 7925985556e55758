"""The HubSpot source: validate the mapping, then pull every stream into the store.

A nightly pull of a quiet portal costs one search per stream, but one call for all the
engagement streams (probe.py): the properties check, the owners and the pipelines come
from the store while younger than `pull.metadata_every_hours` (and are read again at
once when the pull meets what they cannot explain), archived records are listed every
`pull.reconcile_every_hours`, and every live id every `pull.purge_check_every_hours`
(deletes.py).
"""

from __future__ import annotations

from connector.crms.base import Progress, Survey
from connector.crms.config import MappingLines
from connector.crms.hubspot.advice import first_pull_note, missing_scope, validate_note
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.catalog import Catalog
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.config import HubSpotConfig
from connector.crms.hubspot.context import StreamContext
from connector.crms.hubspot.deletes import reconcile_purged
from connector.crms.hubspot.exports import pull_by_export, start_exports
from connector.crms.hubspot.extras import load_owners, load_tables, unknown_owners
from connector.crms.hubspot.mapping import HubSpotMapping
from connector.crms.hubspot.probe import EngagementProbe
from connector.crms.hubspot.streams import plan_whole_reads, pull_stream, settle_stream
from connector.crms.hubspot.targets import read_goals
from connector.crms.hubspot.validate import (
    PropertyCatalog,
    check_mapping,
    option_problems,
    survey_portal,
)
from connector.errors import ConfigError
from connector.schema import DateWindow
from connector.store import IngestResult, ParseOptions, Store


class HubSpotSource:
    """One configured HubSpot portal as a `Source`; `api_calls` counts every call made."""

    def __init__(
        self, config: HubSpotConfig, mapping: HubSpotMapping, timezone: str,
        window: DateWindow | None = None,
    ) -> None:  # fmt: skip
        self.name = config.name
        self.config = config
        self.mapping = mapping
        self.opts = ParseOptions(timezone=timezone, window=window)
        self.transport = HubSpotClient(config)
        self.api = HubSpotApi(self.transport, config.pull.max_url_chars)
        self.records_read = 0  # records the API answered in the last pull
        # validate, then survey: the property definitions (with options) read once for both
        self.properties = PropertyCatalog(self.api)

    @property
    def api_calls(self) -> int:
        """API calls made by this source so far (retries included)."""
        return self.transport.api_calls

    @property
    def api_remaining(self) -> int | None:
        """The portal's daily API calls left, as its last answer said (None if unsaid)."""
        return self.transport.daily.remaining

    def deprecations(self) -> list[str]:
        """Notes on the mapping file, read in last release's spelling (empty when none)."""
        return self.mapping.deprecations()

    def validate(self) -> list[str]:
        """Every mapped object and property the portal lacks, and every value map key that
        is not an option of the property it maps (empty when none)."""
        try:
            where = MappingLines(self.config.mapping_path)
            problems = check_mapping(self.properties, self.mapping, where)
            if self.config.pull.exports is True:
                problems += self._export_scope()
            return problems + option_problems(self.properties, self.mapping, where)
        finally:
            self.transport.close()

    def survey(self) -> Survey:
        """The portal's owners, teams and territories; a note when goals cannot be read."""
        try:
            survey = survey_portal(self.properties, self.mapping, self.name)
            note = validate_note(self.api, self.name, list(self.mapping.streams),
                                 self.config.pull.exports)  # fmt: skip
            survey.notes += [note] if note else []
            return survey
        finally:
            self.transport.close()

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Validate, then pull owners, every stream and the cost and rate tables."""
        pull = self.config.pull
        self.api.forget()
        try:
            catalog = Catalog(self.api, store, self.name, pull.metadata_every_hours)
            self._check(catalog)
            deal_stages = next((s.deal_stages for s in self.mapping.streams if s.deal_stages),
                               None)  # fmt: skip
            ctx = StreamContext(store, self.name, self.api, self.opts, catalog,
                                catalog.stages(deal_stages), pull, progress,
                                value_maps=self.mapping.value_maps)  # fmt: skip
            owners_first = catalog.owners_due()
            results = [self._owners(store, catalog)] if owners_first else []
            results += self._streams(ctx)
            if ctx.full_streams and not pull.exports:
                self._say(progress, first_pull_note(self.api, self.name, ctx.full_calls,
                                                    ctx.full_records, ctx.full_streams))
            results += reconcile_purged(ctx, list(self.mapping.streams))
            if not owners_first and unknown_owners(store, self.name):
                results.append(self._owners(store, catalog))  # a new rep, or a renamed team
            results += load_tables(store, self.name, self.mapping, self.opts)
            goals, note = read_goals(self.api, self.mapping.targets.goals, store=store,
                                     source=self.name, opts=self.opts)  # fmt: skip
            results.append(goals)
            self._say(progress, note)
            self.records_read = ctx.records_read
            return results
        finally:
            self.transport.close()

    def _streams(self, ctx: StreamContext) -> list[IngestResult]:
        """Pull every stream (by export where started, else listed or searched); a
        stream whose raw rows lack a field the mapping reads is read whole again, and a
        mapping edit re-derives the stored records of the streams it shapes."""
        streams, progress = self.mapping.streams, ctx.progress
        rereads = plan_whole_reads(ctx, streams)
        for note in rereads.values():
            self._say(progress, note)
        probe = EngagementProbe(ctx, streams)
        exports = start_exports(ctx, streams) if self.config.pull.exports else {}
        results = []
        for stream in streams:
            self._say(progress, f"{self.name}: {stream.entity} from {stream.object}")
            before = ctx.store.get_state(self.name, stream.key) or {}
            exported = pull_by_export(ctx, stream, exports.get(stream.key))
            result = exported or pull_stream(ctx, stream, probe.quiet(stream))
            result.notes[:0] = [rereads[stream.key]] if stream.key in rereads else []
            settle_stream(ctx, stream, result, before)
            results.append(result)
        return results

    @staticmethod
    def _say(progress: Progress | None, note: str | None) -> None:
        if note is not None and progress is not None:
            progress(note)

    def _check(self, catalog: Catalog) -> None:
        problems = check_mapping(catalog, self.mapping, MappingLines(self.config.mapping_path))
        if problems:
            raise ConfigError([
                f"{self.config.mapping_path}: the mapping of source {self.name} does not fit "
                "the portal (crm-kpi validate lists the same):",
                *(f"  {problem}" for problem in problems),
            ])  # fmt: skip

    def _owners(self, store: Store, catalog: Catalog) -> IngestResult:
        result = load_owners(store, self.name, self.api, self.mapping, self.opts)
        catalog.owners_listed()
        return result

    def _export_scope(self) -> list[str]:
        missing = missing_scope(self.api)
        if missing is None:
            return []
        return [f"pull.exports is on but {missing}: grant the private app the crm.export "
                "scope (an OAuth app needs a super admin to install it), or set "
                "pull.exports: auto (exports when the scope is granted) or false"]
