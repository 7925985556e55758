"""Several sources in one config: KPIs per source and merged, owners matched by e-mail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import load_config
from connector.pipeline import results_source

OPPS = "id,account_id,owner_id,created_at,close_date,is_closed,is_won,amount\n"


@pytest.fixture
def two_crms(tmp_path: Path) -> Path:
    # Ann is a user in both CRMs (same e-mail, different ids and case); Bob only in one.
    sf, hs = tmp_path / "sf", tmp_path / "hs"
    sf.mkdir()
    hs.mkdir()
    (sf / "owners.csv").write_text(
        "id,name,email,team\n005A,Ann,ann@acme.com,West\n005B,Bob,bob@acme.com,West\n"
    )
    (sf / "opportunities.csv").write_text(
        OPPS + "006X,001X,005A,2025-01-03,2025-01-10,true,true,1000\n"
        "006Y,001Y,005B,2025-01-03,2025-01-12,true,true,500\n"
    )
    (hs / "owners.csv").write_text("id,name,email,team\n77,Ann,ANN@acme.com,West\n")
    (hs / "opportunities.csv").write_text(
        OPPS + "9001,501,77,2025-01-04,2025-01-15,true,true,250\n"
    )
    path = tmp_path / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: sf, type: files, path: sf}\n  - {name: hs, type: files, path: hs}\n"
    )
    return path


def revenue(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, float]:
    assert main(["compute", "--config", str(config), "--period", "2025-01", "--scope", "all",
                 "--format", "json", *extra]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)
    return {
        f"{r['scope_type']}:{r['scope_id']}": r["value"]
        for r in rows
        if r["kpi"] == "total_revenue" and r["breakdown"] is None
    }


def test_kpis_per_source_and_merged(two_crms: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pull", "--config", str(two_crms)]) == 0
    capsys.readouterr()
    merged = revenue(two_crms, capsys)
    assert merged["company:None"] == 1750
    assert merged["team:West"] == 1750
    # One Ann across both CRMs, keyed by her e-mail; Bob keyed likewise.
    assert merged["owner:ann@acme.com"] == 1250
    assert merged["owner:bob@acme.com"] == 500
    sf = revenue(two_crms, capsys, "--source", "sf")
    assert sf["company:None"] == 1500
    assert sf["owner:005A"] == 1000
    hs = revenue(two_crms, capsys, "--source", "hs")
    assert hs == {"company:None": 250, "team:West": 250, "owner:77": 250}


def test_scopes_are_named_by_the_owners_of_the_source_shown(
    two_crms: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Zed has, in the other CRM, the id Ann has in sf: each source names its own.
    with (two_crms.parent / "hs" / "owners.csv").open("a") as owners:
        owners.write("005A,Zed,zed@acme.com,East\n")
    with (two_crms.parent / "hs" / "opportunities.csv").open("a") as deals:  # Zed sells too
        deals.write("9002,501,005A,2025-01-05,2025-01-16,true,true,300\n")
    assert main(["pull", "--config", str(two_crms)]) == 0
    capsys.readouterr()

    def names(*extra: str) -> dict[str, str]:
        assert main(["compute", "--config", str(two_crms), "--period", "2025-01",
                     "--scope", "owner", "--format", "json", *extra]) == 0  # fmt: skip
        return {r["scope_id"]: r["scope_name"] for r in json.loads(capsys.readouterr().out)}

    assert names() == {"ann@acme.com": "Ann", "bob@acme.com": "Bob", "zed@acme.com": "Zed"}
    assert names("--source", "sf") == {"005A": "Ann", "005B": "Bob"}
    assert names("--source", "hs") == {"77": "Ann", "005A": "Zed"}


def test_unknown_source_is_a_config_error(
    two_crms: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["pull", "--config", str(two_crms)])
    assert main(["compute", "--config", str(two_crms), "--source", "crm3"]) == 2
    assert "no source named 'crm3'" in capsys.readouterr().err


def test_results_source(two_crms: Path, tmp_path: Path) -> None:
    assert results_source(load_config(two_crms), "sf") == "sf"
    single = tmp_path / "single.yaml"
    single.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources:\n  - {name: sf, type: files, path: sf}\n"
    )
    assert results_source(load_config(single), "sf") is None
