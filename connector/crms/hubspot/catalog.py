"""The portal's metadata a pull needs, kept in the store between runs.

HubSpot's properties, owners and pipelines endpoints answer no conditional request
(no ETag, no Last-Modified), so a nightly run cannot revalidate them for free. They are
read again when `pull.metadata_every_hours` have passed, and at once when the pull meets
what the cached copy cannot explain: a mapped property the cached list lacks (a new
mapping), a deal stage the cached pipelines do not list, an owner id the owners table
does not hold. `validate` always reads them live.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.mapping import DealStages
from connector.crms.hubspot.records import StageMeta
from connector.store import Store
from connector.store.metadata import Cached, cached_metadata, save_metadata

PROPERTIES = "properties:"
PIPELINES = "pipelines:deals"
OWNERS = "owners:listed"
Json = dict[str, Any]


class Catalog:
    """Properties, pipelines and owners' freshness of one portal (cached when `store`)."""

    def __init__(self, api: HubSpotApi, store: Store | None = None, source: str = "",
                 max_age_hours: float = 0.0) -> None:  # fmt: skip
        self.api, self.store, self.source = api, store, source
        self.max_age = dt.timedelta(hours=max_age_hours)
        self.cached: dict[str, Cached] = cached_metadata(store, source) if store else {}
        self.fresh: set[str] = set()  # keys read from HubSpot in this run
        self._names: dict[str, set[str] | None] = {}

    def property_names(self, obj: str, needed: Iterable[str] = ()) -> set[str] | None:
        """The object's property names (None when HubSpot knows no such object); a cached
        list is used while it is young and holds every `needed` name."""
        if obj not in self._names:
            cached = self._current(PROPERTIES + obj)
            if cached is not None and set(needed) <= set(cached.body or []):
                self._names[obj] = set(cached.body)
            else:
                self._names[obj] = self._read_properties(obj)
        return self._names[obj]

    def _read_properties(self, obj: str) -> set[str] | None:
        found = self.api.known_properties(obj)
        if found is None:
            return None
        names = {str(p["name"]) for p in found}
        self._keep(PROPERTIES + obj, sorted(names))
        return names

    def stages(self, cfg: DealStages | None) -> StageMeta:
        """Closed/won flags of every deal stage (cached pipelines while young)."""
        if cfg is None:
            return StageMeta()
        cached = self._current(PIPELINES)
        pipelines = cached.body if cached is not None else self._read_pipelines()
        return StageMeta.from_pipelines(list(pipelines), cfg.pipelines)

    def stages_for(self, meta: StageMeta, cfg: DealStages | None, records: list[Json]) -> StageMeta:
        """`meta`, or the pipelines read again when a record's stage is not in it (a stage
        added since they were cached); at most once a run."""
        if cfg is None or PIPELINES in self.fresh:
            return meta
        for record in records:
            stage = (record.get("properties") or {}).get(cfg.stage_property)
            if stage and str(stage) not in meta.stages:
                return StageMeta.from_pipelines(self._read_pipelines(), cfg.pipelines)
        return meta

    def _read_pipelines(self) -> list[Json]:
        pipelines = self.api.pipelines()
        self._keep(PIPELINES, pipelines)
        return pipelines

    def owners_due(self) -> bool:
        """Whether the owners should be listed again (never listed, or old)."""
        return self._current(OWNERS) is None

    def owners_listed(self) -> None:
        """Note that the owners were just listed."""
        self._keep(OWNERS, True)

    def _current(self, key: str) -> Cached | None:
        cached = self.cached.get(key)
        if cached is None or key in self.fresh:
            return cached
        return cached if cached.age() < self.max_age else None

    def _keep(self, key: str, body: Any) -> None:
        self.fresh.add(key)
        if self.store is not None:
            save_metadata(self.store, self.source, key, body)
            self.cached[key] = cached_metadata(self.store, self.source, key)[key]
