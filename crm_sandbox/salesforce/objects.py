"""The standard (and packaged custom) sObjects of the sandbox org."""

from __future__ import annotations

from ..org.tables import (
    CAMPAIGN_TYPES,
    CURRENCIES,
    DEAL_TYPES,
    EVENT_TYPES,
    INDUSTRIES,
    LEAD_SOURCES,
    LEAD_STATUSES,
    LOST_STAGE,
    OPEN_STAGES,
    TASK_SUBTYPES,
    WON_STAGE,
)
from .model import OBJECT_PREFIX, SField, SObject, base_fields, poly, ref

FULL_NAME = "concat_ws(' ', {t}.first_name, {t}.last_name)"
STAGES = (*(s for s, _ in OPEN_STAGES), WON_STAGE, LOST_STAGE)
CURRENCY_CODES = tuple(c for c, _, _ in CURRENCIES)


def s(name: str, column: str, length: int = 255, **kw: object) -> SField:
    label = str(kw.pop("label", name))
    return SField(name, "string", label, column=column, length=length, **kw)  # type: ignore[arg-type]


def pick(name: str, column: str, values: tuple[str, ...], **kw: object) -> SField:
    label = str(kw.pop("label", name))
    return SField(name, "picklist", label, column=column, picklist=values, length=255, **kw)  # type: ignore[arg-type]


def typed(name: str, type_: str, column: str, **kw: object) -> SField:
    extra: dict[str, object] = {"precision": 18, "scale": 2} if type_ in ("currency",
                                                                          "double") else {}
    label = str(kw.pop("label", name))
    return SField(name, type_, label, column=column, **{**extra, **kw})  # type: ignore[arg-type]


def ro(f: SField) -> SField:
    """Mark a field read-only (derived by the platform)."""
    f.updateable = f.createable = False
    return f


def obj(name: str, table: str, label: str, fields: list[SField], name_sql: str | None = None,
        **kw: object) -> SObject:
    o = SObject(name, table, OBJECT_PREFIX[name], label, **kw)  # type: ignore[arg-type]
    for f in (*base_fields(o.prefix, name_sql), *fields):
        o.add(f)
    return o


def people() -> list[SObject]:
    """Users, roles (teams), accounts and contacts."""
    return [
        obj("UserRole", "teams", "Role", [
            s("Name", "name", 80, nillable=False),
            s("DeveloperName", "developer_name", 80, label="Role Name"),
            ref("ParentRoleId", "parent_n", "UserRole", None, label="Parent Role ID"),
            ro(s("RollupDescription", "name", 80, label="Description", sql="{t}.name")),
            ro(pick("OpportunityAccessForAccountOwner", "name", ("None", "Read", "Edit"),
                    sql="'None'")),
            ro(pick("ContactAccessForAccountOwner", "name", ("None", "Read", "Edit"),
                    sql="'Edit'")),
            ro(pick("CaseAccessForAccountOwner", "name", ("None", "Read", "Edit"),
                    sql="'None'")),
            ro(SField("MayForecastManagerShare", "boolean", "May Forecast Manager Share",
                      sql="false", nillable=False)),
            ro(pick("PortalType", "name", ("None",), sql="'None'")),
        ]),
        obj("User", "users", "User", [
            s("Username", "username", 80), s("FirstName", "first_name", 40),
            s("LastName", "last_name", 80), SField("Email", "email", "Email", column="email"),
            s("Title", "title", 80), typed("IsActive", "boolean", "active", nillable=False),
            ref("UserRoleId", "team_n", "UserRole", "UserRole"),
            ref("ProfileId", "sf_profile_n", "Profile", "Profile", label="Profile ID"),
            ref("ManagerId", "manager_n", "User", "Manager", label="Manager ID"),
            ro(pick("UserType", "title", ("Standard",), sql="'Standard'")),
            s("Territory__c", "territory", 80, custom=True, label="Territory"),
        ], name_sql=FULL_NAME),
        obj("Account", "accounts", "Account", [
            s("Name", "name"), ref("OwnerId", "owner_n", "User", "Owner"),
            pick("Industry", "industry", INDUSTRIES),
            pick("Type", "account_type", ("Prospect", "Customer", "Partner", "Other")),
            s("BillingCountry", "country", 80),
            s("Territory__c", "territory", 80, custom=True, label="Territory"),
            typed("Churned_At__c", "datetime", "churned_at", custom=True, label="Churned At"),
        ]),
        obj("Contact", "contacts", "Contact", [
            ref("AccountId", "account_n", "Account", "Account"),
            ref("OwnerId", "owner_n", "User", "Owner"), s("FirstName", "first_name", 40),
            s("LastName", "last_name", 80), SField("Email", "email", "Email", column="email"),
            s("Title", "title", 128),
        ], name_sql=FULL_NAME),
    ]


def funnel() -> list[SObject]:
    """Leads, opportunities and their products."""
    return [
        obj("Lead", "leads", "Lead", [
            s("FirstName", "first_name", 40), s("LastName", "last_name", 80),
            s("Company", "company"), SField("Email", "email", "Email", column="email"),
            ref("OwnerId", "owner_n", "User", "Owner"),
            pick("LeadSource", "source", LEAD_SOURCES), pick("Status", "status", LEAD_STATUSES),
            ro(typed("IsConverted", "boolean", "is_converted", nillable=False)),
            ro(typed("ConvertedDate", "date", "converted_on")),
            ro(ref("ConvertedOpportunityId", "converted_opportunity_n", "Opportunity",
                   "ConvertedOpportunity")),
            ro(ref("ConvertedAccountId", "converted_account_n", "Account", "ConvertedAccount")),
            ro(ref("ConvertedContactId", "converted_contact_n", "Contact", "ConvertedContact")),
        ], name_sql=FULL_NAME),
        obj("Opportunity", "opportunities", "Opportunity", [
            s("Name", "name", 120), ref("AccountId", "account_n", "Account", "Account"),
            ref("OwnerId", "owner_n", "User", "Owner"), pick("StageName", "stage", STAGES),
            ro(typed("IsClosed", "boolean", "is_closed", nillable=False)),
            ro(typed("IsWon", "boolean", "is_won", nillable=False)),
            typed("Amount", "currency", "amount"), typed("CloseDate", "date", "close_date"),
            pick("CurrencyIsoCode", "currency", CURRENCY_CODES),
            pick("LeadSource", "source", LEAD_SOURCES), pick("Type", "deal_type", DEAL_TYPES),
            typed("Cost__c", "currency", "cost", custom=True, label="Cost"),
            s("Territory__c", "territory", 80, custom=True, label="Territory"),
        ]),
        obj("OpportunityLineItem", "line_items", "Opportunity Product", [
            ref("OpportunityId", "opportunity_n", "Opportunity", "Opportunity"),
            ref("Product2Id", "product_n", "Product2", "Product2"),
            ref("PricebookEntryId", "price_entry_n", "PricebookEntry", "PricebookEntry"),
            typed("Quantity", "double", "quantity"), typed("UnitPrice", "currency", "unit_price"),
            SField("TotalPrice", "currency", "Total Price", sql="{t}.quantity * {t}.unit_price",
                   updateable=False, createable=False, precision=18, scale=2),
            typed("Unit_Cost__c", "currency", "unit_cost", custom=True, label="Unit Cost"),
        ]),
    ]


def catalog() -> list[SObject]:
    """Products, prices, campaigns and currencies."""
    return [
        obj("Product2", "products", "Product", [
            s("Name", "name"), s("ProductCode", "code"),
            pick("Family", "family", ("Software", "Hardware", "Services")),
            typed("IsActive", "boolean", "active"),
            typed("Unit_Cost__c", "currency", "unit_cost", custom=True, label="Unit Cost"),
        ]),
        obj("PricebookEntry", "price_entries", "Price Book Entry", [
            ref("Product2Id", "product_n", "Product2", "Product2"),
            ro(SField("Pricebook2Id", "reference", "Price Book ID",
                      sql=f"sfid('{OBJECT_PREFIX['Pricebook2']}', 0)",
                      reference_to=("Pricebook2",))),
            typed("UnitPrice", "currency", "unit_price"), typed("IsActive", "boolean", "active"),
            pick("CurrencyIsoCode", "currency", CURRENCY_CODES),
        ]),
        obj("Campaign", "campaigns", "Campaign", [
            s("Name", "name", 80), pick("Type", "campaign_type", CAMPAIGN_TYPES),
            pick("Status", "status", ("Planned", "In Progress", "Completed", "Aborted")),
            typed("StartDate", "date", "start_date"), typed("EndDate", "date", "end_date"),
            typed("BudgetedCost", "currency", "budgeted_cost"),
            typed("ActualCost", "currency", "actual_cost"),
            pick("CurrencyIsoCode", "currency", CURRENCY_CODES),
            ref("OwnerId", "owner_n", "User", "Owner"),
        ]),
        obj("CurrencyType", "currencies", "Currency", [
            s("IsoCode", "iso_code", 3), typed("ConversionRate", "double", "rate", scale=6),
            typed("IsCorporate", "boolean", "is_corporate"),
            typed("DecimalPlaces", "int", "decimal_places", precision=0, scale=0),
            ro(SField("IsActive", "boolean", "Active", sql="true")),
        ]),
        obj("DatedConversionRate", "dated_rates", "Dated Exchange Rate", [
            s("IsoCode", "iso_code", 3), typed("ConversionRate", "double", "rate", scale=6),
            typed("StartDate", "date", "start_date"),
            ro(typed("NextStartDate", "date", "next_start_date")),
        ]),
    ]


def activities() -> list[SObject]:
    """Task and Event: two sObjects over one activities table."""
    who = {"lead": "Lead", "contact": "Contact"}
    what = {"opportunity": "Opportunity", "account": "Account"}

    def common() -> list[SField]:
        """Fields Task and Event share."""
        return [
            s("Subject", "subject"), poly("WhoId", "who_kind", "who_n", who, "Who"),
            poly("WhatId", "what_kind", "what_n", what, "What"),
            ro(ref("AccountId", "account_n", "Account", "Account")),
            ref("OwnerId", "owner_n", "User", "Owner"),
            typed("ActivityDate", "date", "activity_date"),
        ]

    task = obj("Task", "activities", "Task", [
        *common(), pick("TaskSubtype", "subtype", TASK_SUBTYPES),
        pick("Status", "status", ("Not Started", "In Progress", "Completed")),
        ro(typed("CompletedDateTime", "datetime", "occurred_at")),
    ], row_filter="{t}.kind = 'task'", defaults={"kind": "task"})
    event = obj("Event", "activities", "Event", [
        *common(), pick("Type", "subtype", EVENT_TYPES),
        ro(SField("EventSubtype", "picklist", "Event Subtype", sql="'Event'", picklist=("Event",))),
        typed("ActivityDateTime", "datetime", "occurred_at"),
        typed("StartDateTime", "datetime", "occurred_at"),
        ro(SField("EndDateTime", "datetime", "End", sql="{t}.occurred_at + INTERVAL 1 HOUR")),
        ro(SField("DurationInMinutes", "int", "Duration", sql="60")),
    ], row_filter="{t}.kind = 'event'", defaults={"kind": "event"})
    return [task, event]


def surveys() -> list[SObject]:
    """The NPS survey custom object."""
    return [obj("NPS_Response__c", "surveys", "NPS Response", [
        ref("Account__c", "account_n", "Account", "Account__r", custom=True, label="Account"),
        ref("Contact__c", "contact_n", "Contact", "Contact__r", custom=True, label="Contact"),
        typed("Score__c", "double", "score", custom=True, label="Score", precision=2, scale=0),
        typed("Responded_At__c", "datetime", "responded_at", custom=True, label="Responded At"),
    ], name_sql="'NPS-' || lpad(({t}.n)::VARCHAR, 6, '0')", custom=True)]


def standard_objects() -> list[SObject]:
    """Fresh metadata for every sObject the generated org serves."""
    return [*people(), *funnel(), *catalog(), *activities(), *surveys()]
