"""Quotas: the org's table of monthly targets and Salesforce's ForecastingQuota over it."""

from __future__ import annotations

import csv
import io

import pytest
from simple_salesforce import Salesforce

from crm_sandbox import Sandbox
from crm_sandbox.ids import parse_sf_id, sf_id

pytestmark = pytest.mark.e2e
FIELDS = ("Id, QuotaOwnerId, StartDate, QuotaAmount, QuotaQuantity, CurrencyIsoCode, "
          "Territory2Id, ForecastingTypeId, PeriodId, IsAmount, IsQuantity, SystemModstamp")


def test_quotas_are_monthly_targets_of_active_reps(sandbox: Sandbox) -> None:
    cur = sandbox.org.cursor()
    reps = dict(cur.execute("SELECT n, active FROM users WHERE n > 1").fetchall())
    owners = {n for (n,) in cur.execute(
        "SELECT DISTINCT owner_n FROM quotas WHERE scope = 'rep'").fetchall()}
    assert owners
    assert all(reps[n] for n in owners)
    assert {n for n, active in reps.items() if active} - owners  # some reps have none
    assert cur.execute("SELECT count(*) FROM quotas WHERE day(start_date) <> 1").fetchone() \
        == (0,)
    per_owner = cur.execute("SELECT count(DISTINCT start_date) FROM quotas WHERE scope = 'rep' "
                            "GROUP BY owner_n").fetchall()
    assert len({c for (c,) in per_owner}) == 1  # every month, for each rep with a quota


def test_quota_amounts_follow_the_reps_deals(sandbox: Sandbox) -> None:
    cur = sandbox.org.cursor()
    ratio = cur.execute(
        """SELECT sum(won) / sum(target) FROM (
             SELECT q.owner_n, q.start_date, q.amount / c.rate AS target,
               (SELECT coalesce(sum(o.amount / oc.rate), 0) FROM opportunities o
                JOIN currencies oc ON oc.iso_code = o.currency
                WHERE o.is_won AND o.owner_n = q.owner_n AND NOT o.is_deleted
                  AND date_trunc('month', o.close_date) = q.start_date) AS won
             FROM quotas q JOIN currencies c ON c.iso_code = q.currency
             WHERE q.scope = 'rep' AND q.start_date < DATE '2026-01-01')""").fetchone()
    assert ratio is not None
    assert 0.4 < ratio[0] < 1.1  # reps mostly miss a quota set above their run rate
    pairs = set(cur.execute(
        "SELECT DISTINCT u.territory = 'EMEA', q.currency FROM quotas q "
        "JOIN users u ON u.n = q.owner_n WHERE q.scope = 'rep'").fetchall())
    assert (False, "USD") in pairs
    assert pairs <= {(True, "EUR"), (False, "USD")}  # EMEA reps' quotas are in EUR


def test_forecasting_quota_through_soql(sf: Salesforce, sandbox: Sandbox) -> None:
    rows = sf.query_all(f"SELECT {FIELDS} FROM ForecastingQuota")["records"]
    expected = sandbox.org.count("quotas", "scope IN ('rep', 'territory')")
    assert len(rows) == expected
    rep = next(r for r in rows if r["Territory2Id"] is None)
    key = parse_sf_id(rep["Id"])
    assert key is not None
    row = sandbox.org.cursor().execute(
        "SELECT owner_n, start_date, amount, currency FROM quotas WHERE n = ?",
        [key[1]]).fetchone()
    assert row is not None
    assert rep["QuotaOwnerId"] == sf_id("005", row[0])
    assert (rep["StartDate"], rep["QuotaAmount"], rep["CurrencyIsoCode"]) == (
        row[1].isoformat(), row[2], row[3])
    assert (rep["IsAmount"], rep["IsQuantity"], rep["QuotaQuantity"]) == (True, False, None)


def test_territory_quotas_are_not_a_reps(sf: Salesforce) -> None:
    territory = sf.query(
        "SELECT QuotaOwnerId, Territory2.Name, ForecastingTypeId, CurrencyIsoCode "
        "FROM ForecastingQuota WHERE Territory2Id != null LIMIT 1")["records"][0]
    types = {t["Id"]: t["DeveloperName"] for t in sf.query(
        "SELECT Id, DeveloperName FROM ForecastingType WHERE IsActive = true")["records"]}
    assert types[territory["ForecastingTypeId"]] == "OpportunityRevenueTerritory"
    assert territory["Territory2"]["Name"] in ("NA East", "NA West", "EMEA", "APAC")
    assert territory["QuotaOwnerId"] == sf_id("005", 1)  # whoever set it, not a rep
    reps = sf.query("SELECT ForecastingTypeId FROM ForecastingQuota WHERE Territory2Id = null "
                    "LIMIT 1")["records"][0]
    assert types[reps["ForecastingTypeId"]] == "OpportunityRevenue"


def test_periods_and_describe(sf: Salesforce) -> None:
    quota = sf.query("SELECT StartDate, Period.StartDate, Period.EndDate, Period.Type "
                     "FROM ForecastingQuota LIMIT 1")["records"][0]
    assert quota["Period"]["StartDate"] == quota["StartDate"]
    assert quota["Period"]["Type"] == "Month"
    fields = {f["name"]: f for f in sf.ForecastingQuota.describe()["fields"]}
    assert fields["QuotaAmount"]["type"] == "currency"
    assert (fields["QuotaAmount"]["precision"], fields["QuotaAmount"]["scale"]) == (18, 2)
    assert fields["QuotaOwnerId"]["referenceTo"] == ["User"]
    assert fields["Territory2Id"]["referenceTo"] == ["Territory2"]
    assert fields["CurrencyIsoCode"]["nillable"] is False
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"ForecastingQuota", "ForecastingType", "Territory2", "Period"} <= names


def test_forecasting_quota_through_bulk(sf: Salesforce, sandbox: Sandbox) -> None:
    pages = list(sf.bulk2.ForecastingQuota.query(
        "SELECT Id, QuotaOwnerId, QuotaAmount, StartDate FROM ForecastingQuota",
        max_records=50_000))
    rows = [r for page in pages for r in csv.DictReader(io.StringIO(page))]
    assert len(rows) == sandbox.org.count("quotas", "scope IN ('rep', 'territory')")
    assert all(r["Id"].startswith("0J9") for r in rows)
