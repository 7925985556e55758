"""Property values written through the API → the org's core columns and side columns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..org import Org
from .errors import HsError, validation
from .model import OWNER_BASE, ObjectType
from .props import Prop, normalized_text, parse_instant, parse_typed
from .standard import BASES, STAGES, stage_id

STAGE_BY_ID = {stage_id(name): (name, prob) for name, prob in STAGES}


@dataclass
class Values:
    """One record's changes: core columns and side-table (text) columns."""

    core: dict[str, Any] = field(default_factory=dict)
    side: dict[str, str | None] = field(default_factory=dict)


class Invalid(ValueError):
    """One property value HubSpot would refuse."""

    def __init__(self, prop: str, code: str, message: str) -> None:
        super().__init__(message)
        self.prop, self.code, self.message = prop, code, message

    def as_dict(self) -> dict[str, Any]:
        return {"isValid": False, "message": self.message, "error": self.code,
                "name": self.prop}


def refuse(problems: list[Invalid]) -> HsError:
    """The whole-batch 400 HubSpot answers when a property value is invalid."""
    listed = json.dumps([p.as_dict() for p in problems], separators=(",", ":"))
    return validation(f"Property values were not valid: {listed}",
                      errors=[{"message": p.message, "code": p.code,
                               "context": {"propertyName": [p.prop]}} for p in problems])


class Converter:
    """Validates and converts property values for one org."""

    def __init__(self, org: Org) -> None:
        self.org = org

    def convert(self, o: ObjectType, properties: dict[str, Any]) -> Values:
        """All of a record's values, or raise `refuse(...)` naming every bad one."""
        out, problems = Values(), []
        for name, value in properties.items():
            try:
                self._one(o, name, value, out)
            except Invalid as exc:
                problems.append(exc)
        if problems:
            raise refuse(problems)
        return out

    def _one(self, o: ObjectType, name: str, value: Any, out: Values) -> None:
        prop = o.props.get(name)
        if prop is None:
            raise Invalid(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
        if prop.read_only or prop.column is None:
            raise Invalid(name, "READ_ONLY_VALUE",
                          f'"{name}" is a read only property; its value cannot be set.')
        if value is None or value == "":
            self._clear(prop, out)
            return
        try:
            self._set(prop, value, out)
        except Invalid:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise Invalid(name, "INVALID_" + prop.type.upper(),
                          f"{value!r} is not a valid {prop.type} value for {name}") from exc

    def _clear(self, prop: Prop, out: Values) -> None:
        kind = prop.meta.get("kind")
        if kind in ("stage", "pipeline"):
            raise Invalid(prop.name, "INVALID_OPTION", f"{prop.name} cannot be empty")
        if prop.extra:
            out.side[str(prop.column)] = None
        elif prop.column:
            out.core[prop.column] = None

    def _set(self, prop: Prop, value: Any, out: Values) -> None:
        kind, col = prop.meta.get("kind"), str(prop.column)
        if prop.extra:
            self._check_option(prop, str(value))
            out.side[col] = normalized_text(value, prop.type)
        elif kind == "owner":
            out.core[col] = self._owner(prop, value)
        elif kind == "stage":
            out.core.update(self._stage(prop, str(value)))
        elif kind == "pipeline":
            self._check_option(prop, str(value))
        elif kind == "map":
            reverse = {v: k for k, v in prop.meta["map"].items()}
            self._check_option(prop, str(value))
            out.core[col] = reverse[str(value)]
        elif kind == "date":
            out.core[col] = parse_instant(value).date()
        elif kind == "ref":
            n = int(str(value)) - BASES[prop.meta["ref"]]
            if n < 0:
                raise ValueError("not a product id")
            out.core[col] = n
        elif kind == "activity_time":
            at = parse_instant(value)
            out.core.update({col: at, "activity_date": at.date()})
        else:
            self._check_option(prop, str(value))
            out.core[col] = parse_typed(value, prop.type)

    @staticmethod
    def _check_option(prop: Prop, value: str) -> None:
        if prop.type == "enumeration" and prop.options and value not in {
                v for v, _ in prop.options}:
            raise Invalid(prop.name, "INVALID_OPTION",
                          f"{value} was not one of the allowed options: "
                          f"[{', '.join(v for v, _ in prop.options)}]")

    def _owner(self, prop: Prop, value: Any) -> int:
        n = int(str(value)) - OWNER_BASE
        row = self.org.cursor().execute("SELECT count(*) FROM users WHERE n = ?",
                                        [n]).fetchone()
        if n < 0 or not row or not row[0]:
            raise Invalid(prop.name, "INVALID_OWNER_ID",
                          f"{value} is not a valid owner id")
        return n

    def _stage(self, prop: Prop, value: str) -> dict[str, Any]:
        if value not in STAGE_BY_ID:
            raise Invalid(prop.name, "INVALID_OPTION",
                          f"{value} was not one of the allowed options: "
                          f"[{', '.join(STAGE_BY_ID)}]")
        name, prob = STAGE_BY_ID[value]
        closed = prob in (0, 100)
        return {"stage": name, "is_closed": closed, "is_won": prob == 100}
