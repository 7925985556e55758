"""CRM exports API through hubspot-api-client's `crm.exports`, files through urllib3."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from hubspot.crm.exports import ApiException as ExportsError
from hubspot.crm.exports import Filter, PublicCrmSearchRequest, PublicExportViewRequest

from crm_sandbox.hubspot import export_files

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e

DEAL_PROPS = ["dealname", "amount", "dealstage", "hubspot_owner_id", "closedate",
              "hs_is_closed"]


@pytest.fixture(autouse=True)
def clean_exports(sandbox: Box) -> Iterator[None]:
    """Every test starts with an empty export queue and the guide's limits; exports
    finish at once unless a test says how long they take."""
    ex = sandbox.hs.exports
    with ex._lock:
        ex._tasks.clear()
    ex.limits.processing_seconds = 0.0
    yield
    ex.limits = type(ex.limits)()
    ex.writer.limits = type(ex.writer.limits)()


def view(obj: str = "DEAL", props: list[str] | None = None, internal: bool = True,
         assoc: str | None = "COMPANY", search: PublicCrmSearchRequest | None = None,
         override: bool = False) -> PublicExportViewRequest:
    return PublicExportViewRequest(
        export_type="VIEW", format="CSV", export_name="All deals", object_type=obj,
        object_properties=props or DEAL_PROPS, language="EN",
        export_internal_values_options=["NAMES", "VALUES"] if internal else [],
        override_associated_objects_per_definition_per_row_limit=override,
        associated_object_type=assoc, public_crm_search_request=search)


def finish(cli: Clients, task: str) -> Any:
    """Poll until COMPLETE (one export at a time: a few polls)."""
    for _ in range(20):
        st = cli.api("crm.exports.public_exports_api").get_status(task)
        if st.status == "COMPLETE":
            return st
    raise AssertionError("export never completed")


def fetch(sandbox: Box, url: str) -> urllib3.BaseHTTPResponse:
    pool = urllib3.PoolManager(ca_certs=sandbox.info["ca_file"])
    return pool.request("GET", url)  # no token: the URL is the credential


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def export(sandbox: Box, cli: Clients, req: PublicExportViewRequest) -> bytes:
    task = cli.api("crm.exports.public_exports_api").start(req).id
    r = fetch(sandbox, finish(cli, task).result)
    assert r.status == 200
    return r.data


def test_internal_names_and_values_match_the_list_api(sandbox: Box, cli: Clients) -> None:
    got = rows(export(sandbox, cli, view()))
    assert list(got[0])[:len(DEAL_PROPS) + 1] == ["hs_object_id", *DEAL_PROPS]
    assert len(got) == sandbox.org.count("opportunities")
    listed = cli.api("crm.deals.basic_api").get_page(limit=20, properties=DEAL_PROPS,
                                                     associations=["companies"])
    by_id = {r["hs_object_id"]: r for r in got}
    for deal in listed.results:
        row = by_id[deal.id]
        assert {k: row[k] or None for k in DEAL_PROPS} == {
            k: deal.properties[k] for k in DEAL_PROPS}
        companies = (deal.associations or {}).get("companies")
        # a Primary company shows twice inline (labeled and unlabeled), once in a file
        linked = list(dict.fromkeys(a.id for a in companies.results)) if companies else []
        assert row["Associated Company IDs"].split(";") == (linked or [""])


def test_display_values_and_labels(sandbox: Box, cli: Clients) -> None:
    got = rows(export(sandbox, cli, view(internal=False)))
    assert list(got[0]) == ["Record ID", "Deal Name", "Amount", "Deal Stage", "Owner",
                            "Close Date", "Is Deal Closed?", "Associated Company IDs",
                            "Associated Company"]
    won = next(r for r in got if r["Deal Stage"] == "Closed Won")
    assert won["Is Deal Closed?"] == "Yes"
    assert len(won["Close Date"]) == len("2024-05-01 00:00")
    owner = cli.api("crm.owners.owners_api").get_page(limit=500).results
    assert won["Owner"] in {f"{o.first_name} {o.last_name}" for o in owner}
    company = cli.api("crm.companies.basic_api").get_by_id(
        won["Associated Company IDs"].split(";")[0], properties=["name"])
    assert won["Associated Company"].split(";")[0] == company.properties["name"]


def test_filters_as_the_client_model_and_as_the_guide_writes_them(sandbox: Box,
                                                                   cli: Clients) -> None:
    flat = PublicCrmSearchRequest(query="", filters=[
        Filter(property_name="amount", operator="GT", value="50000")], sorts=["amount"])
    got = rows(export(sandbox, cli, view(search=flat)))
    amounts = [float(r["amount"]) for r in got]
    assert amounts == sorted(amounts)
    assert min(amounts) > 50000
    total = cli.api("crm.deals.search_api").do_search({"filterGroups": [{"filters": [
        {"propertyName": "amount", "operator": "GT", "value": "50000"}]}], "limit": 1}).total
    assert len(got) == total
    info = sandbox.info
    guide = {"exportType": "VIEW", "exportName": "Guide form", "format": "csv",
             "language": "EN", "objectType": "DEAL", "objectProperties": ["amount"],
             "publicCrmSearchRequest": {"filterGroups": [{"filters": [
                 {"value": "50000", "operator": "GT", "property": "amount"}]}],
                 "sorts": [{"propertyName": "amount", "order": "DESC"}]}}
    pool = urllib3.PoolManager(ca_certs=info["ca_file"])
    r = pool.request("POST", info["host"] + "/crm/v3/exports/export/async", body=json.dumps(
        guide), headers={"Authorization": f"Bearer {info['access_token']}",
                         "Content-Type": "application/json"})
    assert r.status == 202
    desc = rows(fetch(sandbox, finish(cli, json.loads(r.data)["id"]).result).data)
    assert [float(x["Amount"]) for x in desc] == sorted(amounts, reverse=True)


def test_exports_run_one_at_a_time_in_order_with_time_not_polls(
    sandbox: Box, cli: Clients
) -> None:
    sandbox.hs.exports.limits.processing_seconds = 60.0
    api = cli.api("crm.exports.public_exports_api")
    first, second = api.start(view()).id, api.start(view()).id
    polled = [api.get_status(second).status for _ in range(3)]  # polls move nothing
    assert polled == ["PENDING"] * 3
    assert api.get_status(first).status == "PROCESSING"
    sandbox.advance(dt.timedelta(seconds=61))
    assert [api.get_status(t).status for t in (first, second)] == ["COMPLETE", "PROCESSING"]
    sandbox.advance(dt.timedelta(seconds=60))
    one, two = api.get_status(first), api.get_status(second)
    assert two.status == "COMPLETE"
    assert one.completed_at <= two.started_at <= two.completed_at
    assert (two.completed_at - two.started_at).total_seconds() == pytest.approx(60.0)


def test_download_urls_expire_and_are_renewed(sandbox: Box, cli: Clients) -> None:
    task = cli.api("crm.exports.public_exports_api").start(view()).id
    url = finish(cli, task).result
    sandbox.advance(dt.timedelta(seconds=301))
    expired = fetch(sandbox, url)
    assert expired.status == 403
    assert b"expired" in expired.data
    fresh = finish(cli, task).result
    assert fresh != url
    assert fetch(sandbox, fresh).status == 200


def test_unknown_and_malformed_tasks(sandbox: Box, cli: Clients) -> None:
    api = cli.api("crm.exports.public_exports_api")
    with pytest.raises(ExportsError) as err:
        api.get_status("478359352567")
    assert err.value.status == 403
    assert "Permission to get export file cannot be granted" in json.loads(
        err.value.body)["message"]
    with pytest.raises(ExportsError) as bad:
        api.get_status("abc")
    assert bad.value.status == 400


@pytest.mark.parametrize(("change", "status"), [
    ({"object_properties": ["nope"]}, 400), ({"object_type": "NOPE"}, 400),
    ({"export_type": "LIST"}, 400), ({"format": "XLSX"}, 400),
])
def test_invalid_requests(cli: Clients, change: dict[str, Any], status: int) -> None:
    req = view()
    req.local_vars_configuration.client_side_validation = False
    for key, value in change.items():
        setattr(req, key, value)
    with pytest.raises(ExportsError) as err:
        cli.api("crm.exports.public_exports_api").start(req)
    assert err.value.status == status


def test_scope_and_daily_limit(sandbox: Box, cli: Clients) -> None:
    token = sandbox.hs.tokens.issue(scopes={"crm.objects.deals.read"})
    with pytest.raises(ExportsError) as err:
        sandbox.clients(token).api("crm.exports.public_exports_api").start(view())
    body = json.loads(err.value.body)
    assert (err.value.status, body["category"]) == (403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.export"]
    sandbox.hs.exports.limits.per_day = 2
    api = cli.api("crm.exports.public_exports_api")
    api.start(view())
    api.start(view())
    with pytest.raises(ExportsError) as limited:
        api.start(view())
    assert limited.value.status == 429
    sandbox.advance(dt.timedelta(hours=24, seconds=1))
    assert api.start(view()).id


def test_large_exports_are_zipped_partitions(sandbox: Box, cli: Clients) -> None:
    sandbox.hs.exports.writer.limits.rows_per_file = 100
    data = export(sandbox, cli, view())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = [rows(z.read(n)) for n in z.namelist()]
    assert all(len(p) <= 100 for p in parts)
    assert len(parts) > 1
    assert sum(len(p) for p in parts) == sandbox.org.count("opportunities")
    sandbox.hs.exports.writer.limits = export_files.FileLimits(zip_over_bytes=1000)
    with zipfile.ZipFile(io.BytesIO(export(sandbox, cli, view()))) as z:
        assert len(z.namelist()) == 1


def test_associations_per_row_are_capped_unless_overridden(
        sandbox: Box, cli: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_files, "PER_ROW", 1)
    props = ["name"]
    capped = rows(export(sandbox, cli, view("COMPANY", props, assoc="DEAL")))
    full = rows(export(sandbox, cli, view("COMPANY", props, assoc="DEAL", override=True)))
    assert max(len(r["Associated Deal IDs"].split(";")) for r in capped) == 1
    assert max(len(r["Associated Deal IDs"].split(";")) for r in full) > 1


def test_download_is_not_an_api_call(sandbox: Box, cli: Clients) -> None:
    task = cli.api("crm.exports.public_exports_api").start(view()).id
    url = finish(cli, task).result
    sandbox.sb.reset_stats()
    r = fetch(sandbox, url)
    assert "X-HubSpot-RateLimit-Daily" not in r.headers
    assert r.headers["Content-Type"].startswith("text/csv")
    assert sandbox.stats()["endpoints"] == {"hubspot.exportDownload": 1}
