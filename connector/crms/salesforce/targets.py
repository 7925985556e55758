"""Collaborative Forecasts' quotas → the `targets` entity (origin quota).

A rep's quota has no Territory2Id: its QuotaOwnerId is the rep it is for. A territory's
quota carries Territory2Id and is the territory's target, whoever set it (its
QuotaOwnerId is that user, often an admin: taking every quota as its owner's would count
territory targets as the admin's). Only amount quotas (QuotaAmount) of the forecasting
types the mapping names and without a product family are read, each in its own
CurrencyIsoCode (the engine converts at the period's first day); the period is the
quota's Period (Month, Quarter or Year) starting on StartDate.

Quotas are few (reps × periods): every pull reads them whole, so a quota gone from the
org leaves the store. Fields an org lacks (CurrencyIsoCode in a single-currency org,
Territory2Id without territory management) are left out of the query; an org without
Collaborative Forecasts has no ForecastingQuota at all: the pull says so and goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from connector.crms import cadence
from connector.crms.salesforce.client import Record, SalesforceClient
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.mapping import QuotaTargets
from connector.crms.salesforce.paging import query_pages
from connector.schema import ENTITY_BY_NAME, DateWindow
from connector.store import IngestResult, ParseOptions, Store, ingest_rows

QUOTA = "ForecastingQuota"
COLUMNS = ["id", "modified_at", "kpi", "period_type", "period_start", "scope_type", "scope_id",
           "value", "currency", "origin"]  # fmt: skip
_PERIOD_TYPES = {"Month": "month", "Quarter": "quarter", "Year": "year"}
_REQUIRED = ("QuotaOwnerId", "StartDate", "QuotaAmount")
_OPTIONAL = ("CurrencyIsoCode", "Territory2Id", "ForecastingTypeId", "PeriodId", "ProductFamily")
_UNAVAILABLE = (
    "{source}: ForecastingQuota is not available (Collaborative Forecasts is off, or the "
    "integration user cannot see it): no quota targets are read"
)


@dataclass(frozen=True)
class QuotaQuery:
    """What this org's ForecastingQuota can be asked for."""

    fields: tuple[str, ...]
    has: frozenset[str]

    def soql(self) -> str:
        """The query of every quota (SystemModstamp: when it last changed)."""
        return f"SELECT {', '.join(self.fields)} FROM {QUOTA}"


def quota_query(transport: SalesforceClient) -> QuotaQuery | None:
    """The quota query this org answers, or None when it has no readable quotas."""
    try:
        described = transport.describe(QUOTA)
    except SalesforceApiError as exc:
        if exc.status != 404:
            raise
        return None
    names = {str(f["name"]) for f in described.get("fields", [])}
    if not described.get("queryable", True) or not set(_REQUIRED) <= names:
        return None
    has = frozenset(n for n in _OPTIONAL if n in names)
    fields = ["Id", "SystemModstamp", *_REQUIRED, *(n for n in _OPTIONAL if n in has)]
    fields += ["Territory2.Name"] if "Territory2Id" in has else []
    fields += ["Period.Type"] if "PeriodId" in has else []
    return QuotaQuery(tuple(fields), has)


def unavailable_note(source: str) -> str:
    """What is said of an org without readable quotas."""
    return _UNAVAILABLE.format(source=source)


def read_quotas(
    transport: SalesforceClient,
    settings: QuotaTargets | None,
    *,
    store: Store,
    source: str,
    timezone: str,
    window: DateWindow | None = None,
) -> tuple[IngestResult, str | None]:
    """Load the org's quotas as this source's targets (a full set: none when `settings`
    is None or the org has none), and a note when the org has no readable quotas."""
    rows: list[list[Any]] = []
    note = None
    if settings is not None:
        if not cadence.due(store, source, "quotas", settings, settings.every_hours):
            return IngestResult(source, "targets"), None
        query = quota_query(transport)
        if query is None:
            note = unavailable_note(source)
        else:
            types = _type_ids(transport, settings.forecasting_types) if _typed(query) else None
            for page in query_pages(transport, query.soql()):
                rows += quota_rows(page, settings, types)
    result = ingest_rows(store, source=source, entity=ENTITY_BY_NAME["targets"],
                         columns=COLUMNS, rows=rows, origin=QUOTA,
                         opts=ParseOptions(timezone=timezone, window=window),
                         full=True)  # fmt: skip
    cadence.read(store, source, "quotas", settings)
    return result, note


def _typed(query: QuotaQuery) -> bool:
    return "ForecastingTypeId" in query.has


def _type_ids(transport: SalesforceClient, names: list[str]) -> set[str] | None:
    """Ids of the named forecasting types (None: every type is read)."""
    if not names:
        return None
    wanted = {n.lower() for n in names}
    found: set[str] = set()
    for page in query_pages(transport, "SELECT Id, DeveloperName FROM ForecastingType"):
        found |= {str(r["Id"]) for r in page if str(r["DeveloperName"]).lower() in wanted}
    return found


def quota_rows(
    records: Iterable[Record], settings: QuotaTargets, types: set[str] | None
) -> list[list[Any]]:
    """Target rows (COLUMNS) of the quotas that are amount targets of a rep or territory."""
    rows = []
    for quota in records:
        if types is not None and str(quota.get("ForecastingTypeId")) not in types:
            continue
        if quota.get("ProductFamily") or quota.get("QuotaAmount") is None:
            continue  # a product family's quota, or a quantity quota
        period_type = _PERIOD_TYPES.get(str((quota.get("Period") or {}).get("Type") or "Month"))
        if period_type is None:
            continue  # a weekly quota: no KPI period is a week
        scope_type, scope_id = "owner", quota.get("QuotaOwnerId")
        if quota.get("Territory2Id"):
            scope_type, scope_id = "territory", (quota.get("Territory2") or {}).get("Name")
        rows.append([quota["Id"], quota.get("SystemModstamp"), settings.kpi, period_type,
                     quota.get("StartDate"), scope_type, scope_id, quota.get("QuotaAmount"),
                     quota.get("CurrencyIsoCode"), "quota"])  # fmt: skip
    return rows
