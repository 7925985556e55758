"""Records left out of the KPIs, per source and entity: what a "succeeded" must not hide.

Two kinds: records the KPI engine could not convert (won deals and costs without an
exchange rate: its findings), against the live records of that kind; and rows a pull
set aside (quarantined), against the rows that pull read.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.ops.facts import Exclusion
from connector.store.db import Store
from connector.store.ingest import IngestResult

ENGINE_ORIGIN = "kpi engine"  # the origin of the KPI engine's findings (kpi.results)

_RATE_FIX = (
    "add the missing exchange rates (Salesforce: DatedConversionRate or CurrencyType; "
    "HubSpot and files: the mapping's exchange_rates) and run again"
)
# Per entity the engine reports: the records it is counted against, and the effect.
_ENGINE = {
    "opportunities": ("won deals", "is_won AND close_date IS NOT NULL",
                      "left out of revenue and every money KPI: no exchange rate for"),
    "costs": ("costs", "TRUE", "left out of CAC on days without an exchange rate for"),
}  # fmt: skip


def rate_exclusions(store: Store) -> list[Exclusion]:
    """Won deals and costs without an exchange rate, per source, against their live
    records of that kind (the KPI engine's last findings)."""
    if not store.has_table("findings"):
        return []
    rows = store.fetch(
        "SELECT source, entity, count(DISTINCT record_id), string_agg(DISTINCT value, ', ' "
        "ORDER BY value) FROM findings WHERE origin = ? GROUP BY source, entity "
        "ORDER BY source, entity",
        [ENGINE_ORIGIN],
    )
    found: list[Exclusion] = []
    for source, entity, count, currencies in rows:
        if entity not in _ENGINE:
            continue
        label, where, effect = _ENGINE[entity]
        total = store.scalar(
            f"SELECT count(*) FROM {entity} WHERE source = ? AND NOT is_deleted AND {where}",
            [source],
        )
        found.append(Exclusion(str(source), label, int(count), int(total or 0),
                               f"{effect} {currencies}", _RATE_FIX))  # fmt: skip
    return found


def quarantine_exclusions(results: Sequence[IngestResult], problems: str) -> list[Exclusion]:
    """Rows a pull set aside, per source and entity, against the rows it read."""
    totals: dict[tuple[str, str], list[int]] = {}
    for result in results:
        counts = totals.setdefault((result.source, result.entity), [0, 0])
        counts[0] += result.quarantined
        counts[1] += result.loaded + result.quarantined
    return [
        Exclusion(source, entity, bad, read, "set aside as unreadable (quarantined)",
                  f"correct the records {problems} lists in the CRM or export")
        for (source, entity), (bad, read) in sorted(totals.items()) if bad
    ]  # fmt: skip


def over_threshold(found: Sequence[Exclusion], share: float, min_records: int) -> bool:
    """Whether any exclusion is above `share` of its records and at least `min_records`."""
    return any(e.count >= min_records and e.share > share for e in found)

