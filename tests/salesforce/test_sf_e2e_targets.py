"""End to end: Collaborative Forecasts' quotas become each rep's and territory's target
after `crm-kpi run`, and `crm-kpi validate` checks value maps and targets against the org."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sf_helpers import config_yaml

from connector.cli import main
from connector.crms.salesforce.mapping import QuotaTargets
from connector.crms.salesforce.targets import quota_rows
from connector.store import Store
from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id
from crm_sandbox.org.tables import ADMIN_USER_N

pytestmark = pytest.mark.e2e
REVENUE = (
    "SELECT scope_type, scope_id, value, target, attainment, pace, pace_note, note "
    "FROM kpi_results WHERE kpi = 'total_revenue' AND period_type = 'month' AND period = ? "
    "AND breakdown_type IS NULL AND source IS NULL"
)


def write_config(sb: Sandbox, folder: Path, mapping: Path | None = None, extra: str = "") -> Path:
    return config_yaml(sb, folder, mapping=mapping, push=False, extra=extra)


@pytest.fixture
def token(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_REFRESH_TOKEN", sandbox.info["salesforce"]["refresh_token"])


def revenue(folder: Path, month: dt.date) -> dict[tuple[str, str], dict[str, Any]]:
    with Store(folder / "store.duckdb") as store:
        rows = store.fetch_dicts(REVENUE, [f"{month:%Y-%m}"])
    return {(r["scope_type"], r["scope_id"]): r for r in rows}


@pytest.mark.usefixtures("token")
def test_after_a_run_each_rep_is_measured_by_their_own_quota(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    org = sandbox.org
    cur = org.cursor()
    rep, month, amount = cur.execute(
        "SELECT owner_n, start_date, amount FROM quotas WHERE scope = 'rep' "
        "AND start_date = date_trunc('month', ?::DATE) ORDER BY owner_n LIMIT 1",
        [org.clock.now()],
    ).fetchone()
    euro = cur.execute(
        "SELECT n, owner_n, start_date, amount FROM quotas WHERE scope = 'rep' "
        "AND owner_n <> ? AND start_date < ? ORDER BY start_date DESC LIMIT 1",
        [rep, month],
    ).fetchone()
    org.update("quotas", euro[0], {"currency": "EUR"})  # an EMEA rep's quota
    territory, territory_amount = cur.execute(
        "SELECT t.name, q.amount FROM quotas q JOIN territories t ON t.n = q.territory_n "
        "WHERE q.scope = 'territory' AND q.start_date = ?",
        [month],
    ).fetchone()
    config = write_config(sandbox, tmp_path)
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0

    now = revenue(tmp_path, month)
    mine = now[("owner", sf_id("005", rep))]
    assert mine["target"] == pytest.approx(amount)
    if mine["value"]:
        assert mine["attainment"] == pytest.approx(mine["value"] / amount)
    # The month in progress has a pace beside attainment, or says why not yet (too early).
    assert (mine["pace"] is None) == bool(mine["pace_note"])
    # Territory quotas are owned by whoever set them: that admin has no target of their own.
    admin = now[("owner", sf_id("005", ADMIN_USER_N))]
    assert (admin["target"], admin["note"]) == (None, "no target for this rep")
    assert now[("territory", territory)]["target"] == pytest.approx(territory_amount)

    with Store(tmp_path / "store.duckdb") as store:
        rate = store.scalar(
            "SELECT rate_to_reporting FROM exchange_rates WHERE currency = 'EUR' "
            "AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1",
            [euro[2]],
        )
    converted = revenue(tmp_path, euro[2])[("owner", sf_id("005", euro[1]))]
    assert converted["target"] == pytest.approx(euro[3] * rate)  # converted at period start


@pytest.mark.usefixtures("token")
def test_an_org_without_collaborative_forecasts_is_told_so_and_the_run_goes_on(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(sandbox, tmp_path)
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0
    with Store(tmp_path / "store.duckdb") as store:
        assert store.scalar("SELECT count(*) FROM targets WHERE NOT is_deleted") > 0
    sandbox.faults.add({"kind": "status", "status": 404, "path": "ForecastingQuota/describe"})
    with Store(tmp_path / "store.duckdb") as store:  # the next night: quotas are due again
        state = store.get_state("salesforce", "seldom:quotas") or {}
        read_at = dt.datetime.fromisoformat(state["read_at"]) - dt.timedelta(hours=13)
        store.set_state("salesforce", "seldom:quotas", {**state, "read_at": read_at.isoformat()})
    capsys.readouterr()
    assert main(["validate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "note: salesforce: ForecastingQuota is not available (Collaborative Forecasts" in out
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0
    assert "ForecastingQuota is not available" in capsys.readouterr().err  # the run log
    with Store(tmp_path / "store.duckdb") as store:  # the org has none now: none stay
        assert store.scalar("SELECT count(*) FROM targets WHERE NOT is_deleted") == 0
        assert store.scalar("SELECT count(*) FROM opportunities") > 0


@pytest.mark.usefixtures("token")
def test_validate_names_value_map_typos_and_unknown_target_scopes(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = (Path(__file__).parents[2] / "mappings" / "salesforce.yaml").read_text()
    mapping = tmp_path / "salesforce.yaml"
    mapping.write_text(shipped.replace("    Trade Show: event\n    Email: email",
                                       "    Trade Shw: event\n    Email: email"))  # fmt: skip
    line = mapping.read_text().splitlines().index("    Trade Shw: event") + 1
    user = sandbox.org.cursor().execute("SELECT email FROM users WHERE n = 2").fetchone()[0]
    (tmp_path / "targets.csv").write_text(
        "kpi,period_type,period,scope_type,scope,value\n"
        f"total_revenue,month,,owner,{user.upper()},5000\n"
        "total_revenue,month,,owner,nobody@example.com,5000\n"
        "total_revenue,quarter,,territory,Atlantis,5000\n"
    )
    extra = "targets_file: targets.csv\ntargets:\n"
    extra += "  - {kpi: total_revenue, period_type: month, scope_type: team, scope_id: Nobody, "
    extra += "value: 1}\n"
    config = write_config(sandbox, tmp_path, mapping, extra)
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err.splitlines()
    # Named once for the map that Lead and Opportunity both read; ListEmail (a value real
    # orgs have and this one lacks) is no typo: its near value, Email, is mapped.
    assert err == [
        f"salesforce.yaml:{line} value_maps.lead_source[\"Trade Shw\"]: 'Trade Shw' is not a "
        "value of Lead.LeadSource, Opportunity.LeadSource; did you mean 'Trade Show'? (no key "
        "maps 'Trade Show', so its records count as the default; the values: Web, Phone "
        "Inquiry, Partner Referral, Employee Referral, Purchased List, Trade Show, Email, "
        "Social Media, In Person, Other)"
    ]
    mapping.write_text(shipped)
    assert main(["validate", "--config", str(config)]) == 2
    team_line = config.read_text().splitlines().index(extra.splitlines()[-1]) + 1
    assert capsys.readouterr().err.splitlines() == [
        f"config.yaml:{team_line} targets[0].scope_id: no team of salesforce is named "
        f"'Nobody' (teams: {', '.join(_teams(sandbox))})",
        "targets.csv:3 scope: no rep of salesforce has the e-mail 'nobody@example.com'",
        "targets.csv:4 scope: no territory of salesforce is named 'Atlantis' (territories: "
        "APAC, EMEA, NA East, NA West)",
    ]


def _teams(sb: Sandbox) -> list[str]:
    rows = sb.org.cursor().execute(
        "SELECT DISTINCT t.name FROM users u JOIN teams t ON t.n = u.team_n ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def test_only_amount_quotas_of_the_named_types_without_product_family() -> None:
    base = {"Id": "0J9a", "QuotaOwnerId": "005a", "StartDate": "2025-01-01", "QuotaAmount": 9.0,
            "CurrencyIsoCode": "EUR", "Territory2Id": None, "ForecastingTypeId": "0Dbrev",
            "Period": {"Type": "Month"},
            "SystemModstamp": "2025-01-01T00:00:00.000+0000"}  # fmt: skip
    records = [
        base,
        {**base, "Id": "0J9b", "Territory2Id": "0MIx", "Territory2": {"Name": "EMEA"}},
        {**base, "Id": "0J9c", "ForecastingTypeId": "0Dbqty"},
        {**base, "Id": "0J9d", "ProductFamily": "Hardware"},
        {**base, "Id": "0J9e", "QuotaAmount": None},
        {**base, "Id": "0J9f", "Period": {"Type": "Week"}},
        {**base, "Id": "0J9g", "Period": {"Type": "Quarter"}},
    ]
    rows = quota_rows(records, QuotaTargets(), {"0Dbrev"})
    assert [(r[0], r[3], r[5], r[6], r[8]) for r in rows] == [
        ("0J9a", "month", "owner", "005a", "EUR"),
        ("0J9b", "month", "territory", "EMEA", "EUR"),
        ("0J9g", "quarter", "owner", "005a", "EUR"),
    ]
    assert len(quota_rows(records, QuotaTargets(), None)) == 4  # every type


@pytest.mark.usefixtures("token")
def test_an_org_without_territory_management_validates(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.faults.add({"kind": "status", "status": 404, "path": "Territory2/describe"})
    extra = "targets:\n  - {kpi: total_revenue, period_type: month, scope_type: territory, "
    extra += "scope_id: NA East, value: 1}\n"  # a user's Territory__c still names it
    assert main(["validate", "--config", str(write_config(sandbox, tmp_path, extra=extra))]) == 0
    assert "are valid" in capsys.readouterr().out
