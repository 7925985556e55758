"""The standard object types, each mapped onto a core table of the org.

Property names and default property sets follow HubSpot's CRM object documentation
(developers.hubspot.com/docs/api/crm/{deals,contacts,companies,line-items,products,calls,
emails,meetings,tasks}); enumeration values follow HubSpot's default property options.
"""

from __future__ import annotations

from typing import Any

from ..org.tables import CURRENCIES, LEAD_SOURCES, LEAD_STATUSES, LOST_STAGE, OPEN_STAGES, WON_STAGE
from .model import OWNER_BASE, ObjectType
from .props import Prop

STAGES = (*OPEN_STAGES, (WON_STAGE, 100), (LOST_STAGE, 0))
STAGE_ID = "lower(regexp_replace({c}, '[^A-Za-z0-9]', '', 'g'))"
# LeadSource → HubSpot's hs_analytics_source (lossy: the raw value stays in lead_source).
ANALYTICS_SOURCE = {
    "Web": "ORGANIC_SEARCH", "Phone Inquiry": "OFFLINE", "Partner Referral": "REFERRALS",
    "Employee Referral": "REFERRALS", "Purchased List": "OFFLINE", "Trade Show": "OFFLINE",
    "Email": "EMAIL_MARKETING", "Social Media": "SOCIAL_MEDIA", "In Person": "OFFLINE",
    "Other": "OTHER_CAMPAIGNS",
}
LEAD_STATUS = dict(zip(LEAD_STATUSES, ("NEW", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED"),
                       strict=True))
ACCOUNT_TYPE = {"Prospect": "PROSPECT", "Customer": "CUSTOMER", "Partner": "PARTNER",
                "Other": "OTHER"}
CUSTOM_GROUP = "crm_kpi"
BASES = {"contacts": 10 * 10**9, "companies": 20 * 10**9, "deals": 30 * 10**9,
         "line_items": 40 * 10**9, "products": 50 * 10**9}


def stage_id(name: str) -> str:
    """A stage's id: its name without punctuation, lower case ("Closed Won" → closedwon)."""
    return "".join(ch for ch in name if ch.isalnum()).lower()


def case(expr: str, mapping: dict[str, str], default: str = "NULL") -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    return f"(CASE {expr} {whens} ELSE {default} END)"


def enum(name: str, label: str, sql: str, values: dict[str, str] | tuple[str, ...],
         **kw: Any) -> Prop:
    opts = tuple(values.items()) if isinstance(values, dict) else tuple((v, v) for v in values)
    return Prop(name, label, "enumeration", "select", sql, options=opts, **kw)


def owner(column: str = "owner_n") -> Prop:
    return Prop("hubspot_owner_id", "Owner", "enumeration", "select",
                f"(t.{column} + {OWNER_BASE})::VARCHAR", column=column, meta={"kind": "owner"})


def common(o: ObjectType, modified: tuple[str, ...] = ("hs_lastmodifieddate",)) -> ObjectType:
    o.add(Prop("hs_object_id", "Record ID", "number", "number", o.id_sql(), read_only=True))
    o.add(Prop("createdate", "Create Date", "datetime", "date", "t.created_at", read_only=True))
    for name in modified:
        o.add(Prop(name, "Last Modified Date", "datetime", "date", "t.modified_at",
                   read_only=True))
    return o


def custom_prop(p: Prop) -> Prop:
    p.hubspot_defined, p.group = False, CUSTOM_GROUP
    return p


def source_props() -> tuple[Prop, Prop]:
    """HubSpot's (lossy) source, and the org's lead source as a custom property."""
    return (enum("hs_analytics_source", "Original Source", case(
                "t.source", ANALYTICS_SOURCE, "'OTHER_CAMPAIGNS'"),
                tuple(sorted(set(ANALYTICS_SOURCE.values()))), read_only=True),
            custom_prop(enum("lead_source", "Lead Source", "t.source", LEAD_SOURCES,
                             column="source")))


def deals() -> ObjectType:
    o = ObjectType("deals", "0-3", "Deal", "Deals", "opportunities", BASES["deals"],
                   "crm.objects.deals", "crm.schemas.deals",
                   groups={"dealinformation": "Deal information", CUSTOM_GROUP: "crm-kpi"},
                   default_props=("amount", "closedate", "createdate", "dealname", "dealstage",
                                  "hs_lastmodifieddate", "hs_object_id", "pipeline"),
                   query_props=("dealname",),
                   create_defaults={"is_closed": False, "is_won": False})
    common(o)
    for p in (
        Prop("dealname", "Deal Name", sql="t.name", column="name"),
        Prop("amount", "Amount", "number", "number", "t.amount", column="amount"),
        Prop("closedate", "Close Date", "datetime", "date", "t.close_date::TIMESTAMP",
             column="close_date", meta={"kind": "date"}),
        enum("dealstage", "Deal Stage", STAGE_ID.format(c="t.stage"),
             {stage_id(s): s for s, _ in STAGES}, column="stage", meta={"kind": "stage"}),
        enum("pipeline", "Pipeline", "'default'", {"default": "Sales Pipeline"},
             column="", meta={"kind": "pipeline"}),
        owner(),
        enum("deal_currency_code", "Currency", "t.currency", tuple(c for c, _, _ in CURRENCIES),
             column="currency"),
        enum("dealtype", "Deal Type", "CASE WHEN t.deal_type = 'New Customer' THEN "
             "'newbusiness' WHEN t.deal_type IS NOT NULL THEN 'existingbusiness' END",
             {"newbusiness": "New Business", "existingbusiness": "Existing Business"},
             read_only=True),
        Prop("hs_is_closed", "Is Deal Closed?", "bool", "booleancheckbox", "t.is_closed",
             read_only=True),
        Prop("hs_is_closed_won", "Is Closed Won", "bool", "booleancheckbox", "t.is_won",
             read_only=True),
        *source_props(),
        custom_prop(Prop("deal_type_detail", "Deal Type (detail)", sql="t.deal_type",
                         column="deal_type")),
        custom_prop(Prop("deal_cost", "Deal Cost", "number", "number", "t.cost",
                         column="cost")),
        custom_prop(Prop("territory", "Territory", sql="t.territory", column="territory")),
    ):
        o.add(p)
    return o


def contacts() -> ObjectType:
    """Contacts are the org's leads: HubSpot has no separate lead table of people."""
    o = ObjectType("contacts", "0-1", "Contact", "Contacts", "leads", BASES["contacts"],
                   "crm.objects.contacts", "crm.schemas.contacts",
                   groups={"contactinformation": "Contact information",
                           CUSTOM_GROUP: "crm-kpi"},
                   default_props=("createdate", "email", "firstname", "hs_object_id",
                                  "lastmodifieddate", "lastname"),
                   always=("createdate", "lastmodifieddate", "hs_object_id"),
                   query_props=("email", "firstname", "lastname", "company"),
                   create_defaults={"is_converted": False, "status": LEAD_STATUSES[0]})
    common(o, ("lastmodifieddate", "hs_lastmodifieddate"))
    converted = "t.converted_on::TIMESTAMP"
    for p in (
        Prop("email", "Email", sql="t.email", column="email", unique=True),
        Prop("firstname", "First Name", sql="t.first_name", column="first_name"),
        Prop("lastname", "Last Name", sql="t.last_name", column="last_name"),
        Prop("company", "Company Name", sql="t.company", column="company"),
        owner(),
        enum("hs_lead_status", "Lead Status", case("t.status", LEAD_STATUS),
             {v: v.replace("_", " ").title() for v in LEAD_STATUS.values()},
             column="status", meta={"kind": "map", "map": LEAD_STATUS}),
        enum("lifecyclestage", "Lifecycle Stage",
             "CASE WHEN t.converted_opportunity_n IS NOT NULL THEN 'opportunity' "
             "WHEN t.is_converted THEN 'salesqualifiedlead' ELSE 'lead' END",
             ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
              "opportunity", "customer", "evangelist", "other"), read_only=True),
        Prop("hs_lifecyclestage_lead_date", "Became a Lead Date", "datetime", "date",
             "t.created_at", read_only=True),
        Prop("hs_lifecyclestage_salesqualifiedlead_date", "Became a Sales Qualified Lead Date",
             "datetime", "date", f"CASE WHEN t.is_converted THEN {converted} END",
             read_only=True),
        Prop("hs_lifecyclestage_opportunity_date", "Became an Opportunity Date", "datetime",
             "date", f"CASE WHEN t.converted_opportunity_n IS NOT NULL THEN {converted} END",
             read_only=True),
        *source_props(),
    ):
        o.add(p)
    return o


def companies() -> ObjectType:
    o = ObjectType("companies", "0-2", "Company", "Companies", "accounts", BASES["companies"],
                   "crm.objects.companies", "crm.schemas.companies",
                   groups={"companyinformation": "Company information",
                           CUSTOM_GROUP: "crm-kpi"},
                   default_props=("createdate", "domain", "hs_lastmodifieddate",
                                  "hs_object_id", "name"),
                   query_props=("name",))
    common(o)
    for p in (
        Prop("name", "Company name", sql="t.name", column="name"),
        Prop("domain", "Company Domain Name", sql="lower(regexp_replace(split_part(t.name, ' ',"
             " 1), '[^A-Za-z0-9]', '', 'g')) || '.example'", read_only=True),
        owner(),
        Prop("industry", "Industry", sql="t.industry", column="industry"),
        Prop("country", "Country/Region", sql="t.country", column="country"),
        enum("type", "Type", case("t.account_type", ACCOUNT_TYPE), {v: k for k, v in
             ACCOUNT_TYPE.items()}, column="account_type",
             meta={"kind": "map", "map": ACCOUNT_TYPE}),
        custom_prop(Prop("territory", "Territory", sql="t.territory", column="territory")),
        custom_prop(Prop("churn_date", "Churn Date", "datetime", "date", "t.churned_at",
                         column="churned_at")),
    ):
        o.add(p)
    return o


def products() -> ObjectType:
    o = ObjectType("products", "0-7", "Product", "Products", "products", BASES["products"],
                   "e-commerce", "crm.schemas.products",
                   groups={"productinformation": "Product information"},
                   default_props=("createdate", "description", "hs_lastmodifieddate",
                                  "hs_object_id", "name", "price"),
                   query_props=("name", "hs_sku"), create_defaults={"active": True})
    common(o)
    for p in (
        Prop("name", "Name", sql="t.name", column="name"),
        Prop("description", "Description", sql="t.family", column="family"),
        Prop("price", "Unit price", "number", "number", "t.list_price", column="list_price"),
        Prop("hs_sku", "SKU", sql="t.code", column="code", unique=True),
        Prop("hs_cost_of_goods_sold", "Unit cost", "number", "number", "t.unit_cost",
             column="unit_cost"),
    ):
        o.add(p)
    return o


def line_items() -> ObjectType:
    o = ObjectType("line_items", "0-8", "Line Item", "Line Items", "line_items",
                   BASES["line_items"],
                   "crm.objects.line_items", "crm.schemas.line_items",
                   groups={"lineiteminformation": "Line item information"},
                   default_props=("amount", "createdate", "hs_lastmodifieddate",
                                  "hs_object_id", "hs_product_id", "name", "price",
                                  "quantity"),
                   joins="LEFT JOIN products p ON p.n = t.product_n", query_props=("name",))
    common(o)
    for p in (
        Prop("name", "Name", sql="p.name", read_only=True),
        Prop("quantity", "Quantity", "number", "number", "t.quantity", column="quantity"),
        Prop("price", "Unit price", "number", "number", "t.unit_price", column="unit_price"),
        Prop("hs_cost_of_goods_sold", "Unit cost", "number", "number", "t.unit_cost",
             column="unit_cost"),
        Prop("amount", "Net price", "number", "number", "round(t.quantity * t.unit_price, 2)",
             read_only=True),
        Prop("hs_product_id", "Product ID", "number", "number",
             f"t.product_n + {BASES['products']}",
             column="product_n", meta={"kind": "ref", "ref": "products"}),
    ):
        o.add(p)
    return o
