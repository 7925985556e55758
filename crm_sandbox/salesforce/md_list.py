"""listMetadata(): which components of a type the org has.

Metadata API Developer Guide, "listMetadata()": `queries` (ListMetadataQuery: `type`,
`folder`), at most three a call, and `asOfVersion`; the answer is one `FileProperties`
per component (`createdById`, `createdByName`, `createdDate`, `fileName`, `fullName`,
`id`, `lastModifiedById`, `lastModifiedByName`, `lastModifiedDate`, `manageableState`,
`type`, in the WSDL's order). A sharing rule's full name is `Object.RuleName` and its
file the object's `sharingRules/Object.sharingRules`. The sandbox lists the types setup
reads back (`SharingCriteriaRule`, `FlexiPage`); another type Salesforce has is a fault
naming it, never an empty list that would read as "none in the org".
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
from .md_soap import MD, Envelope, SoapFault, envelope

MOST_QUERIES = 3
LISTED = ("SharingCriteriaRule", "FlexiPage")
FILE_ORDER = ("createdById", "createdByName", "createdDate", "fileName", "fullName", "id",
              "lastModifiedById", "lastModifiedByName", "lastModifiedDate",
              "manageableState", "namespacePrefix", "type")
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
