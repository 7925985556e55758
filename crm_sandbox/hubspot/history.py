"""`propertiesWithHistory`: each requested property's past values on reads and batch reads.

HubSpot answers `"propertiesWithHistory": {name: [{value, timestamp, sourceType, …}]}`
beside `properties`, newest version first (a recorded answer quoted in
hubspot-api-nodejs issue #154: `{"value": "true", "timestamp": "2022-11-07T21:54:03.930Z",
"sourceType": "CRM_UI", "sourceId": "userId:…", "updatedByUserId": …}`); unknown names
are left out. The sandbox keeps no history: a property's only version is its current
value, stamped with the record's last modification (`sourceType` CRM_UI, no source id);
a property without a value has no versions. Listings that ask for history take at most
`MAX_WITH_HISTORY` records a page.
"""

from __future__ import annotations

import json
from typing import Any

from .model import ObjectType
from .reader import Reader

MAX_WITH_HISTORY = 50


def with_history(reader: Reader, o: ObjectType, names: list[str],
                 rows: list[tuple[int, str]], archived: bool | None) -> list[str]:
    """The records' JSON (`rows`: key, JSON) with `propertiesWithHistory` for `names`."""
    props = [o.props[n] for n in dict.fromkeys(names) if n in o.props]
    if not names or not rows:
        return [js for _, js in rows]
    found = reader.by_keys(o, props, [n for n, _ in rows], archived)
    out = []
    for n, js in rows:
        record: dict[str, Any] = json.loads(found.get(n, "{}"))
        values = record.get("properties") or {}
        history = {p.name: _versions(values.get(p.name), record.get("updatedAt"))
                   for p in props}
        out.append(js[:-1] + ',"propertiesWithHistory":'
                   + json.dumps(history, separators=(",", ":")) + "}")
    return out


def _versions(value: str | None, stamp: str | None) -> list[dict[str, Any]]:
    if value is None:
        return []
    return [{"value": value, "timestamp": stamp, "sourceType": "CRM_UI"}]
