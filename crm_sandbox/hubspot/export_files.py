"""CRM export files: what `POST /crm/v3/exports/export/async` asks for, and the CSV that
HubSpot delivers (developers.hubspot.com/docs/api-reference/legacy/crm/exports/guide).

- Columns: the record id, then `objectProperties` in order; headers are property labels
  ("Record ID", "Deal Name") or, with `exportInternalValuesOptions: ["NAMES"]`, internal
  names; values are display values (option labels, owner names, `2024-05-01 12:34`
  datetimes) or, with `VALUES`, the strings the list API returns.
- Per associated object type (at most four): `Associated <Singular> IDs`, ids joined by
  `;`, at most 1,000 per row unless `overrideAssociatedObjectsPerDefinitionPerRowLimit`;
  with one associated type (or `includePrimaryDisplayPropertyForAssociatedObjects`) also
  `Associated <Singular>`, the primary display values (headers as in recorded exports).
- Files: one CSV per up to 1,000,000 rows, each with its header; a zip when partitioned or
  when the CSV is over 2 MB.
- Filters: `publicCrmSearchRequest` with `filterGroups` (at most three groups of three;
  a filter names its property as `propertyName` or, in the guide's example, `property`)
  or the client model's flat `filters` (one group), `query`, and `sorts`.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..org import Org
from .associations import Associations
from .errors import HsError, validation
from .model import OWNER_BASE, ObjectType
from .props import Prop
from .registry import Registry
from .search import Search

MAX_GROUPS, MAX_PER_GROUP, MAX_ASSOCIATED, PER_ROW = 3, 3, 4, 1000
FORMATS = ("CSV", "XLSX", "XLS")
LANGUAGES = ("EN", "DE", "ES", "FI", "FR", "IT", "JA", "NL", "PL", "PT", "PT_BR", "SV",
             "ZH_TW", "DA_DK", "NO")
DISPLAY_DATETIME = "%Y-%m-%d %H:%M"
PRIMARY_DISPLAY = {"companies": "name", "deals": "dealname", "line_items": "name",
                   "products": "name"}


@dataclass
class FileLimits:
    """Partitioning as the guide's "Limits" state it (changeable for tests)."""

    rows_per_file: int = 1_000_000
    zip_over_bytes: int = 2 * 1024 * 1024


@dataclass
class ExportSpec:
    """One export request, validated."""

    obj: ObjectType
    name: str
    format: str
    props: list[Prop]
    associated: list[ObjectType]
    names: bool  # internal property names as headers
    values: bool  # internal values instead of display values
    display_associated: bool
    unlimited: bool  # all associated records, not the first 1,000
    search: dict[str, Any] = field(default_factory=dict)  # filterGroups, query, sorts


def strings(body: dict[str, Any], key: str) -> list[str]:
    raw = body.get(key)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise validation(f"{key} must be a list of strings")
    return list(raw)


def parse_spec(registry: Registry, body: dict[str, Any]) -> ExportSpec:
    """The export a request body describes, or the 400 HubSpot answers."""
    kind = str(body.get("exportType") or "").upper()
    fmt = str(body.get("format") or "").upper()  # the guide's own example sends "xlsx"
    name = str(body.get("exportName") or "").strip()
    if kind not in ("VIEW", "LIST") or fmt not in FORMATS or not name:
        raise validation("exportType (VIEW or LIST), format (CSV, XLSX or XLS) and "
                         "exportName are required")
    if str(body.get("language") or "EN").upper() not in LANGUAGES:
        raise validation(f"Unsupported language {body.get('language')!r}")
    if fmt != "CSV":  # spreadsheets are not emulated: the connector reads CSV
        raise validation(f"The sandbox serves CSV exports only, not {fmt}")
    if kind == "LIST":  # the sandbox serves no lists: every ILS list id is unknown
        raise validation(f"List {body.get('listId')!r} does not exist")
    o = registry.get(str(body.get("objectType") or ""))
    options = set(strings(body, "exportInternalValuesOptions"))
    if not options <= {"NAMES", "VALUES"}:
        raise validation("exportInternalValuesOptions takes NAMES and VALUES")
    associated = [registry.get(a) for a in strings(body, "associatedObjectType")]
    if len(associated) > MAX_ASSOCIATED:
        raise validation(f"At most {MAX_ASSOCIATED} associated object types per export")
    display = body.get("includePrimaryDisplayPropertyForAssociatedObjects")
    return ExportSpec(o, name, fmt, columns(o, strings(body, "objectProperties")), associated,
                      "NAMES" in options, "VALUES" in options,
                      len(associated) == 1 if display is None else bool(display),
                      bool(body.get("overrideAssociatedObjectsPerDefinitionPerRowLimit")),
                      search_body(body.get("publicCrmSearchRequest")))


def columns(o: ObjectType, names: list[str]) -> list[Prop]:
    """The record id first, then the requested properties (each once)."""
    if not names:
        raise validation("objectProperties must name at least one property")
    unknown = [n for n in names if n not in o.props]
    if unknown:
        raise validation(f"Properties {unknown} do not exist on {o.name}")
    ordered = dict.fromkeys(["hs_object_id", *names])
    return [o.props[n] for n in ordered]


def search_body(req: Any) -> dict[str, Any]:
    """publicCrmSearchRequest as a search body: filterGroups (or flat filters), query, sorts."""
    if req is None:
        return {}
    if not isinstance(req, dict):
        raise validation("publicCrmSearchRequest must be an object")
    groups = req.get("filterGroups")
    if groups is None:
        groups = [{"filters": req.get("filters") or []}] if req.get("filters") else []
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS or any(
            not isinstance(g, dict) or len(g.get("filters") or []) > MAX_PER_GROUP
            for g in groups):
        raise validation(f"Exports take at most {MAX_GROUPS} filterGroups of "
                         f"{MAX_PER_GROUP} filters")
    renamed = [{"filters": [{**f, "propertyName": f.get("propertyName") or f.get("property")}
                            for f in g.get("filters") or [] if isinstance(f, dict)]}
               for g in groups]
    return {"filterGroups": renamed, "query": req.get("query") or "",
            "sorts": list(req.get("sorts") or [])}


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def display_sql(p: Prop) -> str:
    """A property's display value: option labels, owner names, readable dates."""
    if p.meta.get("kind") == "owner":
        return (f"(SELECT trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, "
                f"'')) FROM users u WHERE u.n = TRY_CAST({p.sql} AS BIGINT) - {OWNER_BASE})")
    if p.options:
        whens = " ".join(f"WHEN {literal(v)} THEN {literal(lab)}" for v, lab in p.options)
        return f"(CASE {p.out()} {whens} ELSE {p.out()} END)"
    if p.type == "datetime":
        return f"strftime(({p.sql})::TIMESTAMP, '{DISPLAY_DATETIME}')"
    if p.type == "bool":
        return f"(CASE WHEN ({p.sql}) IS NULL THEN NULL WHEN ({p.sql}) THEN 'Yes' ELSE 'No' END)"
    return p.out()


class ExportWriter:
    """Builds an export's files from the org, inside DuckDB."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self.assoc = org, Associations(org, registry)
        self.search = Search(org)
        self.limits = FileLimits()

    def query(self, spec: ExportSpec) -> tuple[str, str, str, list[Any]]:
        """(SELECT list, FROM … WHERE …, ORDER BY list, params) of an export's rows."""
        o = spec.obj
        cols = [f"{p.out() if spec.values else display_sql(p)} AS "
                f"{quoted(p.name if spec.names else p.label)}" for p in spec.props]
        # The search endpoint's own filter compiler: the same operators and coercions.
        (where, used), params = self.search._where(o, spec.search)
        order, sorted_by = self.order(o, spec.search.get("sorts") or [])
        joins = []
        for i, dst in enumerate(spec.associated):
            agg, extra = self.associated(o, dst, spec)
            joins.append(f"LEFT JOIN ({agg}) a{i} ON a{i}.a = t.n")
            cols.extend(c.format(a=f"a{i}") for c in extra)
        base = (f"FROM {o.from_sql([*spec.props, *used, *sorted_by])} {' '.join(joins)} "
                f"WHERE {o.where(False)} AND ({where})")
        return ", ".join(cols), base, order, params

    @staticmethod
    def order(o: ObjectType, sorts: list[Any]) -> tuple[str, list[Prop]]:
        """ORDER BY the requested sorts (names or {propertyName, order}), then the id."""
        keys, used = [], []
        for s in sorts:
            name = str(s.get("propertyName") or "") if isinstance(s, dict) else str(s)
            way = str((s.get("order") or s.get("direction") or "") if isinstance(s, dict)
                      else "").upper()
            prop = o.props.get(name.lstrip("-"))
            if prop is None:
                raise validation(f"Cannot sort on unknown property {name!r}")
            desc = way in ("DESC", "DESCENDING") or name.startswith("-")
            keys.append(f"({prop.sql}) {'DESC' if desc else 'ASC'} NULLS LAST")
            used.append(prop)
        return ", ".join([*keys, "t.n"]), used

    def associated(self, o: ObjectType, dst: ObjectType, spec: ExportSpec
                   ) -> tuple[str, list[str]]:
        """A per-record aggregate of associated ids (and display values), and its columns."""
        try:
            pairs = self.assoc.pair(o, dst)[0]
        except HsError as exc:
            raise validation(f"{o.name} cannot be exported with {dst.name}") from exc
        cap = "" if spec.unlimited else f" WHERE rn <= {PER_ROW}"
        label, shown = self.display(dst), spec.display_associated
        name_col = ", string_agg(d.label, ';' ORDER BY r.b) AS names" if shown and label else ""
        join = (f" LEFT JOIN (SELECT t.n, {label[0]} AS label FROM "
                f"{dst.from_sql(label[1])}) d ON d.n = r.b") if name_col and label else ""
        agg = (f"SELECT r.a, string_agg(CAST(r.b + {dst.base} AS VARCHAR), ';' ORDER BY r.b) "
               f"AS ids{name_col} FROM (SELECT a, b, row_number() OVER (PARTITION BY a ORDER "
               f"BY b) AS rn FROM ({pairs}) q) r{join}{cap} GROUP BY r.a")
        title = f"Associated {dst.singular}"
        out = [f"{{a}}.ids AS {quoted(title + ' IDs')}"]
        if name_col:
            out.append(f"{{a}}.names AS {quoted(title)}")
        return agg, out

    @staticmethod
    def display(o: ObjectType) -> tuple[str, list[Prop]] | None:
        """SQL of a record's primary display value (contacts: `First Last (email)`)."""
        if o.name == "contacts":
            fn, ln, em = (o.props[n] for n in ("firstname", "lastname", "email"))
            return (f"trim(coalesce({fn.sql}, '') || ' ' || coalesce({ln.sql}, '')) || "
                    f"coalesce(' (' || {em.sql} || ')', '')", [fn, ln, em])
        name = PRIMARY_DISPLAY.get(o.name)
        if name is None or name not in o.props:
            return None
        return o.props[name].out(), [o.props[name]]

    def write(self, spec: ExportSpec, folder: Path, stem: str) -> Path:
        """The export's file: a CSV, or a zip of CSV partitions."""
        select, base, order, params = self.query(spec)
        cur = self.org.cursor()
        row = cur.execute(f"SELECT count(*) {base}", params).fetchone()
        total = int(row[0]) if row else 0
        size = self.limits.rows_per_file
        parts = []
        for k in range(max(1, -(-total // size))):
            part = folder / (f"{stem}.csv" if total <= size else f"{stem}-{k + 1}.csv")
            cur.execute(f"COPY (SELECT {select} {base} ORDER BY {order} LIMIT {size} OFFSET "
                        f"{k * size}) TO "
                        f"{literal(str(part))} (HEADER, DELIMITER ',')", params)
            parts.append(part)
        if len(parts) == 1 and parts[0].stat().st_size <= self.limits.zip_over_bytes:
            return parts[0]
        bundle = folder / f"{stem}.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
            for part in parts:
                z.write(part, part.name)
                part.unlink()
        return bundle


def file_stem(name: str) -> str:
    """A file name from an export name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "export"
