"""What does not come from CRM objects: owners (owners API), costs and exchange rates.

Owners are few: a pull reads them all, active and archived (deactivated users stay
owners, inactive), when they were last read `pull.metadata_every_hours` ago or when a
record names an owner the store does not know. Costs and exchange rates come from CSV
files in the normalized layout or from rows written in the mapping; HubSpot holds
neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.mapping import HubSpotMapping
from connector.crms.hubspot.paging import list_pages
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult, ParseOptions, Store, ingest_rows
from connector.store.csvfile import CsvLayout, load_csv

OWNER_COLUMNS = ["id", "modified_at", "name", "email", "team", "territory", "active"]


def owner_rows(api: HubSpotApi, mapping: HubSpotMapping) -> Iterator[list[Any]]:
    """One row per owner, active ones first; team = the primary team's name."""
    territories = mapping.owners.team_territories
    for archived in (False, True):
        for page, _ in list_pages(_owners_fetch(api, archived)):
            for owner in page.get("results") or []:
                team = _primary_team(owner)
                name = " ".join(p for p in (owner.get("firstName"), owner.get("lastName")) if p)
                yield [
                    str(owner["id"]),
                    owner.get("updatedAt"),
                    name or None,
                    owner.get("email"),
                    team,
                    territories.get(team or ""),
                    not archived and not owner.get("archived", False),
                ]


def _owners_fetch(api: HubSpotApi, archived: bool) -> Callable[[str | None], dict[str, Any]]:
    def fetch(after: str | None) -> dict[str, Any]:
        return api.owners_page(after, archived=archived)

    return fetch


def _primary_team(owner: dict[str, Any]) -> str | None:
    teams = owner.get("teams") or []
    primary = [t for t in teams if t.get("primary")] or teams
    return str(primary[0].get("name")) if primary else None


def load_owners(
    store: Store, source: str, api: HubSpotApi, mapping: HubSpotMapping, opts: ParseOptions
) -> IngestResult:
    """All owners, as a full set: owners no longer listed are marked deleted."""
    rows = list(owner_rows(api, mapping))
    return ingest_rows(store, source=source, entity=ENTITY_BY_NAME["owners"],
                       columns=OWNER_COLUMNS, rows=rows, origin="owners API", opts=opts,
                       full=True)  # fmt: skip


_OWNED = ("accounts", "leads", "opportunities", "activities")


def unknown_owners(store: Store, source: str) -> int:
    """How many owner ids the source's records name that its owners do not hold."""
    named = " UNION ".join(
        f"SELECT owner_id FROM {t} WHERE source = $source AND owner_id IS NOT NULL "
        "AND NOT is_deleted" for t in _OWNED
    )
    return int(store.scalar(
        f"SELECT count(*) FROM ({named}) o WHERE owner_id NOT IN "
        "(SELECT id FROM owners WHERE source = $source)", {"source": source}) or 0)  # fmt: skip


def load_tables(
    store: Store, source: str, mapping: HubSpotMapping, opts: ParseOptions
) -> list[IngestResult]:
    """Costs and exchange rates from their CSV files or mapping rows (full sets)."""
    results = []
    for name, path in mapping.files.items():
        entity = ENTITY_BY_NAME[name]
        results.append(load_csv(store, source=source, entity=entity, path=path,
                                layout=CsvLayout(), opts=opts))  # fmt: skip
    for name, rows in mapping.rows.items():
        # Only the fields written: without `id`, the store derives it from the natural key.
        fields = [f for f in ENTITY_BY_NAME[name].data_fields if any(f in r for r in rows)]
        values = [[r.get(f) for f in fields] for r in rows]
        results.append(ingest_rows(store, source=source, entity=ENTITY_BY_NAME[name],
                                   columns=fields, rows=values, origin="mapping rows",
                                   opts=opts, full=True))  # fmt: skip
    return results
