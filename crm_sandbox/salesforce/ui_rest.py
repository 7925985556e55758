"""REST resources that show what setup deployed where users meet it: tabs and list views.

REST API Developer Guide: "Tabs" (`GET /vXX.X/tabs`: "a list of all tabs — including
Lightning page tabs — available to the current user", each with `name`, `label`,
`custom`, `sobjectName`, `url`, `iconUrl`, `miniIconUrl`, `colors`, `icons`) and "List
Views" (`GET …/sobjects/X/listviews` lists them with `id`, `developerName`, `label`,
`describeUrl`, `resultsUrl`, `soqlCompatible`; `…/listviews/{id}/describe` gives the
columns and the SOQL `query`; `…/listviews/{id}/results` runs it as the caller). The
sandbox lists the list views deployed with a CustomObject; a `Mine` list view covers the
caller's own records.
"""

from __future__ import annotations

import json
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from .catalog import Catalog, Meta
from .context import Context, V
from .errors import not_found
from .md_objects import field_path
from .model import SObject
from .reports import Reports, quote

STANDARD_TABS = ("Account", "Contact", "Lead", "Opportunity", "Campaign", "Product2")
OBJ = r"(?P<obj>\w+)"


class UiRest:
    """Tabs and list views."""

    def __init__(self, ctx: Context, catalog: Catalog) -> None:
        self.ctx, self.catalog = ctx, catalog
        self.engine = Reports(ctx, catalog)

    def endpoints(self) -> list[Endpoint]:
        lv = rf"{V}/sobjects/{OBJ}/listviews"
        return [
            Endpoint("GET", rf"{V}/tabs/?", "tabs", self.tabs),
            Endpoint("GET", rf"{lv}/?", "listviews", self.list_views),
            Endpoint("GET", rf"{lv}/(?P<id>00B\w+)/describe/?", "listviews.describe",
                     self.describe),
            Endpoint("GET", rf"{lv}/(?P<id>00B\w+)/results/?", "listviews.results",
                     self.results),
        ]

    def caller(self, req: Request) -> str:
        return self.ctx.viewer(req).user_id

    # ---- tabs -------------------------------------------------------------------------
    def tabs(self, req: Request) -> Response:
        """The tabs the caller's profile and permission sets make visible or available."""
        base = self.ctx.base_url
        settings = self.ctx.access.tab_settings(self.caller(req))
        out = [self.tab_entry(f"standard-{o.name}", o.label_plural, o, False, base)
               for name in STANDARD_TABS if (o := self.ctx.registry.get(name)) is not None
               and f"standard-{name}" in settings]
        for name in self.catalog.names("CustomTab"):
            if name not in settings:
                continue
            tab = self.catalog.get("CustomTab", name) or {}
            obj = self.ctx.registry.get(name) if tab.get("kind") == "customObject" else None
            label = (self.catalog.settings(name).values.get("pluralLabel") or obj.label_plural
                     if obj else tab.get("label") or name)
            out.append(self.tab_entry(name, str(label), obj, True, base))
        return json_response(out)

    @staticmethod
    def tab_entry(name: str, label: str, obj: SObject | None, custom: bool,
                  base: str) -> dict[str, Any]:
        url = f"{base}/{obj.prefix}/o" if obj else f"{base}/lightning/n/{name}"
        icon = f"{base}/img/icon/{'custom' if custom else name.lower()}32.png"
        return {"colors": [{"color": "4f6a92", "context": "primary", "theme": "theme4"}],
                "custom": custom, "iconUrl": icon, "icons": [
                    {"contentType": "image/png", "height": 32, "theme": "theme3",
                     "url": icon, "width": 32}], "label": label,
                "miniIconUrl": icon.replace("32.png", "16.png"), "name": name,
                "sobjectName": obj.name if obj else None, "url": url}

    # ---- list views -------------------------------------------------------------------
    def views(self, req: Request) -> tuple[SObject, dict[str, Meta]]:
        obj = self.ctx.registry.get(req.params["obj"])
        if obj is None:
            raise not_found(f"The requested resource does not exist: {req.params['obj']}")
        return obj, self.catalog.settings(obj.name).list_views

    def view(self, req: Request) -> tuple[SObject, Meta]:
        obj, views = self.views(req)
        found = next((v for v in views.values() if v["id"][:15] == req.params["id"][:15]),
                     None)
        if found is None:
            raise not_found()
        return obj, found

    def list_views(self, req: Request) -> Response:
        obj, views = self.views(req)
        v = req.params["v"]
        base = f"/services/data/v{v}/sobjects/{obj.name}/listviews"
        items = [{"describeUrl": f"{base}/{lv['id']}/describe", "developerName": lv["name"],
                  "id": lv["id"], "label": lv["label"], "resultsUrl":
                  f"{base}/{lv['id']}/results", "soqlCompatible": True,
                  "url": f"{base}/{lv['id']}"} for lv in views.values()]
        return json_response({"done": True, "listviews": items, "nextRecordsUrl": None,
                              "queryLocator": None, "size": len(items),
                              "sobjectType": obj.name})

    def soql(self, obj: SObject, lv: Meta, me: str) -> tuple[str, list[str]]:
        """The list view's query as the caller runs it, and its column paths."""
        paths = [field_path(obj, c) for c in lv["columns"]]
        report = {"reportType": {"type": obj.name}, "reportBooleanFilter": lv["booleanFilter"],
                  "reportFilters": [{"column": field_path(obj, f), "operator": op,
                                     "value": value} for f, op, value in lv["filters"]]}
        where = self.engine.where(report)
        if lv["scope"] == "Mine":
            mine = f"OwnerId = {quote(me)}"
            where = f"({where}) AND {mine}" if where else mine
        fields = list(dict.fromkeys([*paths, "Id"]))
        order = "Name" if obj.get("Name") is not None else "Id"
        return (f"SELECT {', '.join(fields)} FROM {obj.name}"
                f"{' WHERE ' + where if where else ''} ORDER BY {order} ASC NULLS FIRST, "
                "Id ASC NULLS FIRST", paths)

    def columns(self, obj: SObject, paths: list[str]) -> list[dict[str, Any]]:
        out = []
        for path in paths:
            f = obj.get(path)
            out.append({"fieldNameOrPath": path, "hidden": False, "label": (f.label if f else
                                                                            path),
                        "searchable": True, "selectListItem": path, "sortable": True,
                        "type": f.type if f else "string"})
        return out

    def describe(self, req: Request) -> Response:
        obj, lv = self.view(req)
        query, paths = self.soql(obj, lv, self.caller(req))
        return json_response({
            "columns": self.columns(obj, paths), "id": lv["id"], "orderBy": [
                {"fieldNameOrPath": "Name", "nullsPosition": "first",
                 "sortDirection": "ascending"}], "query": query,
            "scope": "mine" if lv["scope"] == "Mine" else None, "sobjectType": obj.name,
            "whereCondition": {"conditions": [], "conjunction": "and"}})

    def results(self, req: Request) -> Response:
        obj, lv = self.view(req)
        query, paths = self.soql(obj, lv, self.caller(req))
        c = self.ctx.queries.compile(query, req.params["v"], False, self.ctx.viewer(req))
        rows = [json.loads(text) for (text,) in self.ctx.org.cursor().execute(
            f"{c.json_sql()} LIMIT 2000", c.params).fetchall()]
        records = [{"columns": [{"fieldNameOrPath": p, "value": _path(r, p)}
                                for p in [*paths, "Id"]]} for r in rows]
        return json_response({"columns": self.columns(obj, paths), "developerName": lv["name"],
                              "done": True, "id": lv["id"], "label": lv["label"],
                              "records": records, "size": len(records)})


def _path(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
