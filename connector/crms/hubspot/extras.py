"""What does not come from CRM objects: owners (owners API), costs and exchange rates.

Owners are few: each pull reads them all, active and archived (deactivated users stay
owners, inactive). Costs and exchange rates come from CSV files in the normalized
layout or from rows written in the mapping; HubSpot holds neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.mapping import HubSpotMapping
from connector.crms.hubspot.paging import list_pages
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult, ParseOptions, Store, ingest, stage_rows
from connector.store.normalize import quote

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
    stage_rows(store, "_hs_owners", OWNER_COLUMNS, rows)
    try:
        return ingest(
            store,
            source=source,
            entity=ENTITY_BY_NAME["owners"],
            staged="_hs_owners",
            origin="owners API",
            opts=opts,
            full=True,
        )
    finally:
        store.con.execute("DROP TABLE IF EXISTS _hs_owners")


def load_tables(
    store: Store, source: str, mapping: HubSpotMapping, opts: ParseOptions
) -> list[IngestResult]:
    """Costs and exchange rates from their CSV files or mapping rows (full sets)."""
    results = []
    for name, path in mapping.files.items():
        results.append(_load(store, source, name, _csv_select(path), path.name, opts))
    for name, rows in mapping.rows.items():
        # Only the fields written: without `id`, the store derives it from the natural key.
        fields = [f for f in ENTITY_BY_NAME[name].data_fields if any(f in r for r in rows)]
        stage_rows(store, "_hs_rows", fields, [[r.get(f) for f in fields] for r in rows])
        results.append(_load(store, source, name, "SELECT * FROM _hs_rows", "mapping rows", opts))
    return results


def _csv_select(path: Path) -> str:
    return (
        f"SELECT row_number() OVER () AS _line, * FROM read_csv({quote(str(path))}, "
        "header=true, all_varchar=true)"
    )


def _load(
    store: Store, source: str, name: str, select: str, origin: str, opts: ParseOptions
) -> IngestResult:
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE _hs_table AS {select}")
    try:
        return ingest(
            store,
            source=source,
            entity=ENTITY_BY_NAME[name],
            staged="_hs_table",
            origin=origin,
            opts=opts,
            full=True,
        )
    finally:
        store.con.execute("DROP TABLE IF EXISTS _hs_table; DROP TABLE IF EXISTS _hs_rows")
