"""The Sales KPIs card end to end: after `setup hubspot` and `run` against the sandbox,
the very search the card makes (built by the card's own code, through node) returns, for
a rep, the figures `crm-kpi compute` gives for that rep, and the company properties the
card reads hold each company's own figures (one setup and run for both: ~20 s). Also:
the card's copy of the KPI registry is the registry's."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hs_helpers import hubspot_info, source_config

from connector.cli import main
from connector.config import load_config
from connector.crms.hubspot.card import CARD_FOLDER, card_kpis, card_kpis_json
from connector.crms.hubspot.client import HubSpotClient
from connector.kpis import get_kpi
from connector.store import Store
from crm_sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
CARDS = ROOT / CARD_FOLDER
NODE = shutil.which("node")


def test_the_cards_registry_is_the_kpi_registrys() -> None:
    assert (CARDS / "kpis.json").read_text() == card_kpis_json(), (
        "hubspot-app/src/app/cards/kpis.json is stale: regenerate it with "
        "`python -c 'from connector.crms.hubspot.card import card_kpis_json as j; "
        "print(j(), end=\"\")' > hubspot-app/src/app/cards/kpis.json`"
    )


def _card_request(portal_id: int, owner_id: str, date: str) -> dict[str, Any]:
    """The search the card makes for this owner on `date`, built by kpiData.js itself."""
    script = (
        "const m = await import('./kpiData.js');"
        "const config = JSON.parse((await import('node:fs')).readFileSync('card-config.json'));"
        f"console.log(JSON.stringify(m.kpiSearchRequest({{portalId: {portal_id}, config,"
        f" ownerId: {json.dumps(owner_id)}, date: new Date({json.dumps(date)})}})));"
    )
    done = subprocess.run([str(NODE), "--input-type=module", "-e", script], cwd=CARDS,
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return dict(json.loads(done.stdout))


def _as_public_search(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """useCrmSearch's request as the CRM search API takes it (`pageLength` is `limit`)."""
    body = {k: v for k, v in request.items() if k not in ("objectType", "pageLength")}
    return str(request["objectType"]), {**body, "limit": request["pageLength"]}


def _config(sandbox: Sandbox, tmp_path: Path) -> Path:
    source = source_config(sandbox).model_dump(mode="json", exclude_none=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"reporting": {"currency": "USD", "timezone": "UTC"},
                                    "store": {"path": str(tmp_path / "store.duckdb")},
                                    "sources": [source]}))  # fmt: skip
    return path


def _computed(config: Path, period: str | None, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    """`crm-kpi compute --format json` of one month (None: the latest with data)."""
    capsys.readouterr()
    chosen = ["--period", period] if period else []
    assert main(["compute", "--config", str(config), *chosen, "--scope", "all",
                 "--format", "json"]) == 0  # fmt: skip
    return list(json.loads(capsys.readouterr().out))


def _month_before(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def _shown(value: float | None, kpi: dict[str, Any], part: str) -> float | None:
    """A computed figure as its property holds it: ratios × 100, at the shown decimals."""
    if value is None:
        return None
    ratio = kpi["unit"] == "ratio" or part in ("attainment", "pace")
    decimals = 1 if part in ("attainment", "pace") else kpi["decimals"]
    return round(value * (100 if ratio else 1), decimals)


@pytest.mark.e2e
@pytest.mark.skipif(NODE is None, reason="the card's code runs on node")
def test_the_cards_search_reads_what_compute_gives(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(sandbox, tmp_path)
    assert main(["setup", "hubspot", "--config", str(config)]) == 0
    assert main(["run", "--config", str(config)]) == 0
    latest, rows, revenue = None, _computed(config, None, capsys), []
    for _ in range(12):  # the latest month in which a rep won revenue
        latest = _month_before(latest) if latest else str(rows[0]["period"])
        rows = _computed(config, latest, capsys)
        revenue = [r for r in rows if r["kpi"] == "total_revenue" and r["value"]
                   and r["scope_type"] == "owner" and r["breakdown"] is None]  # fmt: skip
        if revenue:
            break
    assert latest
    assert revenue
    rows += _computed(config, _month_before(latest), capsys)
    rep = max(revenue, key=lambda r: r["value"])
    info = hubspot_info(sandbox)
    request = _card_request(info["portal_id"], rep["scope_id"], f"{latest}-20T12:00:00Z")
    obj, body = _as_public_search(request)
    with HubSpotClient(source_config(sandbox)) as client:
        found = client.call("crm.objects.search_api", "do_search", obj, body, what="search",
                            search=True).body["results"]  # fmt: skip
    assert sorted(r["properties"]["period"] for r in found) == [_month_before(latest), latest]
    checked = 0
    for record in found:
        props = record["properties"]
        assert props["scope_name"] == rep["scope_name"]
        mine = {r["kpi"]: r for r in rows if r["scope_type"] == "owner"
                and r["scope_id"] == rep["scope_id"] and r["breakdown"] is None
                and r["period"] == props["period"]}  # fmt: skip
        for kpi in card_kpis()["kpis"]:
            computed = mine.get(kpi["key"])
            for part, name in kpi["properties"].items():
                want = _shown(computed.get(part) if computed else None, kpi, part)
                got = props.get(name)
                if want is None:
                    assert got in (None, ""), f"{props['period']} {name}: {got}"
                else:
                    assert float(got) == pytest.approx(want, abs=1e-9), f"{name}"
                    checked += 1
    assert checked >= 10
    assert get_kpi("total_revenue").label == card_kpis()["kpis"][0]["label"]
    _check_company_figures(sandbox, config)


def _check_company_figures(sandbox: Sandbox, config: Path) -> None:
    """The company properties the card reads hold each company's own figures."""
    card = json.loads((CARDS / "card-config.json").read_text())
    names = list(card["companyProperties"].values())
    body = {"filterGroups": [{"filters": [{"propertyName": names[0],
                                           "operator": "HAS_PROPERTY"}]}],
            "properties": names, "limit": 5}  # fmt: skip
    with HubSpotClient(source_config(sandbox)) as client:
        found = client.call("crm.objects.search_api", "do_search", "companies", body,
                            what="search", search=True).body["results"]  # fmt: skip
    assert found
    store_path = load_config(config).store.path
    with Store(store_path) as store:
        for company in found:
            figures = store.con.execute(
                "SELECT revenue_this_year, customer_since FROM account_figures "
                "WHERE account_id = ?", [company["id"]]).fetchone()  # fmt: skip
            assert figures is not None
            props = company["properties"]
            assert float(props[names[0]]) == pytest.approx(round(figures[0]))
            assert props[card["companyProperties"]["customer_since"]] == str(figures[1])
