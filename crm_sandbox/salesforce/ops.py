"""Batch create / update / upsert / delete with allOrNone semantics.

Each operation first checks every record (`prepare_*`: core values or a RecordError
each, nothing written), then `settle` commits the good ones — or, under allOrNone with
any failure, writes nothing and answers every valid record as rolled back.

A `viewer` makes the write that user's: the object's Create / Edit / Delete right, each
field's edit access and each record's sharing decide, record by record, with the errors
Salesforce answers ("entity type cannot be inserted: Account",
INSUFFICIENT_ACCESS_OR_READONLY "insufficient access rights on object id"). Without a
viewer the system writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ids import parse_sf_id
from .errors import RecordError
from .model import SField, SObject
from .rights import Viewer
from .writes import Result, Writer

NO_ACCESS = RecordError("INSUFFICIENT_ACCESS_OR_READONLY",
                        "insufficient access rights on object id")

ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
)


def failure(err: RecordError) -> Result:
    return {"success": False, "errors": [err.as_dict()]}


def settle(checked: list[Any], all_or_none: bool,
           commit: Callable[[], list[Result]]) -> list[Result]:
    """`commit()`'s results, or every record refused when allOrNone and one failed."""
    if all_or_none and any(isinstance(c, RecordError) for c in checked):
        return [failure(c if isinstance(c, RecordError) else ROLLED_BACK) for c in checked]
    return commit()


def entity_refused(obj: SObject, call: str, viewer: Viewer | None) -> RecordError | None:
    """Why `call` (create, update, delete) is refused on the whole object, if it is."""
    rights = viewer.object_rights(obj) if viewer is not None else None
    allowed = {"create": rights.create, "update": rights.edit,
               "delete": rights.delete}[call] if rights is not None else True
    if obj.supports(call) and allowed:
        return None
    if call == "delete" and obj.supports(call):
        return NO_ACCESS
    verb = {"create": "inserted", "update": "updated", "delete": "deleted"}[call]
    return RecordError("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                       f"entity type cannot be {verb}: {obj.label}")


def hook(obj: SObject, op: str, core: dict[str, Any], key: int | None,
         viewer: Viewer | None) -> dict[str, Any]:
    """The object's own check of a record (permissions, roles), if it has one."""
    if obj.check is not None:
        obj.check(op, core, key, viewer)
    return core


def written(obj: SObject, op: str, keys: list[int]) -> None:
    if obj.on_write is not None and keys:
        obj.on_write(op, keys)


def create(w: Writer, obj: SObject, records: list[dict[str, Any]], all_or_none: bool,
           method: str, path: str, viewer: Viewer | None = None) -> list[Result]:
    checked = prepare_create(w, obj, records, method, path, viewer)
    return settle(checked, all_or_none, lambda: commit_create(w, obj, checked))


def prepare_create(w: Writer, obj: SObject, records: list[dict[str, Any]], method: str,
                   path: str, viewer: Viewer | None = None) -> list[Any]:
    """Validated core rows (or errors) for records to create; nothing written yet."""
    refused = entity_refused(obj, "create", viewer)

    def check(r: dict[str, Any]) -> dict[str, Any]:
        if refused is not None:
            raise refused
        return hook(obj, "create", {**obj.defaults, **w.values(obj, r, True, viewer)}, None,
                    viewer)

    return once(obj, w.validate(records, check, method, path))


def once(obj: SObject, checked: list[Any]) -> list[Any]:
    """A record that repeats an earlier one of the same call fails as a duplicate."""
    if obj.unique_key is None:
        return checked
    seen: set[Any] = set()
    out = []
    for c in checked:
        k = None if isinstance(c, RecordError) else obj.unique_key(c)
        if k is not None and k in seen:
            c = RecordError("DUPLICATE_VALUE", "duplicate value found: <unknown> duplicates "
                            "value on record with id: <unknown>")
        seen.add(k)
        out.append(c)
    return out


def commit_create(w: Writer, obj: SObject, checked: list[Any]) -> list[Result]:
    good = [c for c in checked if not isinstance(c, RecordError)]
    created = w.org.insert_many(obj.table, good)
    written(obj, "create", created)
    keys = iter(created)
    return [failure(c) if isinstance(c, RecordError) else w.result(obj, next(keys))
            for c in checked]


def update(w: Writer, obj: SObject, records: list[dict[str, Any]], all_or_none: bool,
           method: str, path: str, viewer: Viewer | None = None) -> list[Result]:
    checked = prepare_update(w, obj, records, method, path, viewer)
    return settle(checked, all_or_none, lambda: commit_update(w, obj, checked))


def commit_update(w: Writer, obj: SObject, checked: list[Any]) -> list[Result]:
    good = [c for c in checked if not isinstance(c, RecordError)]
    w.org.update_many(obj.table, good)
    written(obj, "update", [k for k, _ in good])
    return [failure(c) if isinstance(c, RecordError) else w.result(obj, c[0]) for c in checked]


def prepare_update(w: Writer, obj: SObject, records: list[dict[str, Any]], method: str,
                   path: str, viewer: Viewer | None = None) -> list[Any]:
    """(key, core changes) or errors for records to update; nothing written yet."""
    live = w.lookup_ids(obj, [str(r.get("Id") or "") for r in records])
    editable = w.allowed(obj, list(live.values()), viewer, "Edit")
    refused = entity_refused(obj, "update", viewer)

    def check(r: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One record's target key and its core values."""
        rid = str(r.get("Id") or "")
        if rid not in live:
            code = "MALFORMED_ID" if len(rid) not in (15, 18) else "ENTITY_IS_DELETED"
            raise RecordError(code, f"invalid record id: {rid or 'missing'}", ["Id"])
        if refused is not None:
            raise refused
        if live[rid] not in editable:
            raise NO_ACCESS
        return live[rid], hook(obj, "update", w.values(obj, r, False, viewer), live[rid],
                               viewer)

    return w.validate(records, check, method, path)


def upsert(w: Writer, obj: SObject, ext: SField, records: list[dict[str, Any]],
           all_or_none: bool, method: str, path: str,
           viewer: Viewer | None = None) -> list[Result]:
    """Create or update by an external id; duplicates in one call fail."""
    values = [str(r.get(ext.name, "") or "") for r in records]
    found = w.lookup_external(obj, ext, [v for v in values if v])
    editable = w.allowed(obj, [k for keys in found.values() for k in keys], viewer, "Edit")
    seen: set[str] = set()

    def check(r: dict[str, Any]) -> tuple[int | None, dict[str, Any]]:
        """One record's target key (None: create) and its core values."""
        value = str(r.get(ext.name, "") or "")
        if not value:
            raise RecordError("MISSING_ARGUMENT", f"{ext.name} not specified", [ext.name])
        if value in seen or len(found.get(value, [])) > 1:
            raise RecordError("DUPLICATE_EXTERNAL_ID", f"{ext.name}: more than one record "
                              f"found for external id field: {value}", [ext.name])
        seen.add(value)
        hits = found.get(value)
        creating = not hits
        refused = entity_refused(obj, "create" if creating else "update", viewer)
        if refused is not None:
            raise refused
        if hits and hits[0] not in editable:
            raise NO_ACCESS
        core = w.values(obj, {k: v for k, v in r.items() if k != ext.name}, creating, viewer)
        core[str(ext.column)] = value
        key = None if creating else hits[0]  # type: ignore[index]
        return key, hook(obj, "create" if creating else "update",
                         {**obj.defaults, **core} if creating else core, key, viewer)

    checked = w.validate(records, check, method, path)
    return settle(checked, all_or_none, lambda: commit_upsert(w, obj, checked))


def commit_upsert(w: Writer, obj: SObject, checked: list[Any]) -> list[Result]:
    """Insert the records without a key, update the others; `created` says which."""
    ok = [c for c in checked if not isinstance(c, RecordError)]
    inserted = w.org.insert_many(obj.table, [c[1] for c in ok if c[0] is None])
    written(obj, "create", inserted)
    new_keys = iter(inserted)
    w.org.update_many(obj.table, [(c[0], c[1]) for c in ok if c[0] is not None])
    written(obj, "update", [c[0] for c in ok if c[0] is not None])
    return [failure(c) if isinstance(c, RecordError) else
            w.result(obj, c[0] if c[0] is not None else next(new_keys), c[0] is None)
            for c in checked]


def delete(w: Writer, obj: SObject, ids: list[str], all_or_none: bool, method: str,
           path: str, hard: bool = False, viewer: Viewer | None = None) -> list[Result]:
    """Soft-delete (recycle bin) or hard-delete records by id; the viewer needs the
    Delete right and full access to each record (owner, above the owner, Modify All)."""
    live = w.lookup_ids(obj, ids)
    full = w.allowed(obj, list(live.values()), viewer, "All")
    refused = entity_refused(obj, "delete", viewer)

    def check(rid: str) -> int:
        """One record's key, or why it cannot be deleted."""
        if rid not in live:
            raise RecordError("ENTITY_IS_DELETED" if len(rid) in (15, 18) else "MALFORMED_ID",
                              "entity is deleted" if len(rid) in (15, 18) else
                              f"invalid record id: {rid}")
        if refused is not None:
            raise refused
        if live[rid] not in full:
            raise NO_ACCESS
        hook(obj, "delete", {}, live[rid], viewer)
        return live[rid]

    def commit() -> list[Result]:
        keys = [c for c in checked if not isinstance(c, RecordError)]
        if keys and hard:
            w.org.purge(obj.table, keys)
        elif keys:
            w.org.soft_delete(obj.table, keys)
        written(obj, "delete", keys)
        return [failure(c) if isinstance(c, RecordError) else w.result(obj, c) for c in checked]

    checked = w.validate(ids, check, method, path)
    return settle(checked, all_or_none, commit)


def delete_ids(w: Writer, resolve: Callable[[str], SObject | None], ids: list[str],
               all_or_none: bool, method: str, path: str,
               viewer: Viewer | None = None) -> list[Result]:
    """Collections DELETE: records of any type by id, one result each (a deleted one
    ENTITY_IS_DELETED), allOrNone over the whole call."""
    objs = {rid: obj for rid in ids if (p := parse_sf_id(rid)) and (obj := resolve(p[0]))
            and (viewer is None or viewer.can_read(obj))}
    live: dict[str, int] = {}
    full: set[tuple[str, int]] = set()
    for obj in {o.name: o for o in objs.values()}.values():
        found = w.lookup_ids(obj, [r for r, o in objs.items() if o is obj])
        live.update(found)
        full |= {(obj.name, k) for k in w.allowed(obj, list(found.values()), viewer, "All")}

    def check(rid: str) -> tuple[SObject, int]:
        if rid not in objs:
            raise RecordError("MALFORMED_ID", f"malformed id {rid}")
        if rid not in live:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted")
        refused = entity_refused(objs[rid], "delete", viewer)
        if refused is not None:
            raise refused
        if (objs[rid].name, live[rid]) not in full:
            raise NO_ACCESS
        hook(objs[rid], "delete", {}, live[rid], viewer)
        return objs[rid], live[rid]

    def commit() -> list[Result]:
        done = [c for c in checked if not isinstance(c, RecordError)]
        for obj in {o.name: o for o, _ in done}.values():
            keys = [n for o, n in done if o is obj]
            w.org.soft_delete(obj.table, keys)
            written(obj, "delete", keys)
        return [failure(c) if isinstance(c, RecordError) else w.result(*c) for c in checked]

    checked = w.validate(ids, check, method, path)
    return settle(checked, all_or_none, commit)
