"""Standard objects every portal has and the generated org has no records of.

Tickets, notes, communications, postal mail, leads, quotes, deal splits and forms exist in
every HubSpot portal; public connectors list them, read their properties, search them and
ask for associations to them, and a portal that has none answers with empty listings, not
with "Unable to infer object type". Each one here is an object type over its own table
`hs_std_<name>` (created empty when the surface starts) with the bookkeeping columns of
the org's tables, so lists, reads, searches, batch reads and writes work as for any type.

Object type ids are HubSpot's (hubspot-api-php `Enums/ObjectTypeIDs`); deal splits and
forms have none the sandbox could confirm, so they are addressed by name only. Property
names follow HubSpot's object guides; each object carries a subset of HubSpot's own
properties (those listed here), enough to read, filter and write them. Scopes: `tickets`,
`crm.objects.leads`, `crm.objects.quotes`, `forms`; the activity objects use the contacts
scope, as calls and emails do; deal splits the deals scope.

`EMPTY_PAIRS` are HubSpot-defined association types (the associations guide's "Association
type ID values", a → b then b → a) between these objects and the others, so a v4 batch
read or an `associations=` list parameter finds the pair and answers that nothing is
associated.
"""

from __future__ import annotations

from .model import ObjectType
from .props import Prop
from .standard import enum, owner

BOOKKEEPING = ("n BIGINT PRIMARY KEY, created_at TIMESTAMP, modified_at TIMESTAMP, "
               "system_modstamp TIMESTAMP, is_deleted BOOLEAN DEFAULT false, "
               "deleted_at TIMESTAMP, owner_n BIGINT")
STAMPS = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")
# Ids past the custom objects' (100,000,000,000 + 1,000,000,000 per custom object).
BASES = {name: (200 + i) * 10**9 for i, name in enumerate((
    "tickets", "notes", "communications", "postal_mail", "leads", "quotes", "deal_split",
    "forms"))}
TICKET_STAGES = {"1": "New", "2": "Waiting on contact", "3": "Waiting on us", "4": "Closed"}
ALIASES = {"ticket": "tickets", "note": "notes", "communication": "communications",
           "lead": "leads", "quote": "quotes", "deal_splits": "deal_split", "form": "forms"}
EMPTY_PAIRS: list[tuple[str, str, int, int]] = [
    ("tickets", "contacts", 16, 15), ("tickets", "companies", 339, 340),
    ("tickets", "deals", 28, 27), ("tickets", "tickets", 452, 452),
    ("calls", "tickets", 220, 219), ("emails", "tickets", 224, 223),
    ("meetings", "tickets", 226, 225), ("tasks", "tickets", 230, 229),
    ("notes", "tickets", 228, 227), ("communications", "tickets", 83, 84),
    ("postal_mail", "tickets", 455, 456),
    ("notes", "contacts", 202, 201), ("notes", "companies", 190, 189),
    ("notes", "deals", 214, 213),
    ("communications", "contacts", 81, 82), ("communications", "companies", 87, 88),
    ("communications", "deals", 85, 86),
    ("postal_mail", "contacts", 453, 454), ("postal_mail", "companies", 459, 460),
    ("postal_mail", "deals", 457, 458),
    ("leads", "contacts", 608, 609), ("leads", "companies", 610, 611),
    ("leads", "deals", 1037, 1038), ("leads", "calls", 596, 597),
    ("leads", "meetings", 600, 601), ("leads", "notes", 854, 855),
    ("leads", "tasks", 646, 647), ("leads", "communications", 602, 603),
    ("quotes", "contacts", 69, 70), ("quotes", "companies", 71, 72),
    ("quotes", "deals", 64, 63), ("quotes", "line_items", 67, 68),
    ("quotes", "tasks", 217, 218),
    ("contacts", "contacts", 449, 449), ("companies", "companies", 450, 450),
    ("deals", "deals", 451, 451),
]


def table(name: str) -> str:
    return f"hs_std_{name}"


def _object(name: str, type_id: str, singular: str, plural: str, scope: str,
            schema_scope: str, group: tuple[str, str], writable: bool = True) -> ObjectType:
    o = ObjectType(name, type_id, singular, plural, table(name), BASES[name], scope,
                   schema_scope, groups=dict([group]), default_props=STAMPS, always=STAMPS,
                   writable=writable)
    o.add(Prop("hs_object_id", "Record ID", "number", "number", o.id_sql(), read_only=True))
    o.add(Prop("hs_createdate", "Create date", "datetime", "date", "t.created_at",
               read_only=True))
    o.add(Prop("hs_lastmodifieddate", "Last modified date", "datetime", "date",
               "t.modified_at", read_only=True))
    o.add(owner())
    return o


def _text(o: ObjectType, *names: tuple[str, str]) -> None:
    for name, label in names:
        o.add(Prop(name, label, sql=f"t.{name}", column=name))


def tickets() -> ObjectType:
    o = _object("tickets", "0-5", "Ticket", "Tickets", "tickets", "tickets",
                ("ticketinformation", "Ticket information"))
    o.add(Prop("createdate", "Create date", "datetime", "date", "t.created_at",
               read_only=True))
    _text(o, ("subject", "Ticket name"), ("content", "Ticket description"))
    o.add(enum("hs_pipeline", "Pipeline", "t.hs_pipeline", {"0": "Support Pipeline"},
               column="hs_pipeline"))
    o.add(enum("hs_pipeline_stage", "Ticket status", "t.hs_pipeline_stage", TICKET_STAGES,
               column="hs_pipeline_stage"))
    o.add(enum("hs_ticket_priority", "Priority", "t.hs_ticket_priority",
               ("LOW", "MEDIUM", "HIGH", "URGENT"), column="hs_ticket_priority"))
    o.add(enum("hs_ticket_category", "Category", "t.hs_ticket_category",
               ("PRODUCT_ISSUE", "BILLING_ISSUE", "FEATURE_REQUEST", "GENERAL_INQUIRY"),
               column="hs_ticket_category"))
    o.always = ("createdate", "hs_lastmodifieddate", "hs_object_id")
    o.default_props = ("content", "createdate", "hs_lastmodifieddate", "hs_object_id",
                       "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category",
                       "hs_ticket_priority", "subject")
    return o


def _activity(name: str, type_id: str, singular: str, plural: str,
              body: tuple[str, str]) -> ObjectType:
    o = _object(name, type_id, singular, plural, "crm.objects.contacts",
                "crm.schemas.contacts", ("engagement", "Engagement information"))
    o.add(Prop("hs_timestamp", "Activity date", "datetime", "date", "t.hs_timestamp",
               column="hs_timestamp"))
    _text(o, body)
    return o


def communications() -> ObjectType:
    o = _activity("communications", "0-18", "Communication", "Communications",
                  ("hs_communication_body", "Body"))
    o.add(enum("hs_communication_channel_type", "Channel type",
               "t.hs_communication_channel_type", ("SMS", "WHATS_APP", "LINKEDIN_MESSAGE"),
               column="hs_communication_channel_type"))
    o.add(enum("hs_communication_logged_from", "Logged from",
               "t.hs_communication_logged_from", ("CRM",),
               column="hs_communication_logged_from"))
    return o


def leads() -> ObjectType:
    o = _object("leads", "0-136", "Lead", "Leads", "crm.objects.leads", "crm.schemas.leads",
                ("lead_information", "Lead information"))
    _text(o, ("hs_lead_name", "Lead name"))
    return o


def quotes() -> ObjectType:
    o = _object("quotes", "0-14", "Quote", "Quotes", "crm.objects.quotes",
                "crm.schemas.quotes", ("quoteinformation", "Quote information"))
    _text(o, ("hs_title", "Quote name"))
    o.add(Prop("hs_expiration_date", "Expiration date", "datetime", "date",
               "t.hs_expiration_date", column="hs_expiration_date"))
    o.add(Prop("hs_quote_amount", "Amount", "number", "number", "t.hs_quote_amount",
               column="hs_quote_amount"))
    return o


def all_portal_objects() -> list[ObjectType]:
    return [
        tickets(),
        _activity("notes", "0-46", "Note", "Notes", ("hs_note_body", "Note body")),
        communications(),
        _activity("postal_mail", "0-116", "Postal mail", "Postal mail",
                  ("hs_postal_mail_body", "Body")),
        leads(),
        quotes(),
        _object("deal_split", "", "Deal split", "Deal splits", "crm.objects.deals",
                "crm.schemas.deals", ("deal_split_information", "Deal split information"),
                writable=False),
        _object("forms", "", "Form", "Forms", "forms", "forms",
                ("form_information", "Form information"), writable=False),
    ]


def ddl(o: ObjectType) -> str:
    """The empty table of one of these object types: bookkeeping plus its value columns."""
    columns = [f"{p.column} {'DOUBLE' if p.type == 'number' else 'TIMESTAMP'}"
               if p.type in ("number", "datetime") else f"{p.column} VARCHAR"
               for p in o.props.values() if p.column and p.column != "owner_n"]
    return f"CREATE TABLE IF NOT EXISTS {o.table} ({', '.join([BOOKKEEPING, *columns])})"
