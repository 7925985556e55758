"""listMetadata(): which components of a type the org has; readMetadata(): what one is.

Metadata API Developer Guide, "listMetadata()": `queries` (ListMetadataQuery: `type`,
`folder`), at most three a call, and `asOfVersion`; the answer is one `FileProperties`
per component (`createdById`, `createdByName`, `createdDate`, `fileName`, `fullName`,
`id`, `lastModifiedById`, `lastModifiedByName`, `lastModifiedDate`, `manageableState`,
`type`, in the WSDL's order). A sharing rule's full name is `Object.RuleName` and its
file the object's `sharingRules/Object.sharingRules`. The sandbox lists the types setup
reads back (`SharingCriteriaRule`, `FlexiPage`); another type Salesforce has is a fault
naming it, never an empty list that would read as "none in the org".

"readMetadata()": `type` and up to ten `fullNames` of that type; the answer is one
`ReadResult` whose `records` are the components (`xsi:type` the metadata type), and a
nil record for a name the org lacks (the guide's Java sample tests each for null). The
sandbox reads `CustomObject`, as far as it keeps one: its `actionOverrides`
(ActionOverride's fields in the WSDL's order). A standard object whose View the org
never overrode reads as real orgs retrieve it: a `Default` override of View for Salesforce
Classic (no `formFactor`) and one for Lightning Experience (`Large`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..http import Response
from ..ids import sf_id
from ..org.tables import ADMIN_USER_N
from .catalog import Catalog
from .context import Context
from .md_package import KNOWN_TYPES
from .md_soap import MD, SOAPENV, Envelope, SoapFault, element, envelope

MOST_QUERIES = 3
MOST_READ = 10
READ = ("CustomObject",)
OVERRIDE_ORDER = ("actionName", "comment", "content", "formFactor", "skipRecordTypeSelect",
                  "type")
LISTED = ("SharingCriteriaRule", "FlexiPage")
FILE_ORDER = ("createdById", "createdByName", "createdDate", "fileName", "fullName", "id",
              "lastModifiedById", "lastModifiedByName", "lastModifiedDate",
              "manageableState", "namespacePrefix", "type")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TS = "%Y-%m-%dT%H:%M:%S.000Z"


def list_metadata(env: Envelope, ctx: Context, catalog: Catalog, author: str) -> Response:
    """The `listMetadataResponse` of the envelope's queries; `author` names the user
    setup components are saved as."""
    kinds = [(q.findtext(f"{{{MD}}}type") or "").strip()
             for q in env.op.findall(f"{{{MD}}}queries")]
    if len(kinds) > MOST_QUERIES:
        raise SoapFault("LIMIT_EXCEEDED", f"listMetadata takes at most {MOST_QUERIES} "
                        f"queries; {len(kinds)} were sent")
    if not env.text("asOfVersion"):
        raise SoapFault("INVALID_TYPE", "listMetadata() needs an asOfVersion")
    rows: list[dict[str, Any]] = []
    for kind in dict.fromkeys(kinds):
        if kind not in LISTED:
            raise SoapFault("INVALID_TYPE" if kind not in KNOWN_TYPES else
                            "INVALID_OPERATION", f"The sandbox does not list metadata of "
                            f"type {kind!r} (it lists {', '.join(LISTED)})")
        found = _rules(ctx) if kind == "SharingCriteriaRule" else _pages(ctx, catalog)
        rows += [_file(kind, *f, author) for f in found]
    return envelope("listMetadataResponse", rows, FILE_ORDER)


def _rules(ctx: Context) -> list[tuple[str, str, str, dt.datetime, dt.datetime]]:
    cur = ctx.org.cursor()
    return [(f"{obj}.{name}", f"sharingRules/{obj}.sharingRules", "", made, changed)
            for obj, name, made, changed in cur.execute(
                "SELECT object, developer_name, created_at, modified_at FROM "
                "sf_sharing_rules WHERE NOT is_deleted ORDER BY n").fetchall()]


def _pages(ctx: Context, catalog: Catalog) -> list[tuple[str, str, str, dt.datetime,
                                                         dt.datetime]]:
    out = []
    for name in sorted(catalog.names("FlexiPage")):
        n = catalog.key_of("FlexiPage", name) or 0
        row = ctx.org.cursor().execute("SELECT created_at, modified_at FROM "
                                       "sf_md_flexipages WHERE n = ?", [n]).fetchone()
        now = ctx.org.clock.now()
        made, changed = row if row and row[0] else (now, now)
        out.append((name, f"flexipages/{name}.flexipage", sf_id("0M0", n), made, changed))
    return out


def _file(kind: str, full_name: str, file_name: str, item_id: str, made: dt.datetime,
          changed: dt.datetime | None, author: str) -> dict[str, Any]:
    user = sf_id("005", ADMIN_USER_N)[:15]
    return {"createdById": user, "createdByName": author,
            "createdDate": made.strftime(TS), "fileName": file_name, "fullName": full_name,
            "id": item_id, "lastModifiedById": user, "lastModifiedByName": author,
            "lastModifiedDate": (changed or made).strftime(TS),
            "manageableState": "unmanaged", "type": kind}


def read_metadata(env: Envelope, ctx: Context, catalog: Catalog) -> Response:
    """The `readMetadataResponse` of one type's components, by full name."""
    kind = env.text("type")
    names = [(n.text or "").strip() for n in env.op.findall(f"{{{MD}}}fullNames")]
    if kind not in READ:
        raise SoapFault("INVALID_TYPE" if kind not in KNOWN_TYPES else "INVALID_OPERATION",
                        f"The sandbox reads metadata of type {', '.join(READ)}, not {kind!r}")
    if len(names) > MOST_READ:
        raise SoapFault("LIMIT_EXCEEDED", f"readMetadata reads at most {MOST_READ} "
                        f"components a call; {len(names)} were named")
    records = "".join(_object(ctx, catalog, name) for name in names)
    body = (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAPENV}" '
            f'xmlns="{MD}" xmlns:xsi="{XSI}"><soapenv:Body><readMetadataResponse><result>'
            f"{records}</result></readMetadataResponse></soapenv:Body></soapenv:Envelope>")
    return Response(200, body.encode(), {"Content-Type": "text/xml;charset=UTF-8"})


def _object(ctx: Context, catalog: Catalog, name: str) -> str:
    obj = ctx.registry.get(name)
    if obj is None:
        return '<records xsi:nil="true"/>'
    overrides = dict(catalog.settings(obj.name).values.get("actionOverrides", {}))
    if not (obj.custom and obj.table.startswith("sf_")):
        for form in (None, "Large"):
            overrides.setdefault(("View", form), {"actionName": "View", "formFactor": form,
                                                  "type": "Default"})
    inner = "".join(element("actionOverrides", {k: v for k, v in o.items() if v is not None},
                            OVERRIDE_ORDER)
                    for _, o in sorted(overrides.items(), key=lambda kv: (kv[0][0],
                                                                          kv[0][1] or "")))
    return (f'<records xsi:type="CustomObject">{element("fullName", obj.name)}{inner}'
            "</records>")
