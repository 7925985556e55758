"""What a rep reads in the demo's Salesforce org: the KPI card's own query (the text the
Lightning Web Component ships) sent with the rep's session, and which KPI records
sharing lets them read. Through simple-salesforce, as the card's data service would;
the rep's session is the sandbox's, so no login of the connector's transport is involved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests
from rich.console import Console
from rich.table import Table
from simple_salesforce.api import Salesforce

from connector.crms.salesforce.card import card_kpis, owner_query, record_fields
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.names import PAGES
from connector.kpis import get_kpi

_UNITS = {"ratio": "{:.1f} %", "days": "{:.1f} days", "score": "{:.0f}", "multiple": "{:.1f}:1"}


def pick_rep(users: list[dict[str, Any]]) -> dict[str, Any]:
    """A rep with a manager above them: the person the demo looks through."""
    return next(u for u in users if u.get("manager") and u.get("profile") != "System "
                "Administrator")  # fmt: skip


def _client(info: dict[str, Any], ca_file: str, token: str) -> Salesforce:
    session = requests.Session()
    session.verify = ca_file
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    return Salesforce(instance_url=info["instance_url"], session_id=token, session=session,
                      version="62.0")  # fmt: skip


def _when(stamp: Any) -> str:
    """When crm-kpi computed the figures, as a person reads it (the card uses their zone)."""
    if not stamp:
        return "never"
    moment = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _shown(field: dict[str, Any] | None, unit: str, part: str) -> str:
    value = (field or {}).get("value")
    if value is None:
        return "—"
    if part in ("attainment", "pace"):
        return f"{float(value):.1f} %"
    if unit == "money":
        shown = (field or {}).get("displayValue")
        return str(shown) if shown else f"{float(value):,.0f}"
    return _UNITS.get(unit, "{}").format(float(value))


def _trend(now: dict[str, Any], before: dict[str, Any], kpi: dict[str, Any]) -> str:
    a = (now.get(kpi["value"]) or {}).get("value")
    b = (before.get(kpi["value"]) or {}).get("value")
    if a is None or b is None or a == b:
        return "" if a is None or b is None else "="
    good = (a > b) == (kpi["better"] == "higher")
    return f"{'▲' if a > b else '▼'} ({'good' if good else 'bad'})"


def show_rep_view(info: dict[str, Any], ca_file: str, push: PushMapping, console: Console) -> None:
    """Print the card as one rep sees it on their Home page, and what sharing shows them."""
    rep = pick_rep(info["users"])
    sf = _client(info, ca_file, rep["access_token"])
    body = {"query": owner_query(push), "variables": {"ownerId": rep["user_id"]}}
    answer = sf.restful("graphql", method="POST", json=body) or {}
    edges = answer.get("data", {}).get("uiapi", {}).get("query", {}).get(push.object, {})
    nodes = [e["node"] for e in (edges or {}).get("edges", [])]
    console.print(f"  {rep['name']} ({rep['role']}, {rep['username']}) opens Home; the Sales "
                  "KPIs card shows:", soft_wrap=True)  # fmt: skip
    if not nodes:
        console.print("  No KPIs for you yet.")
        return
    now, before = nodes[0], nodes[1] if len(nodes) > 1 else {}
    said = {key: (now.get(name) or {}).get("value") for key, name in record_fields().items()}
    console.print(f"  {said['period']} ({said['periodStatus']}), as of {_when(said['asOf'])}"
                  + (f"; no pace yet: {said['paceNote']}" if said["paceNote"] else ""),
                  soft_wrap=True)
    table = Table("KPI", "value", "target", "attainment", "pace", "before", "trend")
    for kpi in card_kpis(push):
        cells = [_shown(now.get(kpi.get(p, "")), kpi["unit"], p)
                 for p in ("value", "target", "attainment", "pace")]  # fmt: skip
        cells.append(_shown(before.get(kpi["value"]), kpi["unit"], "value"))
        table.add_row(get_kpi(kpi["key"]).short_label, *cells, _trend(now, before, kpi))
    console.print(table)
    rows = sf.query_all(f"SELECT Scope_Type__c, OwnerId FROM {push.object}")["records"]
    mine = [r["OwnerId"] == rep["user_id"] for r in rows if r["Scope_Type__c"] == "owner"]
    own, others = sum(mine), len(mine) - sum(mine)
    shared = sum(1 for r in rows if r["Scope_Type__c"] != "owner")
    console.print(f"  Sharing lets {rep['name']} read {own} KPI records of their own, "
                  f"{shared} of the company, teams and territories, and {others} of other "
                  "reps.", soft_wrap=True)  # fmt: skip
    console.print(f"  In a real org the card shows once a page carrying it is active: "
                  f"setup deployed {PAGES['home']} for Home, which an admin activates in "
                  "Lightning App Builder (push.activate_pages makes the Account and "
                  "Opportunity pages the org default where none is).", soft_wrap=True)
