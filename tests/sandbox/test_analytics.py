"""Reports with groupings, aggregates and filters; dashboards' running user and type."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id

pytestmark = pytest.mark.e2e
WON = [{"column": "Opportunity.IsWon", "operator": "equals", "value": "true"}]


def report(sf: Salesforce, **meta: Any) -> dict[str, Any]:
    body = {"name": "Won by month", "reportType": {"type": "Opportunity"}, **meta}
    made: dict[str, Any] = sf.restful("analytics/reports", method="POST",
                                      json={"reportMetadata": body})
    return made


def summary(sf: Salesforce, **meta: Any) -> dict[str, Any]:
    """A summary of won deals by close month (what `meta` gives replaces the defaults)."""
    return report(sf, **{"reportFormat": "SUMMARY",
                         "detailColumns": ["Opportunity.Name", "Opportunity.Amount"],
                         "groupingsDown": [{"name": "Opportunity.CloseDate",
                                            "sortOrder": "Asc", "dateGranularity": "Month"}],
                         "aggregates": ["RowCount", "s!Opportunity.Amount"],
                         "reportFilters": WON, **meta})


def test_summary_report_groups_by_month_with_sums(sf: Salesforce, sandbox: Sandbox) -> None:
    made = summary(sf)
    ext = made["reportExtendedMetadata"]
    assert ext["groupingColumnInfo"]["Opportunity.CloseDate"]["groupingLevel"] == 0
    assert ext["aggregateColumnInfo"]["s!Opportunity.Amount"]["dataType"] == "currency"
    assert made["reportMetadata"]["groupingsDown"][0]["dateGranularity"] == "Month"
    run = sf.restful(f"analytics/reports/{made['reportMetadata']['id']}")
    groups = run["groupingsDown"]["groupings"]
    dated = [g for g in groups if g["value"] is not None]
    assert [g["value"] for g in dated] == sorted(g["value"] for g in dated)
    assert all(g["value"].endswith("-01") for g in dated)
    cur = sandbox.org.cursor()
    row = cur.execute("SELECT count(*), sum(amount) FROM opportunities WHERE is_won "
                      "AND NOT is_deleted").fetchone()
    assert row is not None
    total = run["factMap"]["T!T"]["aggregates"]
    assert total[0]["value"] == row[0]
    assert total[1]["value"] == pytest.approx(row[1])
    first = dated[0]
    month = cur.execute("SELECT count(*) FROM opportunities WHERE is_won AND NOT is_deleted "
                        "AND date_trunc('month', close_date) = ?::DATE",
                        [first["value"]]).fetchone()
    assert month is not None
    cell = run["factMap"][f"{first['key']}!T"]
    assert cell["aggregates"][0]["value"] == month[0] == len(cell["rows"])
    assert first["label"].split()[1] == first["value"][:4]  # "March 2024"


def test_filters_combine_with_boolean_logic(sf: Salesforce, sandbox: Sandbox) -> None:
    flt = [*WON, {"column": "Opportunity.CurrencyIsoCode", "operator": "equals",
                  "value": "EUR,GBP"},
           {"column": "Opportunity.Amount", "operator": "greaterThan", "value": "20000"}]
    made = report(sf, detailColumns=["Opportunity.Name"], reportFilters=flt,
                  reportBooleanFilter="1 AND (2 OR 3)")
    run = sf.restful(f"analytics/reports/{made['reportMetadata']['id']}")
    expected = sandbox.org.count("opportunities", "NOT is_deleted AND is_won AND "
                                 "(currency IN ('EUR', 'GBP') OR amount > 20000)")
    assert run["factMap"]["T!T"]["aggregates"][0]["value"] == expected
    named = report(sf, detailColumns=["Opportunity.Name"], reportFilters=[
        {"column": "Opportunity.Name", "operator": "startsWith", "value": "Deal 1"}])
    rows = sf.restful(f"analytics/reports/{named['reportMetadata']['id']}")["factMap"][
        "T!T"]["rows"]
    assert rows
    assert all(r["dataCells"][0]["label"].startswith("Deal 1") for r in rows)


def test_two_level_groupings_nest_their_keys(sf: Salesforce) -> None:
    made = summary(sf, groupingsDown=[
        {"name": "Opportunity.CloseDate", "dateGranularity": "Year"},
        {"name": "Opportunity.CurrencyIsoCode", "sortOrder": "Desc"}])
    run = sf.restful(f"analytics/reports/{made['reportMetadata']['id']}")
    year = next(g for g in run["groupingsDown"]["groupings"] if g["value"])
    inner = year["groupings"]
    assert [g["key"] for g in inner] == [f"{year['key']}_{i}" for i in range(len(inner))]
    assert [g["value"] for g in inner] == sorted((g["value"] for g in inner), reverse=True)
    assert sum(run["factMap"][f"{g['key']}!T"]["aggregates"][0]["value"] for g in inner) \
        == run["factMap"][f"{year['key']}!T"]["aggregates"][0]["value"]
    assert run["factMap"][f"{year['key']}!T"]["rows"] == []  # details only in leaves


@pytest.mark.parametrize("meta", [
    {"reportFormat": "SUMMARY", "groupingsDown": [{"name": "Opportunity.Nope"}]},
    {"reportFormat": "TABULAR", "groupingsDown": [{"name": "Opportunity.CloseDate"}]},
    {"reportFormat": "SUMMARY", "groupingsDown": [{"name": "Opportunity.Name",
                                                   "dateGranularity": "Month"}]},
    {"aggregates": ["s!Opportunity.Name"]},
    {"reportFilters": [{"column": "Opportunity.Amount", "operator": "like", "value": "1"}]},
    {"reportFilters": WON, "reportBooleanFilter": "1 AND 2"},
    {"reportFormat": "MATRIX", "groupingsAcross": [{"name": "Opportunity.StageName"}]},
])
def test_invalid_report_metadata_is_refused(sf: Salesforce, meta: dict[str, Any]) -> None:
    with pytest.raises(SalesforceMalformedRequest) as err:
        report(sf, detailColumns=["Opportunity.Name"], **meta)
    assert err.value.content[0]["errorCode"] == "BAD_REQUEST"


def dashboard(sf: Salesforce, rid: str, **meta: Any) -> dict[str, Any]:
    made: dict[str, Any] = sf.restful("analytics/dashboards", method="POST", json={
        "dashboardMetadata": {"name": "KPI board", "components": [
            {"header": "Won", "reportId": rid}], **meta}})
    return made


def test_dashboard_running_user_and_type(sf: Salesforce, sandbox: Sandbox) -> None:
    rid = summary(sf)["reportMetadata"]["id"]
    rep = sf_id("005", sandbox.org.keys("users", "active AND n > 1", 1)[0])
    me = sandbox.info["salesforce"]["user_id"]
    specified = dashboard(sf, rid, dashboardType="SpecifiedUser", runningUser={"id": rep})
    assert (specified["dashboardType"], specified["runningUser"]["id"]) == ("SpecifiedUser",
                                                                           rep)
    assert specified["runningUser"]["displayName"]
    assert specified["canChangeRunningUser"] is True
    did = specified["id"]
    assert sf.restful(f"analytics/dashboards/{did}/describe")["runningUser"]["id"] == rep
    other = sf.restful(f"analytics/dashboards/{did}", params={"runningUser": me})
    assert other["dashboardMetadata"]["runningUser"]["id"] == me
    dynamic = sf.restful(f"analytics/dashboards/{did}", method="PATCH", json={
        "dashboardMetadata": {"dashboardType": "LoggedInUser"}})["dashboardMetadata"]
    assert (dynamic["dashboardType"], dynamic["runningUser"]["id"]) == ("LoggedInUser", me)
    assert dynamic["canChangeRunningUser"] is False
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful(f"analytics/dashboards/{did}", params={"runningUser": rep})


def test_dashboard_running_user_must_be_active(sf: Salesforce, sandbox: Sandbox) -> None:
    rid = summary(sf)["reportMetadata"]["id"]
    gone = sf_id("005", sandbox.org.keys("users", "NOT active", 1)[0])
    for bad in ({"runningUser": {"id": gone}}, {"runningUser": {"id": "005nope"}},
                {"dashboardType": "Everyone"}):
        with pytest.raises(SalesforceMalformedRequest):
            dashboard(sf, rid, **bad)
