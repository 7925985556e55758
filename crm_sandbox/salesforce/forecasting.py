"""Collaborative Forecasts' quota objects over the org's quota tables: ForecastingQuota,
ForecastingType, Territory2 and Period (served read-only: the connector reads targets).

Field names and types follow the object reference's ForecastingQuota (QuotaOwnerId,
StartDate, QuotaAmount, QuotaQuantity, CurrencyIsoCode, Territory2Id, ForecastingTypeId,
PeriodId, IsAmount, IsQuantity, ProductFamily, …). A rep's quota belongs to a user-based
forecast type and has no Territory2Id; a territory's quota belongs to a territory-based
type, carries Territory2Id, and its QuotaOwnerId is the user who set it (the integration
user): reading QuotaOwnerId alone mistakes territory targets for a rep's.
"""

from __future__ import annotations

from ..org import Org
from ..org.tables import ADMIN_USER_N, COMMON
from .model import OBJECT_PREFIX, SField, SObject, ref
from .objects import CURRENCY_CODES, obj, pick, ro, s, typed

# (key, DeveloperName, MasterLabel): the developer names are the sandbox's choice.
FORECASTING_TYPES = ((1, "OpportunityRevenue", "Opportunity Revenue"),
                     (2, "OpportunityRevenueTerritory", "Territory Opportunity Revenue"))
TYPES_TABLE = "sf_forecasting_types"


def create_tables(org: Org) -> None:
    """The forecasting types this org has enabled (Salesforce configuration, not data)."""
    start = org.window.start - (org.window.end - org.window.start)
    with org.writing() as con:
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [TYPES_TABLE]).fetchone() != (0,):
            return  # a second surface over the same org
        con.execute(f"CREATE TABLE {TYPES_TABLE} (n BIGINT, developer_name VARCHAR, "
                    f"label VARCHAR, {COMMON})")
        con.executemany(f"INSERT INTO {TYPES_TABLE} (n, developer_name, label, created_at, "
                        "modified_at, system_modstamp) VALUES (?, ?, ?, ?, ?, ?)",
                        [(*t, start, start, start) for t in FORECASTING_TYPES])


def const_ref(name: str, target: str, n_sql: str) -> SField:
    """A read-only lookup whose key is an SQL expression (no relationship to traverse)."""
    return SField(name, "reference", name.removesuffix("Id"),
                  sql=f"sfid('{OBJECT_PREFIX[target]}', {n_sql})", reference_to=(target,),
                  updateable=False, createable=False, length=18)


def quota() -> SObject:
    """ForecastingQuota over `quotas` (rep and territory scopes; teams are HubSpot's)."""
    fields = [
        ro(ref("QuotaOwnerId", "owner_n", "User", "QuotaOwner", label="Quota Owner ID",
               nillable=False)),
        ro(typed("StartDate", "date", "start_date", label="Start Date", nillable=False)),
        ro(typed("QuotaAmount", "currency", "amount", label="Quota Amount")),
        ro(typed("QuotaQuantity", "double", "quantity", label="Quota Quantity")),
        ro(pick("CurrencyIsoCode", "currency", CURRENCY_CODES, label="Currency ISO Code",
                nillable=False)),
        ro(SField("ProductFamily", "picklist", "Product Family", sql="NULL", length=255,
                  picklist=("Software", "Hardware", "Services"))),
        ro(ref("Territory2Id", "territory_n", "Territory2", "Territory2",
               label="Territory ID")),
        const_ref("ForecastingTypeId", "ForecastingType",
                  "CASE WHEN {t}.scope = 'territory' THEN 2 ELSE 1 END"),
        ro(ref("PeriodId", "period_n", "Period", "Period", label="Period ID")),
        ro(SField("IsAmount", "boolean", "Is Amount", sql="{t}.amount IS NOT NULL",
                  nillable=False)),
        ro(SField("IsQuantity", "boolean", "Is Quantity", sql="{t}.quantity IS NOT NULL",
                  nillable=False)),
        *(const_ref(f, "User", str(ADMIN_USER_N)) for f in ("CreatedById",
                                                             "LastModifiedById")),
    ]
    return obj("ForecastingQuota", "quotas", "Forecasting Quota", fields,
               row_filter="{t}.scope IN ('rep', 'territory')", writable=False)


def forecasting_objects() -> list[SObject]:
    """ForecastingQuota and the objects its lookups name."""
    return [
        quota(),
        obj("ForecastingType", TYPES_TABLE, "Forecasting Type", [
            ro(s("DeveloperName", "developer_name", 80, label="Developer Name")),
            ro(s("MasterLabel", "label", 80, label="Master Label")),
            ro(SField("IsActive", "boolean", "Active", sql="true", nillable=False)),
            ro(SField("IsAmount", "boolean", "Is Amount", sql="true", nillable=False)),
            ro(SField("IsQuantity", "boolean", "Is Quantity", sql="false", nillable=False)),
        ], writable=False),
        obj("Territory2", "territories", "Territory", [
            ro(s("Name", "name", 80)),
            ro(s("DeveloperName", "name", 80, label="API Name",
                 sql="regexp_replace({t}.name, '[^A-Za-z0-9]+', '_', 'g')")),
            ro(s("Description", "name", 1000, sql="NULL")),
        ], writable=False),
        obj("Period", "periods", "Period", [
            ro(SField("Type", "picklist", "Type", sql="'Month'", length=40,
                      picklist=("Month", "Quarter", "Week", "Year"))),
            ro(typed("StartDate", "date", "start_date", label="Start Date")),
            ro(typed("EndDate", "date", "end_date", label="End Date")),
            ro(SField("Number", "int", "Number", sql="month({t}.start_date)")),
            ro(SField("IsForecastPeriod", "boolean", "Is Forecast Period", sql="true")),
        ], writable=False),
    ]
