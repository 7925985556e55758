"""The Salesforce source: validate the mapping against the org, then pull every stream."""

from __future__ import annotations

from dataclasses import dataclass

from connector.crms.base import Progress, Survey
from connector.crms.config import MappingLines
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.deletes import reconcile
from connector.crms.salesforce.mapping import SalesforceMapping
from connector.crms.salesforce.streams import StreamPuller
from connector.crms.salesforce.targets import read_quotas
from connector.crms.salesforce.validate import (
    Describer,
    Resolved,
    resolve_mapping,
    survey_org,
    value_map_problems,
)
from connector.errors import ConfigError
from connector.store import IngestResult, Store
from connector.store.staging import derive_lead_ids, forget_seen


@dataclass
class SalesforceSource:
    """One configured Salesforce org (the `Source` protocol)."""

    name: str
    config: SalesforceConfig
    mapping: SalesforceMapping
    timezone: str
    api_calls: int = 0  # calls made by the last pull (validate's included)

    def transport(self) -> SalesforceClient:
        """A new connection to the org (close it after use)."""
        return SalesforceClient(self.config)

    def validate(self) -> list[str]:
        """Every mapped sObject and field the org lacks or hides, each with a hint, and
        every value map key that is not a value of the picklist it maps."""
        with self.transport() as transport:
            describer = Describer(transport)
            problems = resolve_mapping(self.mapping, describer).problems
            where = MappingLines(self.config.mapping_path)
            return problems + value_map_problems(self.mapping, describer.get, where)

    def survey(self) -> Survey:
        """The org's reps, teams and territories; a note when it has no quotas to read."""
        with self.transport() as transport:
            return survey_org(transport, self.mapping, self.name)

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Validate, then pull every stream (full or incremental), then reconcile deletes."""
        with self.transport() as transport:
            transport.limits()  # the first answer fixes this run's API budget
            resolved = self._resolved(transport)
            puller = StreamPuller(
                source=self.name,
                transport=transport,
                store=store,
                mapping=self.mapping,
                resolved=resolved,
                settings=self.config.pull,
                timezone=self.timezone,
                progress=progress,
            )
            forget_seen(store)
            plans = [puller.plan(stream) for stream in self.mapping.streams]
            estimate = sum(plan.estimated_calls for plan in plans)
            transport.guard.ensure(estimate, f"the pull of {self.name}")
            results = [puller.run(plan) for plan in plans]
            results += reconcile(puller, list(self.mapping.streams))
            self._derive_lead_ids(store)
            quotas, note = read_quotas(transport, self.mapping.targets.quotas, store=store,
                                       source=self.name, timezone=self.timezone)  # fmt: skip
            results.append(quotas)
            if note is not None and progress is not None:
                progress(note)
            self.api_calls = transport.api_calls
            if progress is not None:
                progress(f"{self.name}: {transport.api_calls} Salesforce API calls")
        return results

    def _resolved(self, transport: SalesforceClient) -> Resolved:
        resolved = resolve_mapping(self.mapping, Describer(transport))
        if resolved.problems:
            raise ConfigError([
                f"{self.config.mapping_path}: the mapping of source {self.name} does not fit "
                "the org (crm-kpi validate lists the same):",
                *(f"  {problem}" for problem in resolved.problems),
            ])  # fmt: skip
        return resolved

    def _derive_lead_ids(self, store: Store) -> None:
        maps_lead = any(
            s.entity == "opportunities" and "lead_id" in s.fields for s in self.mapping.streams
        )
        if self.mapping.opportunity_lead_from_conversion and not maps_lead:
            derive_lead_ids(store, self.name)
