"""The Salesforce source: validate the mapping against the org, then pull every stream.

A pull starts with one or two composite requests (one API call each): the cached
describes revalidated (`If-Modified-Since`), the org's settled time (getUpdated's
`latestDateCovered`), and the first REST page of every stream, whose `totalSize` says
whether the rest comes over REST or Bulk API 2.0. An unchanged org costs just that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connector.crms.base import Progress, Survey
from connector.crms.config import MappingLines
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.composite import SubAnswer, Subrequest, run_composite
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.deletes import reconcile
from connector.crms.salesforce.describes import Describer, resolve
from connector.crms.salesforce.mapping import SalesforceMapping
from connector.crms.salesforce.paging import read_ahead
from connector.crms.salesforce.picklists import value_problems
from connector.crms.salesforce.state import parse_ts
from connector.crms.salesforce.streams import Plan, StreamPuller
from connector.crms.salesforce.targets import read_quotas
from connector.crms.salesforce.validate import Resolved, survey_org
from connector.errors import ConfigError, LimitExceededError
from connector.schema import DateWindow
from connector.store import IngestResult, Store
from connector.store.staging import derive_lead_ids, forget_seen

SETTLED_REF = "settled"
CADENCES = (
    "its checks on a cadence: records deleted for good (pull.reconcile_every_hours in "
    "config.yaml) and quotas (targets.quotas.every_hours in the mapping)"
)
# A query refused for what it names: the cached describes may be stale.
STALE = frozenset({"INVALID_FIELD", "INVALID_TYPE", "MALFORMED_QUERY"})


@dataclass
class SalesforceSource:
    """One configured Salesforce org (the `Source` protocol)."""

    name: str
    config: SalesforceConfig
    mapping: SalesforceMapping
    timezone: str
    api_calls: int = 0  # calls made by the last pull (validate's included)
    records_read: int = 0  # records the API answered in the last pull
    api_remaining: int | None = None  # the org's daily API calls left after the last pull
    window: DateWindow | None = None  # the business dates records may carry (None: default)

    def transport(self) -> SalesforceClient:
        """A new connection to the org (close it after use)."""
        return SalesforceClient(self.config)

    def deprecations(self) -> list[str]:
        """Notes on the mapping file, read in last release's spelling (empty when none)."""
        return self.mapping.deprecations()

    def validate(self) -> list[str]:
        """Every mapped sObject and field the org lacks or hides, each with a hint, and
        every value map key or exclusion that is no value of the field it names, each at
        its mapping line."""
        with self.transport() as transport:
            describer = Describer(transport, None, self.name)
            where = MappingLines(self.config.mapping_path)
            problems = resolve(self.mapping, describer, where).problems
            return problems + value_problems(transport, self.mapping, describer.get, where)

    def survey(self) -> Survey:
        """The org's reps, teams and territories; a note when it has no quotas to read."""
        with self.transport() as transport:
            return survey_org(transport, self.mapping, self.name)

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Probe every stream, pull each (full or incremental), then reconcile deletes."""
        with self.transport() as transport:
            describer = Describer(transport, store, self.name)
            puller = StreamPuller(
                source=self.name,
                transport=transport,
                store=store,
                mapping=self.mapping,
                resolved=self._resolved(describer),
                settings=self.config.pull,
                timezone=self.timezone,
                progress=progress,
                window=self.window,
            )
            forget_seen(store)
            plans = self._probed(puller, describer)
            self._within_budget(transport, plans, progress)
            results = _every_stream(puller, plans)
            results += self._on_cadence(puller, progress)
            self.api_calls, self.records_read = transport.api_calls, puller.records_read
            guard = transport.guard
            if guard.limit is not None and guard.used is not None:
                self.api_remaining = max(guard.limit - guard.used, 0)
            if progress is not None:
                progress(f"{self.name}: {transport.api_calls} Salesforce API calls, "
                         f"{puller.records_read:,} records read")  # fmt: skip
        return results

    def _on_cadence(self, puller: StreamPuller, progress: Progress | None) -> list[IngestResult]:
        """What a pull does when its cadence is due, after every stream: records deleted for
        good reconciled, quotas read. Each run makes it again until it is done, so a budget
        too small for it is said as such, with the settings that help."""
        try:
            results = reconcile(puller, list(self.mapping.streams))
            self._derive_lead_ids(puller.store)
            quotas, note = read_quotas(puller.transport, self.mapping.targets.quotas,
                                       store=puller.store, source=self.name,
                                       timezone=self.timezone, window=self.window)  # fmt: skip
        except LimitExceededError as exc:
            if not puller.transport.guard.spent:
                raise  # Salesforce's own refusal: the allowance is spent, not the budget
            raise LimitExceededError(puller.transport.guard.cadence_message(CADENCES)) from exc
        if note is not None and progress is not None:
            progress(note)
        return [*results, quotas]

    def _within_budget(
        self, transport: SalesforceClient, plans: list[Plan], progress: Progress | None
    ) -> None:
        """A pull larger than what is left of the run's API budget reads what fits (the
        guard stops it at the budget) and the next run resumes: its streams are then read
        over REST, whose pages checkpoint, as a Bulk job stopped halfway is lost."""
        what = f"the pull of {self.name}"
        if transport.guard.ensure(sum(p.estimated_calls for p in plans), what) is None:
            return
        for plan in plans:
            plan.resumable(self.config.api_version)
        note = transport.guard.ensure(sum(p.estimated_calls for p in plans), what)
        if note is not None and progress is not None:
            progress(note)

    def _resolved(self, describer: Describer) -> Resolved:
        resolved = resolve(self.mapping, describer, MappingLines(self.config.mapping_path))
        if resolved.problems:
            raise ConfigError([
                f"{self.config.mapping_path}: the mapping of source {self.name} does not fit "
                "the org (crm-kpi validate lists the same):",
                *(f"  {problem}" for problem in resolved.problems),
            ])  # fmt: skip
        return resolved

    def _probed(self, puller: StreamPuller, describer: Describer) -> list[Plan]:
        """Every stream planned and probed; describes revalidated in the same requests."""
        version = self.config.api_version
        plans = [puller.plan(stream) for stream in self.mapping.streams]
        settled = self._settled_probe(describer)
        subs = [*describer.revalidations(), *settled, *(p.probe(version) for p in plans)]
        answers = run_composite(puller.transport, subs)
        puller.settled = self._settled_time(answers.get(SETTLED_REF))
        changed = describer.revalidated(answers)
        failed = [i for i, p in enumerate(plans) if _stale(answers[p.probe(version).ref])]
        if changed or failed:
            answers = self._probed_again(puller, describer, plans, failed, answers)
        for plan in plans:
            plan.accept(answers[plan.probe(version).ref], self.config.pull, version)
        return plans

    def _probed_again(
        self,
        puller: StreamPuller,
        describer: Describer,
        plans: list[Plan],
        failed: list[int],
        answers: dict[str, SubAnswer],
    ) -> dict[str, SubAnswer]:
        """After a describe changed or a probe failed: resolve again (a stale cache is
        dropped first), then probe again the streams whose query changed or failed."""
        if failed:
            describer.forget()
        puller.resolved = self._resolved(describer)
        version = self.config.api_version
        again = []
        for index, plan in enumerate(plans):
            fresh = puller.plan(plan.stream)
            if index in failed or fresh.query != plan.query:
                plans[index] = fresh
                again.append(fresh.probe(version))
        return {**answers, **run_composite(puller.transport, again)}

    def _settled_probe(self, describer: Describer) -> list[Subrequest]:
        """getUpdated of one mapped sObject around now: its `latestDateCovered` is the
        org's time before which every change is visible (REST API guide, "Get Updated")."""
        for stream in self.mapping.streams:
            described = describer.get(stream.object)
            if described is not None and described.get("replicateable", True):
                now = dt.datetime.now(dt.UTC).replace(microsecond=0)
                start = (now - dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S%%2B00:00")
                end = (now + dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S%%2B00:00")
                url = (f"/services/data/v{self.config.api_version}/sobjects/"
                       f"{described.get('name', stream.object)}/updated/?start={start}&end={end}")
                return [Subrequest(SETTLED_REF, url)]
        return []

    def _settled_time(self, answer: SubAnswer | None) -> dt.datetime | None:
        """latestDateCovered minus the overlap; None when the org gave no such time."""
        if answer is None or answer.status != 200 or not isinstance(answer.body, dict):
            return None
        covered = parse_ts(str(answer.body.get("latestDateCovered") or ""))
        if covered is None:
            return None
        return covered - dt.timedelta(seconds=self.config.pull.overlap_seconds)

    def _derive_lead_ids(self, store: Store) -> None:
        maps_lead = any(
            s.entity == "opportunities" and "lead_id" in s.fields for s in self.mapping.streams
        )
        if self.mapping.opportunity_lead_from_conversion and not maps_lead:
            derive_lead_ids(store, self.name)


def _every_stream(puller: StreamPuller, plans: list[Plan]) -> list[IngestResult]:
    """Pull every planned stream. Once the run's budget is spent, the streams still to
    come load the first page their probe read (no call), up to their next call, before
    the run stops: a small budget makes that progress every run."""
    guard, stopped = puller.transport.guard, None
    try:
        _read_ahead(puller.transport, plans)
    except LimitExceededError as exc:
        if not guard.spent:
            raise
        stopped = exc
    results = []
    for plan in plans:
        try:
            results.append(puller.run(plan))
        except LimitExceededError as exc:
            if not guard.spent:
                raise  # Salesforce's own refusal: the allowance is spent, not the budget
            stopped = stopped or exc
    if stopped is not None:
        raise stopped
    return results


def _read_ahead(transport: SalesforceClient, plans: list[Plan]) -> None:
    """The pages after each REST stream's first, up to five a stream, read together (a
    change set spread over a few streams is then one more call, not one per stream)."""
    rest = {plan.key: plan.first for plan in plans if not plan.bulk and plan.first is not None}
    ahead = read_ahead(transport, rest)
    for plan in plans:
        plan.ahead = ahead.get(plan.key, [])


def _stale(answer: SubAnswer) -> bool:
    """Whether a probe was refused for what it names (a field or object the cache knew)."""
    return answer.status == 400 and answer.error()[0] in STALE
