"""End to end, as the people of the org see it: after `crm-kpi setup salesforce` and
`crm-kpi run`, each acting through the real simple-salesforce with their own session."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sf_helpers import as_user, config_yaml, user_of
from simple_salesforce.api import Salesforce

from connector.cli import main
from connector.crms.salesforce.bundle import build_archive
from connector.crms.salesforce.card import CATALOG, queries_in
from connector.crms.salesforce.fields import push_plan, writer_fields
from connector.crms.salesforce.mapping import load_mapping
from connector.presentation import Wording
from connector.resources import shipped
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e

REP = "kira.eriksen.2@sandbox.example"  # NA East Falcons
TEAMMATE = "dev.lopez.4@sandbox.example"  # the same team, the same manager
MANAGER = "farid.weber.6@sandbox.example"  # NA East Falcons Manager, above both
OTHER_TEAM = "ben.chen.3@sandbox.example"  # NA West Wolves
PUSH = load_mapping(shipped("mappings/salesforce.yaml")).push


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Path]]:
    """One org after setup and a nightly run (the tests only read it)."""
    folder = tmp_path_factory.mktemp("access")
    with Sandbox(seed=7, scale=0.01) as sb, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SF_REFRESH_TOKEN", sb.info["salesforce"]["refresh_token"])
        config = config_yaml(sb, folder)
        assert main(["setup", "salesforce", "--config", str(config)]) == 0
        assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0
        yield sb, config


def rows(sf: Salesforce, soql: str) -> list[dict[str, Any]]:
    return [dict(r) for r in sf.query_all(soql)["records"]]


KPI_ROWS = "SELECT Name, OwnerId, Scope_Type__c, Scope_Id__c, Total_Revenue__c FROM Sales_KPI__c"


def test_a_rep_reads_their_own_kpi_records_and_fields(org: tuple[Sandbox, Path]) -> None:
    sb, _ = org
    rep = user_of(sb, REP)
    seen = rows(as_user(sb, REP), KPI_ROWS)
    own = [r for r in seen if r["Scope_Type__c"] == "owner"]
    assert own
    assert {r["OwnerId"] for r in own} == {rep["user_id"]}
    assert {r["Scope_Id__c"] for r in own} == {rep["user_id"]}
    assert all(r["Name"].startswith(f"{rep['name']} · ") for r in own)
    fields = {f["name"] for f in as_user(sb, REP).Sales_KPI__c.describe()["fields"]}
    assert {"Total_Revenue__c", "Total_Revenue_Attainment__c", "Nps__c"} <= fields
    mine = rows(as_user(sb, REP), f"SELECT KPI_Revenue__c FROM User WHERE Id = '{rep['user_id']}'")
    assert "KPI_Revenue__c" in mine[0]
    views = as_user(sb, REP).restful("sobjects/Sales_KPI__c/listviews")["listviews"]
    mine_view = next(v for v in views if v["developerName"] == "My_KPIs")
    listed = as_user(sb, REP).restful(mine_view["resultsUrl"].split("/data/v62.0/", 1)[1])
    names = [{c["fieldNameOrPath"]: c["value"] for c in r["columns"]}.get("Name")
              for r in listed["records"]]  # fmt: skip
    assert names
    assert all(str(n).startswith(f"{rep['name']} · ") for n in names)


def test_company_team_and_territory_rows_are_everyone_s(org: tuple[Sandbox, Path]) -> None:
    sb, _ = org
    shared = {r["Scope_Type__c"] for r in rows(as_user(sb, OTHER_TEAM), KPI_ROWS)
              if r["Scope_Type__c"] != "owner"}  # fmt: skip
    assert shared == {"company", "team", "territory"}


def test_another_rep_does_not_read_the_first_rep_s_rows(org: tuple[Sandbox, Path]) -> None:
    sb, _ = org
    rep = user_of(sb, REP)["user_id"]
    for other in (TEAMMATE, OTHER_TEAM):
        seen = rows(as_user(sb, other), KPI_ROWS)
        assert [r for r in seen if r["Scope_Type__c"] == "owner"]  # their own
        assert not [r for r in seen if r["Scope_Id__c"] == rep or r["OwnerId"] == rep]


def test_a_manager_reads_the_team_s_rows_through_the_role_hierarchy(
    org: tuple[Sandbox, Path],
) -> None:
    sb, _ = org
    owners = {r["OwnerId"] for r in rows(as_user(sb, MANAGER), KPI_ROWS)
              if r["Scope_Type__c"] == "owner"}  # fmt: skip
    assert {user_of(sb, REP)["user_id"], user_of(sb, TEAMMATE)["user_id"]} <= owners
    assert user_of(sb, OTHER_TEAM)["user_id"] not in owners


def _card_query(config: Path) -> str:
    """The owner query of the card as deployed: read from the zip setup sends."""
    push = load_mapping(shipped("mappings/salesforce.yaml")).push
    archive = build_archive(push, writer_fields(push, Wording("USD")), "62.0")
    with zipfile.ZipFile(io.BytesIO(archive.zip_bytes())) as z:
        catalog = z.read(f"lwc/salesKpiCard/{CATALOG}").decode()
    return queries_in(catalog)[0]


def _computed(config: Path, month: str, rep: str, capsys: pytest.CaptureFixture[str]) -> list[
        dict[str, Any]]:  # fmt: skip
    """What `crm-kpi compute` says of a rep's month (whole-scope rows)."""
    assert main(["compute", "--config", str(config), "--period", month, "--scope", "owner",
                 "--format", "json"]) == 0  # fmt: skip
    return [r for r in json.loads(capsys.readouterr().out)
            if r["scope_id"] == rep and r["breakdown"] is None]  # fmt: skip


def test_the_card_query_gives_a_rep_the_figures_compute_gives(
    org: tuple[Sandbox, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sb, config = org
    rep = user_of(sb, REP)
    body = {"query": _card_query(config), "variables": {"ownerId": rep["user_id"]}}
    answer = as_user(sb, REP).restful("graphql", method="POST", json=body)
    assert answer["errors"] == []
    edges = answer["data"]["uiapi"]["query"]["Sales_KPI__c"]["edges"]
    assert len(edges) == 2  # this month and the one before
    columns = push_plan(PUSH, Wording("USD")).records.fields
    checked = 0
    for edge in edges:
        node = edge["node"]
        computed = _computed(config, node["Period__c"]["value"], rep["user_id"], capsys)
        for (kpi, breakdown_type, _, part), column in columns.items():
            if breakdown_type is not None:
                continue
            row = next((r for r in computed if r["kpi"] == kpi), None)
            figure = None if row is None else row[part]
            expected = None if figure is None else round(figure * column.factor, column.decimals)
            got = node[column.name]["value"]
            assert got == pytest.approx(expected), f"{column.name}: card {got}, compute {expected}"
            checked += expected is not None
    assert checked >= 8
    latest, before = (e["node"] for e in edges)
    assert latest["Period_Start__c"]["value"] > before["Period_Start__c"]["value"]
    assert latest["As_Of__c"]["value"]


def test_the_card_query_shows_another_rep_nothing_of_the_first(
    org: tuple[Sandbox, Path],
) -> None:
    sb, config = org
    body = {"query": _card_query(config), "variables": {"ownerId": user_of(sb, REP)["user_id"]}}
    answer = as_user(sb, TEAMMATE).restful("graphql", method="POST", json=body)
    assert answer["data"]["uiapi"]["query"]["Sales_KPI__c"]["edges"] == []


def _analytics_id(sf: Salesforce, sobject: str, name: str) -> str:
    """Found as a person finds it: the folders setup shares with every internal user."""
    found = rows(sf, f"SELECT Id FROM {sobject} WHERE DeveloperName = '{name}'")
    assert len(found) == 1, f"{sobject} {name}: {found}"
    return str(found[0]["Id"])


def _report_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every detail row of a report run, as {column: value}."""
    columns = result["reportMetadata"]["detailColumns"]
    return [dict(zip(columns, (c["value"] for c in row["dataCells"]), strict=True))
            for key, cell in result["factMap"].items() if key.endswith("!T")
            for row in cell.get("rows", [])]  # fmt: skip


def test_setup_s_report_and_dynamic_dashboard_show_each_person_their_rows(
    org: tuple[Sandbox, Path],
) -> None:
    sb, _ = org
    rep, teammate = user_of(sb, REP), user_of(sb, TEAMMATE)
    name = "Sales_KPI__c.Scope_Name__c"
    for who, own, unseen in ((REP, {rep["name"]}, teammate["name"]),
                             (OTHER_TEAM, {user_of(sb, OTHER_TEAM)["name"]}, rep["name"]),
                             (MANAGER, {rep["name"], teammate["name"]},
                              user_of(sb, OTHER_TEAM)["name"])):  # fmt: skip
        sf = as_user(sb, who)
        report = _analytics_id(sf, "Report", "Sales_KPIs_by_Period")
        ran = sf.restful(f"analytics/reports/{report}", params={"includeDetails": "true"})
        seen = _report_rows(ran)
        owners = {r[name] for r in seen if r["Sales_KPI__c.Scope_Type__c"] == "owner"}
        assert own <= owners, who
        assert unseen not in owners, who
        assert len(seen) == len(rows(sf, KPI_ROWS))  # the report runs with their sharing
        board = _analytics_id(sf, "Dashboard", "Sales_KPIs_Dashboard")
        shown = sf.restful(f"analytics/dashboards/{board}")["componentData"][0]["reportResult"]
        assert shown["factMap"]["T!T"]["aggregates"][0]["value"] == len(seen), who
