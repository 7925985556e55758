"""Object types: how each HubSpot object maps onto a table of the org.

A record's HubSpot id is `base + n` (a numeric string), `n` being the org's integer key,
so ids are stable, never collide across object types, and cost nothing to compute.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from .props import Prop, to_text, typed_extra

OWNER_BASE = 70_000_000
USER_BASE = 9_000_000
TEAM_BASE = 40_000
ID_SPAN = 10**10


@dataclass
class ObjectType:
    """One CRM object type (standard or custom) and its properties."""

    name: str  # "deals"
    type_id: str  # "0-3"
    singular: str
    plural: str
    table: str
    base: int
    scope: str  # "crm.objects.deals" (+ ".read" / ".write")
    schema_scope: str  # "crm.schemas.deals"
    props: dict[str, Prop] = field(default_factory=dict)
    default_props: tuple[str, ...] = ("createdate", "hs_lastmodifieddate", "hs_object_id")
    always: tuple[str, ...] = ("createdate", "hs_lastmodifieddate", "hs_object_id")
    row_filter: str = ""  # SQL over `t`: which rows of `table` are this type
    joins: str = ""  # joins the property SQL needs
    create_defaults: dict[str, Any] = field(default_factory=dict)
    query_props: tuple[str, ...] = ()
    writable: bool = True
    custom: bool = False
    groups: dict[str, str] = field(default_factory=dict)  # name → label
    schema: dict[str, Any] = field(default_factory=dict)  # custom objects: their schema
    created_at: dt.datetime | None = None

    @property
    def side_table(self) -> str:
        """Where values of properties created through the API live."""
        return self.table if self.custom else f"hs_props_{self.name}"

    @property
    def side_alias(self) -> str:
        return "t" if self.custom else "x"

    def add(self, prop: Prop) -> Prop:
        """Add a property; a new dict, so that requests iterating the old one never see
        it change size under them."""
        if not prop.group:
            prop.group = next(iter(self.groups), "")
        self.props = {**self.props, prop.name: prop}
        return prop

    def add_extra(self, prop: Prop) -> Prop:
        """A property created through the API, stored as normalized text in the side table."""
        prop.extra, prop.hubspot_defined = True, prop.hubspot_defined and self.custom
        prop.column = f"p_{prop.name}"
        prop.sql = typed_extra(f"{self.side_alias}.p_{prop.name}", prop.type)
        return self.add(prop)

    def hs_id(self, n: int) -> str:
        return str(self.base + n)

    def key(self, hs_id: Any) -> int | None:
        """The org key of a HubSpot id of this type, or None when it is not one."""
        text = str(hs_id).strip()
        if not text.isdigit():
            return None
        n = int(text) - self.base
        return n if 0 <= n < ID_SPAN else None

    def id_sql(self) -> str:
        return f"(t.n + {self.base})"

    def where(self, archived: bool) -> str:
        alive = "t.is_deleted" if archived else "NOT t.is_deleted"
        return f"{alive} AND ({self.row_filter})" if self.row_filter else alive

    def from_sql(self, props: list[Prop]) -> str:
        """FROM clause for rendering `props` (joins the side table only when needed)."""
        side = ""
        if not self.custom and any(p.extra for p in props):
            side = f" LEFT JOIN {self.side_table} x ON x.n = t.n"
        return f"{self.table} t {self.joins}{side}"

    def record_sql(self, props: list[Prop]) -> str:
        """Columns of `record_json`: bookkeeping, then each property's typed value."""
        values = "".join(f", {p.sql}" for p in props)
        return f"t.n, t.created_at, t.modified_at, t.is_deleted, t.deleted_at{values}"

    def record_json(self, props: list[Prop], row: tuple[Any, ...]) -> str:
        """One fetched row as HubSpot's SimplePublicObject JSON text."""
        n, created, modified, deleted, deleted_at = row[:5]
        record = {"id": str(self.base + n), "properties": {
            p.name: to_text(v, p.type) for p, v in zip(props, row[5:], strict=True)},
            "createdAt": to_text(created, "datetime"),
            "updatedAt": to_text(modified, "datetime"), "archived": bool(deleted)}
        if deleted:
            record["archivedAt"] = to_text(deleted_at, "datetime")
        return json.dumps(record, separators=(",", ":"))

    def pick(self, names: list[str] | None) -> list[Prop]:
        """Requested properties plus the stamps HubSpot always returns (unknown names are
        ignored, as HubSpot does)."""
        wanted = [*(names or self.default_props), *self.always]
        seen: dict[str, Prop] = {}
        for name in wanted:
            if name in self.props and name not in seen:
                seen[name] = self.props[name]
        return list(seen.values())
