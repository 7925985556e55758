"""The HubSpot source: validate the mapping, then pull every stream into the store."""

from __future__ import annotations

from connector.crms.base import Progress, Survey
from connector.crms.config import MappingLines
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.config import HubSpotConfig
from connector.crms.hubspot.extras import load_owners, load_tables
from connector.crms.hubspot.mapping import HubSpotMapping
from connector.crms.hubspot.records import StageMeta
from connector.crms.hubspot.streams import StreamContext, pull_stream
from connector.crms.hubspot.targets import read_goals
from connector.crms.hubspot.validate import check_mapping, option_problems, survey_portal
from connector.errors import ConfigError
from connector.store import IngestResult, ParseOptions, Store


class HubSpotSource:
    """One configured HubSpot portal as a `Source`; `api_calls` counts every call made."""

    def __init__(self, config: HubSpotConfig, mapping: HubSpotMapping, timezone: str) -> None:
        self.name = config.name
        self.config = config
        self.mapping = mapping
        self.opts = ParseOptions(timezone=timezone)
        self.transport = HubSpotClient(config)
        self.api = HubSpotApi(self.transport, config.pull.max_url_chars)

    @property
    def api_calls(self) -> int:
        """API calls made by this source so far (retries included)."""
        return self.transport.api_calls

    def validate(self) -> list[str]:
        """Every mapped object and property the portal lacks, and every value map key that
        is not an option of the property it maps (empty when none)."""
        try:
            problems = check_mapping(self.api, self.mapping, self.config.mapping_path.name)
            where = MappingLines(self.config.mapping_path)
            return problems + option_problems(self.api, self.mapping, where)
        finally:
            self.transport.close()

    def survey(self) -> Survey:
        """The portal's owners, teams and territories; a note when goals cannot be read."""
        try:
            return survey_portal(self.api, self.mapping, self.name)
        finally:
            self.transport.close()

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Validate, then pull owners, every stream and the cost and rate tables."""
        try:
            problems = check_mapping(self.api, self.mapping, self.config.mapping_path.name)
            if problems:
                raise ConfigError([
                    f"{self.config.mapping_path}: the mapping of source {self.name} does not "
                    "fit the portal (crm-kpi validate lists the same):",
                    *(f"  {problem}" for problem in problems),
                ])  # fmt: skip
            pull = self.config.pull
            ctx = StreamContext(
                store,
                self.name,
                self.api,
                self.opts,
                self._stages(),
                pull.overlap_seconds * 1000,
                pull.load_records,
                progress,
            )
            results = [load_owners(store, self.name, self.api, self.mapping, self.opts)]
            for stream in self.mapping.streams:
                if progress:
                    progress(f"{self.name}: {stream.entity} from {stream.object}")
                results.append(pull_stream(ctx, stream))
            results += load_tables(store, self.name, self.mapping, self.opts)
            goals, note = read_goals(self.api, self.mapping.targets.goals, store=store,
                                     source=self.name, timezone=self.opts.timezone)  # fmt: skip
            results.append(goals)
            if note is not None and progress is not None:
                progress(note)
            return results
        finally:
            self.transport.close()

    def _stages(self) -> StageMeta:
        configs = [s.deal_stages for s in self.mapping.streams if s.deal_stages is not None]
        if not configs:
            return StageMeta()
        return StageMeta.from_pipelines(self.api.pipelines(), configs[0].pipelines)
