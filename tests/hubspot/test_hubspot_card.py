"""`crm-kpi card hubspot`: the Sales KPIs card's HubSpot project, written for a portal's
own config and mapping from the sources shipped in the package; a folder it did not write,
or a file changed since, is never overwritten unless forced; the shipped settings are the
default config's; the card's search built in Python is the one kpiData.js builds."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from connector.cli import main
from connector.crms.hubspot.bundle import APP_META, MARKER, PACKAGE, SOURCES
from connector.crms.hubspot.card import (
    PROJECT,
    SETTINGS_FILE,
    search_request,
    settings_of_js,
    shipped_settings,
)
from connector.demo.hubspot_view import periods_around
from connector.errors import EXIT_CONFIG
from connector.resources import shipped

NODE = shutil.which("node")
ROOT = Path(__file__).resolve().parents[2]


def _portal(tmp_path: Path, **reporting: Any) -> Path:
    """A HubSpot config as `crm-kpi init` writes it, with `reporting` and a mapping that
    renames what it may: the object, its period type, the company properties, fewer KPIs."""
    assert main(["init", "--crm", "hubspot", "--dir", str(tmp_path)]) == 0
    config_path = tmp_path / "config.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["reporting"].update(reporting)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    mapping_path = tmp_path / "mappings" / "hubspot.yaml"
    mapping = yaml.safe_load(mapping_path.read_text())
    mapping["push"].update({
        "object": "kpi_record", "current_period_type": "quarter",
        "kpis": ["total_revenue", "closing_ratio", "sales_by_contact_method"],
        "account_fields": {"revenue_this_year": "umsatz_dieses_jahr",
                           "customer_since": {"field": "kunde_seit"}},
    })  # fmt: skip
    mapping_path.write_text(yaml.safe_dump(mapping, sort_keys=False))
    return config_path


def _card(config: Path, out: Path, *extra: str) -> int:
    return main(["card", "hubspot", "--config", str(config), "--out", str(out), *extra])


def _settings(out: Path) -> dict[str, Any]:
    return settings_of_js((out / SETTINGS_FILE).read_text(encoding="utf-8"))


def test_the_project_carries_the_portals_own_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _portal(tmp_path / "cfg", currency="EUR", timezone="Europe/Berlin",
                     fiscal_year_start_month=4)  # fmt: skip
    out = tmp_path / "card"
    assert _card(config, out, "--support-email", "revops@acme.example",
                 "--documentation-url", "https://wiki.acme.example/kpis") == 0  # fmt: skip
    said = capsys.readouterr().out
    assert "EUR, quarter periods, fiscal year from April, time zone Europe/Berlin" in said
    assert "next: cd " in said
    settings = _settings(out)
    assert settings["currency"] == "EUR"
    assert settings["periodType"] == "quarter"
    assert settings["fiscalYearStartMonth"] == 4
    assert settings["timeZone"] == "Europe/Berlin"
    assert settings["kpiObject"] == "kpi_record"
    assert settings["record"]["asOf"] == "as_of"  # the property the writer stamps
    assert [k["key"] for k in settings["kpis"]] == ["total_revenue", "closing_ratio"]
    assert settings["kpis"][0]["properties"]["pace"] == "total_revenue_pace"
    figures = {f["key"]: f["property"] for f in settings["companyFigures"]}
    assert figures == {"revenue_this_year": "umsatz_dieses_jahr", "customer_since": "kunde_seit"}
    meta = json.loads((out / APP_META).read_text())
    assert meta["config"]["support"] == {
        "supportEmail": "revops@acme.example",
        "documentationUrl": "https://wiki.acme.example/kpis",
    }
    assert "devDependencies" not in json.loads((out / PACKAGE).read_text())
    for name in SOURCES:  # the shipped sources, as they are
        assert (out / name).read_bytes() == (shipped(PROJECT) / name).read_bytes()
    assert not list(out.rglob("*.test.*"))


def test_a_folder_it_did_not_write_or_a_changed_file_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _portal(tmp_path / "cfg")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert _card(config, foreign) == EXIT_CONFIG
    assert "was not written by `crm-kpi card hubspot`" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    assert _card(config, foreign, "--force") == 0
    assert (foreign / "notes.txt").read_text() == "mine"
    assert "no support contact" in capsys.readouterr().out

    out = tmp_path / "card"
    assert _card(config, out, "--support-email", "revops@acme.example") == 0
    assert "no support contact" not in capsys.readouterr().out
    (out / "node_modules").mkdir()  # what `npm install` leaves stays
    assert _card(config, out) == 0  # its own output: written again, the contact kept
    assert "no support contact" not in capsys.readouterr().out
    assert json.loads((out / APP_META).read_text())["config"]["support"] == {
        "supportEmail": "revops@acme.example"}  # fmt: skip
    assert (out / "node_modules").is_dir()
    edited = out / SETTINGS_FILE
    edited.write_text(edited.read_text().replace('"EUR"', '"USD"') + "// mine\n")
    assert _card(config, out) == EXIT_CONFIG
    assert f"{edited}: changed since" in capsys.readouterr().err
    assert edited.read_text().endswith("// mine\n")
    assert _card(config, out, "--force") == 0
    assert not edited.read_text().endswith("// mine\n")


def test_an_earlier_runs_file_no_longer_written_is_removed(tmp_path: Path) -> None:
    config = _portal(tmp_path / "cfg")
    out = tmp_path / "card"
    assert _card(config, out) == 0
    marker = json.loads((out / MARKER).read_text())
    marker["files"]["src/app/cards/old.js"] = "0" * 64
    (out / MARKER).write_text(json.dumps(marker))
    (out / "src/app/cards/old.js").write_text("stale")  # changed since: still, not ours now
    assert _card(config, out, "--force") == 0
    assert not (out / "src/app/cards/old.js").exists()


def test_what_is_not_a_hubspot_card_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _portal(tmp_path / "cfg")
    assert main(["card", "salesforce", "--config", str(config), "--out", str(tmp_path / "o")]) == 2
    assert "setup salesforce" in capsys.readouterr().err
    assert main(["card", "nowhere", "--config", str(config), "--out", str(tmp_path / "o")]) == 2
    assert "no HubSpot source named or of type nowhere" in capsys.readouterr().err
    assert _card(config, tmp_path / "o", "--support-email", "not-an-address") == 2
    assert "--support-email 'not-an-address': not an e-mail address" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_shipped_settings_are_the_default_configs() -> None:
    path = shipped(PROJECT) / SETTINGS_FILE
    assert path.read_text(encoding="utf-8") == shipped_settings(), (
        f"{path} is stale: refresh it with `python -m connector.crms.hubspot.card`"
    )


def test_the_project_ships_every_module_the_card_imports() -> None:
    folder = shipped(PROJECT)
    made = {SETTINGS_FILE, APP_META, PACKAGE}
    cards = folder / "src/app/cards"
    for name in ("SalesKpis.jsx", "SalesKpisCard.jsx", "kpiData.js"):
        for module in re.findall(r'from "\./([^"]+)"', (cards / name).read_text()):
            assert f"src/app/cards/{module}" in {*SOURCES, *made}, module
    kept = {"package-lock.json"}  # and the tests: they stay with crm-kpi
    found = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
             and "node_modules" not in p.parts and ".test." not in p.name
             and p.name not in kept}  # fmt: skip
    assert found == {*SOURCES, *made}


def test_the_card_has_one_copy_in_the_repository() -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run([git, "ls-files", "*SalesKpisCard.jsx", "*kpiData.js"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    assert sorted(listed) == [f"connector/{PROJECT}/src/app/cards/SalesKpisCard.jsx",
                              f"connector/{PROJECT}/src/app/cards/kpiData.js"]  # fmt: skip


@pytest.mark.skipif(NODE is None, reason="the card's code runs on node")
@pytest.mark.parametrize("when", ["2026-12-31T23:30:00Z", "2026-04-01T12:00:00Z"])
def test_the_search_built_in_python_is_the_cards(tmp_path: Path, when: str) -> None:
    config = _portal(tmp_path / "cfg", currency="EUR", timezone="Europe/Berlin",
                     fiscal_year_start_month=4)  # fmt: skip
    out = tmp_path / "card"
    assert _card(config, out) == 0
    script = (
        "const m = await import('./kpiData.js');"
        "const settings = (await import('./cardConfig.js')).default;"
        "console.log(JSON.stringify(m.kpiSearchRequest({portalId: 24681357, settings,"
        f" ownerId: '70000002', now: new Date({json.dumps(when)})}})));"
    )
    done = subprocess.run([str(NODE), "--input-type=module", "-e", script],
                          cwd=out / "src/app/cards", capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    settings = _settings(out)
    day = dt.datetime.fromisoformat(when).astimezone(ZoneInfo("Europe/Berlin")).date()
    periods = periods_around(settings, day)  # the engine's own period names
    assert json.loads(done.stdout) == search_request(settings, 24681357, "70000002", periods)
