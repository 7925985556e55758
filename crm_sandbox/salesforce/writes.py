"""Record writes shared by single-record REST, sObject Collections and Bulk ingest.

Values are checked against describe (existence, writability, type, nillability) and
turned into core column values; failures become per-record errors shaped like
Salesforce's, and injected `record_error` faults fail records the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..faults import FaultSet
from ..ids import parse_sf_id, sf_id
from ..org import Org
from ..org.tables import LOST_STAGE, WON_STAGE
from .errors import RecordError
from .literals import parse_datetime
from .model import NUMERIC, OBJECT_PREFIX, Registry, SField, SObject
from .rights import Viewer

REQUIRED: dict[str, tuple[str, ...]] = {
    "Account": ("Name",), "Contact": ("LastName",), "Lead": ("LastName", "Company"),
    "Opportunity": ("Name", "StageName", "CloseDate"),
}
Result = dict[str, Any]


def convert(f: SField, value: Any) -> dict[str, Any]:
    """Core column values for one field value (JSON or CSV text)."""
    if value is None or value == "":
        if not f.nillable:
            raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{f.name}]",
                              [f.name])
        return {str(f.column): None, **({f.kind_column: None} if f.kind_column else {})}
    try:
        return {**_convert(f, value)}
    except (ValueError, TypeError) as exc:
        raise RecordError("INVALID_TYPE_ON_FIELD_IN_RECORD",
                          f"{f.label or f.name}: value not of required type: {value}",
                          [f.name]) from exc


def _convert(f: SField, value: Any) -> dict[str, Any]:
    col = str(f.column)
    if f.type in ("reference", "id"):
        parsed = parse_sf_id(str(value))
        if parsed is None:
            raise RecordError("MALFORMED_ID", f"{f.label or f.name}: id value of incorrect type: "
                              f"{value}", [f.name])
        prefix, n = parsed
        if f.kind_column:
            kinds = {OBJECT_PREFIX[o]: k for k, o in f.kinds.items()}
            if prefix not in kinds:
                raise _bad_ref(f, value)
            return {col: n, f.kind_column: kinds[prefix]}
        if OBJECT_PREFIX.get(f.reference_to[0]) != prefix:
            raise _bad_ref(f, value)
        return {col: n}
    if f.type == "boolean":
        if isinstance(value, bool):
            return {col: value}
        if str(value).lower() not in ("true", "false", "1", "0"):
            raise ValueError(value)
        return {col: str(value).lower() in ("true", "1")}
    if f.type in NUMERIC:
        if isinstance(value, bool):
            raise ValueError(value)
        return {col: in_range(f, float(value))}
    if f.type == "date":
        return {col: dt.date.fromisoformat(str(value)[:10])}
    if f.type == "datetime":
        return {col: parse_datetime(str(value))}
    text = str(value)
    if f.length and len(text) > f.length:
        raise RecordError("STRING_TOO_LONG", f"{f.label}: data value too large: {text[:40]} "
                          f"(max length={f.length})", [f.name])
    return {col: text}


def in_range(f: SField, number: float) -> float:
    """The number, stored whole (never rounded to the scale, as the API stores it), unless
    it has more integer digits than precision − scale allows."""
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(number)
    if f.precision and abs(number) >= 10 ** (f.precision - f.scale):
        raise RecordError("NUMBER_OUTSIDE_VALID_RANGE", f"{f.label or f.name}: value outside "
                          f"of valid range on numeric field: {java_double(number)}", [f.name])
    return number


def java_double(number: float) -> str:
    """A double as Java prints it in Salesforce's messages (`100.0`, `1.0E20`)."""
    d = Decimal(repr(number))
    if number != 0 and not 1e-3 <= abs(number) < 1e7:
        mantissa = str(d.scaleb(-d.adjusted()).normalize())
        return f"{mantissa if '.' in mantissa else mantissa + '.0'}E{d.adjusted()}"
    text = format(d, "f")
    return text if "." in text else text + ".0"


def _bad_ref(f: SField, value: Any) -> RecordError:
    return RecordError("INVALID_CROSS_REFERENCE_KEY",
                       f"{f.label or f.name}: id value of incorrect type: {value}", [f.name])


def core_values(obj: SObject, record: dict[str, Any], creating: bool,
                viewer: Viewer | None = None) -> dict[str, Any]:
    """Validate a record's fields (attributes and Id excluded) into core columns; a field
    the viewer cannot see is no field, one they cannot edit is read-only."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        if name in ("attributes", "Id"):
            continue
        f = obj.get(name)
        if f is None or (viewer is not None and not viewer.can_read_field(obj, f)):
            raise RecordError("INVALID_FIELD", f"No such column '{name}' on sobject of type "
                              f"{obj.name}", [name])
        allowed = f.createable if creating else f.updateable
        if not allowed or f.column is None or (
                viewer is not None and not viewer.can_edit_field(obj, f)):
            raise RecordError("INVALID_FIELD_FOR_INSERT_UPDATE",
                              f"Unable to {'create' if creating else 'update'} fields: {f.name}. "
                              "Please check the security settings of this field and verify that "
                              "it is read/write for your profile or permission set.", [f.name])
        out.update(convert(f, value))
    if obj.name == "Opportunity" and "stage" in out:
        stage = out["stage"]
        out["is_closed"] = stage in (WON_STAGE, LOST_STAGE)
        out["is_won"] = stage == WON_STAGE
    if creating:
        missing = [r for r in REQUIRED.get(obj.name, ()) if record.get(r) in (None, "")]
        if missing:
            raise RecordError("REQUIRED_FIELD_MISSING",
                              f"Required fields are missing: [{', '.join(missing)}]", missing)
    return out


class Writer:
    """Applies validated batches to the org; `fault_path` lets faults fail records."""

    def __init__(self, org: Org, faults: FaultSet, registry: Registry | None = None) -> None:
        self.org, self.faults, self.registry = org, faults, registry

    def injected(self, method: str, path: str) -> RecordError | None:
        f = self.faults.record_error(method, path)
        return RecordError(f.error_code, f.message) if f else None

    def validate(self, items: list[Any], check: Callable[[Any], Any], method: str,
                 path: str) -> list[Any | RecordError]:
        """Run `check` per item; errors (and injected failures) replace the item."""
        out: list[Any | RecordError] = []
        for item in items:
            try:
                out.append(self.injected(method, path) or check(item))
            except RecordError as err:
                out.append(err)
        return out

    def values(self, obj: SObject, record: dict[str, Any], creating: bool,
               viewer: Viewer | None = None) -> dict[str, Any]:
        """`core_values`; a new record is its creator's unless it names an owner, who must
        be an active user; records it points to must be visible to the viewer."""
        core = core_values(obj, record, creating, viewer)
        owner = obj.get("OwnerId")
        if creating and viewer is not None and obj.owner is not None:
            core.setdefault(str(obj.owner.column), viewer.user_n)
        self.check_references(obj, core, viewer)
        n = core.get(str(owner.column)) if owner is not None and owner.column else None
        if n is not None and owner is not None and owner.reference_to == ("User",):
            row = self.org.cursor().execute("SELECT active FROM users WHERE n = ?",
                                            [n]).fetchone()
            if row is not None and not row[0]:
                raise RecordError("INACTIVE_OWNER_OR_USER", "operation performed with inactive "
                                  f"user [{sf_id(OBJECT_PREFIX['User'], n)}] as owner of "
                                  f"{obj.label.lower()}")
        return core

    def check_references(self, obj: SObject, core: dict[str, Any],
                         viewer: Viewer | None) -> None:
        """A lookup may only name a record the viewer can read."""
        if viewer is None or self.registry is None:
            return
        for f in obj.fields.values():
            key = core.get(str(f.column)) if f.column else None
            if key is None or f.type != "reference" or len(f.reference_to) != 1:
                continue
            target = self.registry.get(f.reference_to[0])
            pred = viewer.records(target, "x") if target is not None else None
            if target is not None and pred is not None and not self.permitted(
                    target, [int(key)], pred.sql, pred.params):
                raise RecordError("INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
                                  "insufficient access rights on cross-reference id", [f.name])

    def permitted(self, obj: SObject, keys: list[int], sql: str,
                  params: tuple[Any, ...] | list[Any]) -> set[int]:
        """Those of `keys` matching a record predicate over alias x."""
        if not keys:
            return set()
        marks = ", ".join("?" for _ in keys)
        rows = self.org.cursor().execute(
            f"SELECT x.n FROM {obj.table} x WHERE x.n IN ({marks}) AND {sql}",
            [*keys, *params]).fetchall()
        return {int(r[0]) for r in rows}

    def allowed(self, obj: SObject, keys: list[int], viewer: Viewer | None,
                level: str) -> set[int]:
        """Those of `keys` the viewer has `level` access to (Edit, All)."""
        pred = viewer.level(obj, "x", level) if viewer is not None else None
        return set(keys) if pred is None else self.permitted(obj, keys, pred.sql, pred.params)

    def lookup_ids(self, obj: SObject, ids: list[str]) -> dict[str, int]:
        """Live records among `ids` (id → key)."""
        keys = {i: p[1] for i in ids if (p := parse_sf_id(i)) and p[0] == obj.prefix}
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = self.org.cursor().execute(
            f"SELECT n FROM {obj.table} t WHERE n IN ({marks}) AND NOT is_deleted"
            f"{obj.and_filter()}",
            list(keys.values())).fetchall()
        live = {int(r[0]) for r in rows}
        return {i: n for i, n in keys.items() if n in live}

    def lookup_external(self, obj: SObject, f: SField, values: list[str]) -> dict[str, list[int]]:
        """Live records whose external id field holds one of `values`."""
        if not values:
            return {}
        marks = ", ".join("?" for _ in values)
        rows = self.org.cursor().execute(
            f"SELECT {f.column}, n FROM {obj.table} WHERE {f.column} IN ({marks}) "
            "AND NOT is_deleted", values).fetchall()
        found: dict[str, list[int]] = {}
        for value, n in rows:
            found.setdefault(str(value), []).append(int(n))
        return found

    def result(self, obj: SObject, n: int, created: bool | None = None) -> Result:
        res: Result = {"id": sf_id(obj.prefix, n), "success": True, "errors": []}
        if created is not None:
            res["created"] = created
        return res
