"""Report metadata as the Reports REST API takes it, its describe, and synchronous runs.

`reportMetadata` (Reports and Dashboards REST API Developer Guide, "Report metadata"):
`reportFormat` TABULAR or SUMMARY, `detailColumns`, `groupingsDown` (≤ 3, each `name`,
`sortOrder` Asc/Desc, `dateGranularity` for date fields), `aggregates` (`RowCount`,
`s!`/`a!`/`m!`/`mx!` + a numeric column: sum, average, min, max), `reportFilters`
(`column`, `operator`, `value`) combined by `reportBooleanFilter` ("1 AND (2 OR 3)"; all
ANDed when null). Columns are `Object.Field` of the report type's sObject. A run answers
`groupingsDown.groupings` (`key`, `label`, `value`, nested `groupings`) and a `factMap`
keyed `0!T`, `0_1!T`, …, `T!T` with each cell's aggregates (and detail rows in leaf cells).
MATRIX reports (`groupingsAcross`) are not served by the sandbox.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from .catalog import Catalog
from .context import Context
from .errors import SfError
from .model import NUMERIC, TEXT, SField, SObject
from .rights import Viewer

RUN_ROWS = 2000  # synchronous runs return at most 2,000 detail rows
MAX_ROWS = 100_000  # rows a run aggregates
Meta = dict[str, Any]
OPERATORS = {"equals": "=", "notEqual": "!=", "lessThan": "<", "greaterThan": ">",
             "lessOrEqual": "<=", "greaterOrEqual": ">="}
LIKE = {"contains": "%{}%", "notContain": "%{}%", "startsWith": "{}%"}
GRANULARITIES = ("None", "Day", "Week", "Month", "Quarter", "Year")
AGGREGATES = {"s": "Sum", "a": "Average", "m": "Smallest", "mx": "Largest"}
_RELATIVE = re.compile(r"^[A-Z_]+(:\d+)?$")
# Standard columns of a custom object report type, as report files name them.
CUSTOM_ENTITY_COLUMNS = {"CUST_NAME": "Name", "CUST_ID": "Id",
                         "CUST_CREATED_DATE": "CreatedDate", "CUST_LAST_UPDATE":
                         "LastModifiedDate"}


def bad(message: str) -> SfError:
    return SfError(400, "BAD_REQUEST", message)


class Reports:
    """Validates, describes and runs report metadata over the org's sObjects."""

    def __init__(self, ctx: Context, catalog: Catalog) -> None:
        self.ctx, self.catalog = ctx, catalog

    # ---- metadata ----------------------------------------------------------------------
    def report_object(self, meta: Meta, reportable: bool = False) -> SObject:
        """The sObject a report type names (`X` or `CustomEntity$X`); a custom object made
        through the API has a report type only once `enableReports` is on."""
        rtype = str((meta.get("reportType") or {}).get("type") or "").removeprefix(
            "CustomEntity$")
        obj = self.ctx.registry.get(rtype)
        if obj is None:
            raise bad(f"The report type {rtype!r} is invalid")
        made_here = obj.custom and obj.table.startswith("sf_")
        if made_here and not reportable and not self.catalog.settings(obj.name).enabled(
                "enableReports"):
            raise bad(f"The report type CustomEntity${obj.name} is invalid: the object does "
                      "not allow reports (CustomObject enableReports)")
        return obj

    @staticmethod
    def field(obj: SObject, column: Any) -> SField:
        """The field a column names (`Obj.Field`, `Field` or a `CUST_` column)."""
        text = str(column)
        name = text.split(".", 1)[1] if text.startswith(obj.name + ".") else \
            CUSTOM_ENTITY_COLUMNS.get(text, text)
        f = obj.get(name)
        if f is None:
            raise bad(f"The column {text} is invalid")
        return f

    def is_date(self, meta: Meta, column: str) -> bool:
        f = self.field(self.report_object(meta, True), column)
        return f.type in ("date", "datetime")

    def validated(self, meta: Any, report_id: str, reportable: bool = False) -> Meta:
        """Report metadata with defaults, every column checked against describe."""
        if not isinstance(meta, dict) or not meta.get("name"):
            raise bad("reportMetadata with a name is required")
        out: Meta = {
            "reportFormat": "TABULAR", "detailColumns": [], "groupingsDown": [],
            "groupingsAcross": [], "aggregates": ["RowCount"], "reportFilters": [],
            "reportBooleanFilter": None, "hasDetailRows": True, "scope": "organization",
            **meta, "id": report_id}
        self.report_object(out, reportable)
        if out["scope"] not in ("organization", "user"):
            raise bad(f"Invalid scope {out['scope']!r} (organization or user)")
        out["developerName"] = out.get("developerName") or "".join(
            ch if ch.isalnum() else "_" for ch in str(out["name"]))
        out["groupingsDown"] = [self._grouping(out, g) for g in out["groupingsDown"] or []]
        self._check_format(out)
        self.describe_of(out)
        self.where(out)
        return out

    def _grouping(self, meta: Meta, g: Any) -> Meta:
        """A grouping with its defaults: sortOrder Asc, dateGranularity for dates."""
        if not isinstance(g, dict) or not g.get("name"):
            raise bad("A grouping needs a name")
        f = self.field(self.report_object(meta, True), g["name"])
        dated = f.type in ("date", "datetime")
        out = {"sortOrder": "Asc", "dateGranularity": "Day" if dated else "None", **g}
        if out["sortOrder"] not in ("Asc", "Desc"):
            raise bad(f"Invalid sortOrder {out['sortOrder']!r} for grouping {g['name']}")
        if out["dateGranularity"] not in GRANULARITIES or (
                not dated and out["dateGranularity"] != "None"):
            raise bad(f"Invalid dateGranularity {out['dateGranularity']!r} for grouping "
                      f"{g['name']}")
        return out

    @staticmethod
    def _check_format(meta: Meta) -> None:
        fmt, down = meta["reportFormat"], meta["groupingsDown"]
        if fmt == "MATRIX" or meta.get("groupingsAcross"):
            raise bad("Matrix reports (groupingsAcross) are not supported by the sandbox")
        if fmt not in ("TABULAR", "SUMMARY"):
            raise bad(f"Invalid reportFormat {fmt!r}")
        if fmt == "TABULAR" and down:
            raise bad("A tabular report has no groupings: use reportFormat SUMMARY")
        if fmt == "SUMMARY" and not 0 < len(down) <= 3:
            raise bad("A summary report needs one to three groupingsDown")

    def aggregates(self, obj: SObject, meta: Meta) -> list[tuple[str, str, SField | None]]:
        """(aggregate name, function, field) of `RowCount` and `s!Obj.Field`-style names."""
        out: list[tuple[str, str, SField | None]] = []
        for name in meta.get("aggregates") or []:
            fn, sep, column = str(name).partition("!")
            if name == "RowCount":
                out.append(("RowCount", "count", None))
                continue
            f = self.field(obj, column) if sep else None
            if fn not in AGGREGATES or f is None or f.type not in NUMERIC:
                raise bad(f"The aggregate {name} is invalid")
            out.append((str(name), fn, f))
        return out

    def describe_of(self, meta: Meta) -> dict[str, Any]:
        """The report describe: metadata, extended metadata, report type."""
        obj = self.report_object(meta, True)
        cols = [(str(c), self.field(obj, c)) for c in meta.get("detailColumns") or []]
        aggs = {name: {"dataType": "int" if f is None else f.type,
                       "label": "Record Count" if f is None else
                       f"{AGGREGATES[fn]} of {f.label or f.name}",
                       "acrossGroupingContext": None, "downGroupingContext": None}
                for name, fn, f in self.aggregates(obj, meta)}
        groups = {g["name"]: {"dataType": (f := self.field(obj, g["name"])).type,
                              "groupingLevel": i, "label": f.label or f.name}
                  for i, g in enumerate(meta.get("groupingsDown") or [])}
        return {
            "reportMetadata": meta,
            "reportExtendedMetadata": {
                "detailColumnInfo": {c: {"dataType": f.type, "label": f.label or f.name}
                                     for c, f in cols},
                "aggregateColumnInfo": aggs, "groupingColumnInfo": groups},
            "reportTypeMetadata": {"categories": [], "dataTypeFilterOperatorMap": {},
                                   "type": meta["reportType"]["type"]},
        }

    # ---- filters -----------------------------------------------------------------------
    def where(self, meta: Meta) -> str:
        """The SOQL condition of the report's filters and boolean filter ("" for none)."""
        obj = self.report_object(meta, True)
        conds = [self._condition(obj, f) for f in meta.get("reportFilters") or []]
        logic = meta.get("reportBooleanFilter")
        if not conds:
            return ""
        if not logic:
            return " AND ".join(conds)
        if not re.fullmatch(r"[\d\s()]*(?:(?:AND|OR|NOT)[\d\s()]*)*", str(logic)):
            raise bad(f"Invalid reportBooleanFilter {logic!r}")
        try:
            return re.sub(r"\d+", lambda m: f"({conds[int(m.group()) - 1]})", str(logic))
        except IndexError as exc:
            raise bad(f"reportBooleanFilter {logic!r} names a missing filter") from exc

    def _condition(self, obj: SObject, flt: Any) -> str:
        if not isinstance(flt, dict):
            raise bad("A report filter is an object with column, operator and value")
        f, op, value = self.field(obj, flt.get("column")), flt.get("operator"), flt.get("value")
        text = "" if value is None else str(value)
        if op in LIKE and f.type in TEXT:
            cond = f"{f.name} LIKE {quote(LIKE[op].format(text))}"
            return f"(NOT {cond})" if op == "notContain" else cond
        if op not in OPERATORS:
            raise bad(f"The operator {op!r} is invalid for the column {flt.get('column')}")
        values = [literal(f, v.strip()) for v in text.split(",")] if text else ["null"]
        if len(values) > 1 and op in ("equals", "notEqual"):
            return f"{f.name} {'NOT ' if op == 'notEqual' else ''}IN ({', '.join(values)})"
        return f"{f.name} {OPERATORS[op]} {values[0]}"

    # ---- runs --------------------------------------------------------------------------
    def visible(self, meta: Meta, viewer: Viewer) -> Meta:
        """The report as a user runs it: without object access no run; detail columns
        and aggregates of fields hidden by field-level security are left out; a grouping
        or filter on a hidden field refuses the run."""
        obj = self.report_object(meta, True)
        denied = SfError(403, "FORBIDDEN",
                         "You don’t have sufficient privileges to perform this operation.")
        if not viewer.can_read(obj):
            raise denied
        used = [g["name"] for g in meta["groupingsDown"]] + [
            f.get("column") for f in meta.get("reportFilters") or []]
        if any(not viewer.can_read_field(obj, self.field(obj, c)) for c in used):
            raise denied
        cols = [c for c in meta.get("detailColumns") or []
                if viewer.can_read_field(obj, self.field(obj, c))]
        aggs = [a for a, _, f in self.aggregates(obj, meta)
                if f is None or viewer.can_read_field(obj, f)]
        return {**meta, "detailColumns": cols, "aggregates": aggs}

    def run(self, meta: Meta, version: str, viewer: Viewer) -> dict[str, Any]:
        """Run a report synchronously as a user (their object, field and record access):
        groupings, each cell's aggregates, detail rows. A report of scope `user` ("My …")
        covers the rows the user owns."""
        meta = self.visible(meta, viewer)
        obj = self.report_object(meta, True)
        cols = [self.field(obj, c) for c in meta.get("detailColumns") or []]
        aggs = self.aggregates(obj, meta)
        groups = [(g, self.field(obj, g["name"])) for g in meta["groupingsDown"]]
        needed = {f.name: f for f in [*cols, *(f for _, f in groups),
                                       *(f for _, _, f in aggs if f)]}
        where = self.where(meta)
        if meta.get("scope") == "user" and obj.get("OwnerId") is not None:
            mine = f"OwnerId = {quote(viewer.user_id)}"
            where = f"({where}) AND {mine}" if where else mine
        soql = (f"SELECT {', '.join(needed) or 'Id'} FROM {obj.name}"
                f"{' WHERE ' + where if where else ''}")
        c = self.ctx.queries.compile(soql, version, False, viewer)
        total = self.ctx.queries.count(c)
        rows = [json.loads(text) for (text,) in self.ctx.org.cursor().execute(
            f"{c.json_sql()} LIMIT {MAX_ROWS}", c.params).fetchall()]
        fact: dict[str, Any] = {}
        tree = grouped(rows, groups, cols, aggs, fact, "", bool(meta.get("hasDetailRows")))
        fact["T!T"] = cell(rows if not groups else [], rows, cols, aggs,
                           bool(meta.get("hasDetailRows")))
        return {
            "attributes": {"reportId": meta["id"], "reportName": meta["name"],
                           "type": "Report"},
            "allData": total <= RUN_ROWS, "hasDetailRows": bool(meta.get("hasDetailRows")),
            "factMap": fact, "groupingsDown": {"groupings": tree},
            "groupingsAcross": {"groupings": []}, **self.describe_of(meta),
        }


def quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(f: SField, value: str) -> str:
    """A filter value as a SOQL literal of the field's type (dates: also TODAY, …)."""
    if value == "":
        return "null"
    if f.type in NUMERIC or f.type == "int":
        try:
            return repr(float(value))
        except ValueError as exc:
            raise bad(f"{value!r} is not a number for {f.name}") from exc
    if f.type == "boolean":
        return "true" if value.lower() in ("true", "1") else "false"
    if f.type in ("date", "datetime"):
        if _RELATIVE.match(value):
            return value
        if f.type == "datetime" and len(value) == 10:
            return f"{value}T00:00:00Z"
        return value
    return quote(value)


def bucket(value: Any, granularity: str) -> Any:
    """The grouping value of a date at a granularity (None stays None)."""
    if value is None or granularity in ("None", "Day"):
        return value[:10] if isinstance(value, str) and granularity == "Day" else value
    day = dt.date.fromisoformat(str(value)[:10])
    if granularity == "Week":
        day -= dt.timedelta(days=day.weekday())
    elif granularity == "Month":
        day = day.replace(day=1)
    elif granularity == "Quarter":
        day = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    elif granularity == "Year":
        day = day.replace(month=1, day=1)
    return day.isoformat()


def label_of(value: Any, granularity: str) -> str:
    """How a report labels a grouping value ("January 2026", "Q1 2026", "-")."""
    if value is None:
        return "-"
    if granularity in ("Month", "Quarter", "Year"):
        day = dt.date.fromisoformat(str(value))
        return {"Month": f"{day:%B %Y}", "Quarter": f"Q{(day.month + 2) // 3} {day.year}",
                "Year": str(day.year)}[granularity]
    return str(value)


def grouped(rows: list[dict[str, Any]], groups: list[tuple[Meta, SField]],
            cols: list[SField], aggs: list[tuple[str, str, SField | None]],
            fact: dict[str, Any], prefix: str, details: bool) -> list[dict[str, Any]]:
    """The grouping tree of `rows` (filling `fact` for each group), one level per call."""
    if not groups:
        return []
    (g, f), rest = groups[0], groups[1:]
    gran = str(g["dateGranularity"])
    buckets: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        buckets.setdefault(bucket(row.get(f.name), gran), []).append(row)
    keys = sorted(buckets, key=lambda v: (v is not None, v), reverse=g["sortOrder"] == "Desc")
    out = []
    for i, value in enumerate(keys):
        key = f"{prefix}_{i}" if prefix else str(i)
        members = buckets[value]
        fact[f"{key}!T"] = cell(members if not rest else [], members, cols, aggs, details)
        out.append({"key": key, "label": label_of(value, gran), "value": value,
                    "groupings": grouped(members, rest, cols, aggs, fact, key, details)})
    return out


def cell(detail: list[dict[str, Any]], members: list[dict[str, Any]], cols: list[SField],
         aggs: list[tuple[str, str, SField | None]], details: bool) -> dict[str, Any]:
    """One factMap cell: its aggregates, and its detail rows (leaf cells only)."""
    rows = [{"dataCells": [{"label": "" if r.get(f.name) is None else str(r[f.name]),
                            "value": r.get(f.name)} for f in cols]}
            for r in detail[:RUN_ROWS]] if details else []
    return {"rows": rows, "aggregates": [aggregate(members, fn, f) for _, fn, f in aggs]}


def aggregate(rows: list[dict[str, Any]], fn: str, f: SField | None) -> dict[str, Any]:
    if f is None:
        return {"label": f"{len(rows):,}", "value": len(rows)}
    values = [float(r[f.name]) for r in rows if r.get(f.name) is not None]
    if not values:
        return {"label": "-", "value": None}
    value = {"s": sum(values), "a": sum(values) / len(values), "m": min(values),
             "mx": max(values)}[fn]
    return {"label": f"{value:,.2f}", "value": value}
