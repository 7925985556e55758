"""What a rep reads on the Sales KPIs card in the demo's HubSpot portal: the project
`crm-kpi card hubspot` writes for the demo's config, then the card's two requests as
that project sends them when the rep opens a company they own (the record's owner and
figures, then the owner's KPI records by key) and the card's rows from the answers.

HubSpot runs a card's requests in the viewer's session; the sandbox has one session,
the app's, which sees every record (docs/sandbox-hubspot.md, "one person behind every
token"), so the requests go with the integration token, through the connector's client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from connector.config import Config
from connector.crms.hubspot.bundle import Support, describe, write_card
from connector.crms.hubspot.card import as_public_search, search_request
from connector.crms.hubspot.client import HubSpotClient
from connector.crms.hubspot.config import HubSpotConfig
from connector.crms.hubspot.mapping import load_mapping
from connector.invocation import suggest
from connector.kpi.periods import period_of

_UNITS = {"ratio": "{:.{d}f} %", "days": "{:.{d}f} d", "multiple": "{:.{d}f}:1",
          "score": "{:.{d}f}"}  # fmt: skip
CANDIDATES = 12


def shown(text: Any, unit: str, decimals: int, currency: str) -> str:
    """A property's value as the card shows it (en-US), "—" when empty."""
    if text in (None, ""):
        return "—"
    if unit == "date":
        return str(text)
    value = float(text)
    if unit == "money":
        return f"{value:,.{decimals}f} {currency}"
    return _UNITS.get(unit, "{:.{d}f}").format(value, d=decimals)


def trend(kpi: dict[str, Any], now: dict[str, Any], before: dict[str, Any], share: float) -> str:
    """The card's arrow: like for like (a KPI with pace against the previous period
    pro-rated to the share elapsed), good or bad by the KPI's direction."""
    name = kpi["properties"]["value"]
    if now.get(name) in (None, "") or before.get(name) in (None, ""):
        return ""
    a, b = float(now[name]), float(before[name])
    base = b * share if "pace" in kpi["properties"] else b
    if a == base:
        return "="
    good = (a > base) == kpi["higherIsBetter"]
    return f"{'▲' if a > base else '▼'} ({'good' if good else 'bad'})"


def _search(client: HubSpotClient, obj: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.call("crm.objects.search_api", "do_search", obj, body,
                         what=f"search {obj}", search=True)  # fmt: skip
    return list(answer.body.get("results") or [])


def _owned_company(client: HubSpotClient, settings: dict[str, Any], owner: str) -> dict[str, Any]:
    """What `useCrmProperties` gives the card on a company this owner owns: the owner,
    the company's name and its figures (the one with the most figures among a few)."""
    figures = [f["property"] for f in settings["companyFigures"]]
    names = [settings["ownerProperty"], "name", *figures]
    body = {"filterGroups": [{"filters": [{"propertyName": settings["ownerProperty"],
                                           "operator": "EQ", "value": owner}]}],
            "properties": names, "limit": 20}  # fmt: skip
    found = _search(client, "companies", body)
    return max(found, key=lambda c: sum(bool(v) for v in c["properties"].values()),
               default={"properties": {settings["ownerProperty"]: owner}})  # fmt: skip


def periods_around(settings: dict[str, Any], day: dt.date) -> tuple[str, str]:
    """The period in progress on `day` (the reporting time zone's date) and the one
    before, by name, as the engine names them."""
    period = period_of(day, settings["periodType"], settings["fiscalYearStartMonth"])
    return period.key, period.shifted(-1, settings["fiscalYearStartMonth"]).key


@dataclass
class RepCard:
    """What the card reads for one rep on one of their companies."""

    rep: dict[str, Any]
    company: dict[str, Any]
    records: list[dict[str, Any]]
    day: dt.date


def read_rep_card(client: HubSpotClient, settings: dict[str, Any], info: dict[str, Any],
                  day: dt.date) -> RepCard | None:  # fmt: skip
    """The first active rep (of a few) with KPI records of the period in progress on
    `day` and the one before, read by the card's own search, and their company."""
    reps = [u for u in info["users"] if u["active"] and u.get("team") and not u.get("role")]
    for rep in reps[:CANDIDATES]:
        periods = periods_around(settings, day)
        request = search_request(settings, info["portal_id"], rep["owner_id"], periods)
        records = _search(client, *as_public_search(request))
        if len(records) == len(periods):
            company = _owned_company(client, settings, rep["owner_id"])
            return RepCard(rep, company["properties"], records, day)
    return None


def show_hubspot_rep_view(config: Config, source: HubSpotConfig, info: dict[str, Any],
                          out: Path, console: Console) -> None:  # fmt: skip
    """Write the card's project, then print the card as one rep sees it today."""
    push = load_mapping(source.mapping_path).push
    written = write_card(out, config.reporting, push, Support(email="revops@example.com"),
                         config_path=config.config_path)  # fmt: skip
    settings = written.settings
    console.print(f"  {suggest('card', 'hubspot', '--config', config.config_path, '--out', out)}"
                  f" wrote the card's project ({describe(settings)}); `hs project upload` "
                  "there deploys it.", soft_wrap=True, markup=False)  # fmt: skip
    today = dt.datetime.now(ZoneInfo(config.reporting.timezone)).date()
    with HubSpotClient(source) as client:
        card = read_rep_card(client, settings, info, today)
    if card is None:
        console.print("  No rep has KPI records of this period and the one before yet.")
        return
    _print_card(console, settings, card)


def _computed_at(text: str | None, zone: str) -> str:
    """The as-of stamp as the card shows it: in the reporting time zone."""
    if not text:
        return "—"
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return f"{when:%b} {when.day}, {when:%Y}, {when:%H:%M} {when.tzname()}"


def _print_card(console: Console, settings: dict[str, Any], card: RepCard) -> None:
    currency, record = settings["currency"], settings["record"]
    rep, company, today = card.rep, card.company, card.day
    console.print(f"  {rep['name']} ({rep['email']}, team {rep['team']}) opens their company "
                  f"{company.get('name') or '(unnamed)'}; the Sales KPIs card shows:",
                  soft_wrap=True)  # fmt: skip
    figures = [f"{f['label']} "
               f"{shown(company.get(f['property']), f['unit'], f['decimals'], currency)}"
               for f in settings["companyFigures"]]  # fmt: skip
    if figures:
        console.print(f"  This company: {' · '.join(figures)}", soft_wrap=True)
    current, previous = periods_around(settings, today)
    by_period = {r["properties"][record["period"]]: r["properties"] for r in card.records}
    now, before = by_period.get(current, {}), by_period.get(previous, {})
    note = f"; no pace yet: {now[record['paceNote']]}" if now.get(record["paceNote"]) else ""
    computed = _computed_at(now.get(record["asOf"]), settings["timeZone"])
    console.print(f"  {now.get(record['scopeName'])}: {current} (in progress) and {previous}, "
                  f"computed {computed}{note}", soft_wrap=True)  # fmt: skip
    period = period_of(today, settings["periodType"], settings["fiscalYearStartMonth"])
    share = min(1.0, ((today - period.start).days + 1) / (period.end - period.start).days)
    table = Table("KPI", current, "target", "attainment", "pace", "trend", previous)
    for kpi in settings["kpis"]:
        props, unit, decimals = kpi["properties"], kpi["unit"], kpi["decimals"]
        cells = [shown(now.get(props["value"]), unit, decimals, currency),
                 shown(now.get(props["target"]), unit, decimals, currency),
                 shown(now.get(props["attainment"]), "ratio", 1, currency),
                 shown(now.get(props["pace"]), "ratio", 1, currency) if "pace" in props else "",
                 trend(kpi, now, before, share),
                 shown(before.get(props["value"]), unit, decimals, currency)]  # fmt: skip
        table.add_row(kpi["shortLabel"], *cells)
    console.print(table)
