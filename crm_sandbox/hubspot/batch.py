"""Batch read, create, update, upsert and archive (`/crm/v3/objects/{type}/batch/*`).

Answers follow the batch endpoints' documented shapes: `status`, `results`, `startedAt`,
`completedAt`, plus `numErrors`/`errors` with HTTP 207 when some records failed
(developers.hubspot.com/docs/api/crm/understanding-the-crm, "Batch" sections). A bad
property value refuses the whole batch with 400, as HubSpot validates inputs first.
"""

from __future__ import annotations

import json
from typing import Any

from ..faults import FaultSet
from ..http import Response, raw_json
from ..org import Org
from .errors import record_error, validation
from .history import with_history
from .model import ObjectType
from .props import Prop, iso_ms
from .reader import Reader
from .values import Converter, Values

MAX_INPUTS = 100
EMPTY = "EMPTY_RESPONSE"


class Batch:
    """Batch endpoints over one org; `record_error` faults fail single records."""

    def __init__(self, org: Org, faults: FaultSet, reader: Reader) -> None:
        self.org, self.faults, self.reader = org, faults, reader
        self.values = Converter(org)

    def read(self, o: ObjectType, body: dict[str, Any], archived: bool) -> Response:
        inputs = self._inputs(body, empty_ok=True)
        props = o.pick([str(p) for p in body.get("properties") or []])
        id_prop = str(body.get("idProperty") or "hs_object_id")
        wanted = [str(i.get("id", "")) for i in inputs]
        keys = self.resolve(o, id_prop, wanted, archived)
        found = self.reader.by_keys(o, props, list(keys.values()), archived)
        results = with_history(self.reader, o, [str(p) for p in body.get(
            "propertiesWithHistory") or []], [(keys[w], found[keys[w]]) for w in wanted
                                              if w in keys and keys[w] in found], archived)
        missing = [w for w in wanted if w not in keys or keys[w] not in found]
        errors = [record_error("OBJECT_NOT_FOUND", f"Could not get some {o.singular.upper()} "
                               "objects, they may be deleted or not exist. Check that ids are "
                               "valid.", missing)] if missing else []
        return answer(results, errors, 200, self.org)

    def resolve(self, o: ObjectType, id_prop: str, wanted: list[str],
                 archived: bool) -> dict[str, int]:
        if id_prop == "hs_object_id":
            return {w: k for w in wanted if (k := o.key(w)) is not None}
        prop = self._unique(o, id_prop)
        by_value = self.reader.keys_where(o, prop, wanted) if not archived else {}
        return {w: by_value[w.lower()] for w in wanted if w.lower() in by_value}

    def _unique(self, o: ObjectType, name: str) -> Prop:
        prop = o.props.get(name)
        if prop is None or not (prop.unique or name == "hs_object_id"):
            raise validation(f"{name} is not a unique identifier property of {o.name}.")
        return prop

    def create(self, o: ObjectType, body: dict[str, Any], method: str, path: str) -> Response:
        inputs = self._inputs(body)
        self._writable(o)
        converted = [self.values.convert(o, dict(i.get("properties") or {})) for i in inputs]
        self._required(o, inputs)
        failed = self._draw(len(inputs), method, path)
        if failed is None:
            return empty_answer(self.org)
        keep = [v for i, v in enumerate(converted) if i not in failed]
        keys = self._insert(o, keep)
        names = [n for i, inp in enumerate(inputs) if i not in failed
                 for n in (inp.get("properties") or {})]
        return self._written(o, keys, names, list(failed.values()), 201)

    def update(self, o: ObjectType, body: dict[str, Any], method: str, path: str) -> Response:
        inputs = self._inputs(body, empty_ok=True)
        if not inputs:
            return answer([], [], 200, self.org)
        self._writable(o)
        converted = [self.values.convert(o, dict(i.get("properties") or {})) for i in inputs]
        ids = [str(i.get("id", "")) for i in inputs]
        if len(set(ids)) != len(ids):
            raise validation("Duplicate IDs found in batch input: " + ", ".join(
                sorted({i for i in ids if ids.count(i) > 1})))
        keys = self.resolve(o, str(body.get("idProperty") or inputs[0].get("idProperty")
                                    or "hs_object_id"), ids, False)
        alive = self.reader.exists(o, list(keys.values()))
        failed = self._draw(len(inputs), method, path)
        if failed is None:
            return empty_answer(self.org)
        errors = list(failed.values())
        missing = [i for i in ids if keys.get(i) not in alive]
        if missing:
            errors.append(record_error("OBJECT_NOT_FOUND", "Object not found. objectId are "
                                       "usually numeric.", missing))
        changes = [(keys[ids[i]], v) for i, v in enumerate(converted)
                   if i not in failed and keys.get(ids[i]) in alive]
        self._apply(o, changes)
        names = [n for inp in inputs for n in (inp.get("properties") or {})]
        return self._written(o, [k for k, _ in changes], names, errors, 200)

    def upsert(self, o: ObjectType, body: dict[str, Any], method: str, path: str) -> Response:
        inputs = self._inputs(body, empty_ok=True)
        if not inputs:
            return answer([], [], 200, self.org)
        self._writable(o)
        id_prop = {str(i.get("idProperty") or "") for i in inputs}
        if len(id_prop) != 1 or not id_prop <= set(o.props):
            raise validation("Every upsert input needs the same idProperty, a unique property.")
        prop = self._unique(o, id_prop.pop())
        ids = [str(i.get("id", "")) for i in inputs]
        if len({i.lower() for i in ids}) != len(ids):
            raise validation("Duplicate IDs found in batch input.")
        converted = [self.values.convert(o, {**(i.get("properties") or {}), prop.name: i["id"]}
                                         if prop.name != "hs_object_id"
                                         else dict(i.get("properties") or {})) for i in inputs]
        found = self.reader.keys_where(o, prop, ids)
        failed = self._draw(len(inputs), method, path)
        if failed is None:
            return empty_answer(self.org)
        todo = [i for i in range(len(inputs)) if i not in failed]
        self._apply(o, [(found[ids[i].lower()], converted[i]) for i in todo
                        if ids[i].lower() in found])
        new = [i for i in todo if ids[i].lower() not in found]
        created = dict(zip(new, self._insert(o, [converted[i] for i in new]), strict=True))
        keys = {**{i: found[ids[i].lower()] for i in todo if i not in created}, **created}
        names = [*{n for inp in inputs for n in (inp.get("properties") or {})}, prop.name]
        body_json = self._written_body(o, [keys[i] for i in todo], names)
        results = [_with_new(js, i in created) for i, js in zip(todo, body_json, strict=True)]
        return answer(results, list(failed.values()), 200, self.org)

    def archive(self, o: ObjectType, body: dict[str, Any]) -> Response:
        """Archiving keeps hs_lastmodifieddate: only the deletion columns change."""
        inputs = self._inputs(body)
        self._writable(o)
        keys = [k for i in inputs if (k := o.key(i.get("id", ""))) is not None]
        self.archive_keys(o, keys)
        return Response(204)

    def archive_keys(self, o: ObjectType, keys: list[int]) -> None:
        if not keys:
            return
        now = self.org.clock.now()
        with self.org.writing() as con:
            con.execute(f"UPDATE {o.table} SET is_deleted = true, deleted_at = ?, "
                        "system_modstamp = ? WHERE NOT is_deleted AND n IN "
                        "(SELECT unnest(?::BIGINT[]))", [now, now, keys])

    # ---- helpers -------------------------------------------------------------------
    def _inputs(self, body: dict[str, Any], empty_ok: bool = False) -> list[dict[str, Any]]:
        """The batch's inputs. Read, update and upsert without any answer COMPLETE with no
        results, as HubSpot does (rudderlabs/rudder-transformer PR 5147: an upsert body
        without `inputs` "returned status: COMPLETE with empty results"; hubspot-api-nodejs
        issue 26: an update likewise); create and archive refuse them (not established)."""
        inputs = body.get("inputs", [] if empty_ok else None)
        if empty_ok and inputs == []:
            return []
        if not isinstance(inputs, list) or not inputs:
            raise validation("inputs must be a non-empty list")
        if len(inputs) > MAX_INPUTS:
            raise validation(f"Batch input limit exceeded: got {len(inputs)} inputs, the "
                             f"maximum is {MAX_INPUTS}.")
        if not all(isinstance(i, dict) for i in inputs):
            raise validation("every input must be an object")
        return inputs

    @staticmethod
    def _writable(o: ObjectType) -> None:
        if not o.writable:
            raise validation(f"Records of {o.name} cannot be written through this API.")

    @staticmethod
    def _required(o: ObjectType, inputs: list[dict[str, Any]]) -> None:
        required = o.schema.get("requiredProperties", []) if o.custom else []
        for inp in inputs:
            absent = [r for r in required if (inp.get("properties") or {}).get(r) in (None, "")]
            if absent:
                raise validation(f"Required properties missing: {', '.join(absent)}")

    def _draw(self, count: int, method: str, path: str) -> dict[int, dict[str, Any]] | None:
        """Injected per-record failures by input index; None: answer an empty 2xx."""
        failed: dict[int, dict[str, Any]] = {}
        for i in range(count):
            fault = self.faults.record_error(method, path)
            if fault is None:
                continue
            if fault.error_code == EMPTY:
                return None
            failed[i] = record_error(fault.error_code, fault.message, [str(i)])
        return failed

    def _insert(self, o: ObjectType, rows: list[Values]) -> list[int]:
        if not rows:
            return []
        if o.custom:
            return self.org.insert_many(o.table, [{**r.core, **r.side} for r in rows])
        keys = self.org.insert_many(o.table, [{**o.create_defaults, **r.core} for r in rows])
        self._side(o, [(k, r.side) for k, r in zip(keys, rows, strict=True) if r.side])
        return keys

    def _apply(self, o: ObjectType, changes: list[tuple[int, Values]]) -> None:
        if not changes:
            return
        if o.custom:
            self.org.update_many(o.table, [(k, {**v.core, **v.side}) for k, v in changes])
            return
        self.org.update_many(o.table, [(k, v.core) for k, v in changes])
        self._side(o, [(k, v.side) for k, v in changes if v.side])

    def _side(self, o: ObjectType, rows: list[tuple[int, dict[str, str | None]]]) -> None:
        with self.org.writing() as con:
            for key, side in rows:
                cols = list(side)
                sets = ", ".join(f"{c} = excluded.{c}" for c in cols)
                con.execute(f"INSERT INTO {o.side_table} (n, {', '.join(cols)}) VALUES "
                            f"(?{', ?' * len(cols)}) ON CONFLICT (n) DO UPDATE SET {sets}",
                            [key, *side.values()])

    def _written_body(self, o: ObjectType, keys: list[int], names: list[str]) -> list[str]:
        props = o.pick([*o.default_props, *names])
        found = self.reader.by_keys(o, props, keys, None)
        return [found[k] for k in keys if k in found]

    def _written(self, o: ObjectType, keys: list[int], names: list[str],
                 errors: list[dict[str, Any]], status: int) -> Response:
        return answer(self._written_body(o, keys, names), errors, status, self.org)


def _with_new(record_json: str, new: bool) -> str:
    return record_json[:-1] + f',"new":{"true" if new else "false"}}}'


def stamp(org: Org) -> str:
    return iso_ms(org.clock.now())


def answer(results: list[str], errors: list[dict[str, Any]], ok: int, org: Org) -> Response:
    """The batch answer: `ok` when every record went through, else 207 with `errors`."""
    now = stamp(org)
    head: dict[str, Any] = {"status": "COMPLETE", "startedAt": now, "completedAt": now}
    if errors:
        head.update({"numErrors": sum(max(1, len(e["context"]["ids"])) for e in errors),
                     "errors": errors})
    text = json.dumps(head, separators=(",", ":"))
    return raw_json(text[:-1] + ',"results":[' + ",".join(results) + "]}", 207 if errors
                    else ok)


def empty_answer(org: Org) -> Response:
    """The injected EMPTY_RESPONSE fault: a 2xx with neither results nor errors."""
    return raw_json(json.dumps({"status": "COMPLETE", "startedAt": stamp(org),
                                "completedAt": stamp(org)}), 200)

