"""Batch read/create/update/upsert/archive: limits, 207 answers, validation, faults."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputForCreate as CCreate
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputUpsert as CUpsert
from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId as CRead
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInput as DUpdate
from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInputForCreate as DCreate
from hubspot.crm.deals import BatchInputSimplePublicObjectId as DArchive
from hubspot.crm.deals import BatchReadInputSimplePublicObjectId as DRead

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e


def deal_ids(cli: Clients, n: int) -> list[str]:
    return [d.id for d in cli.api("crm.deals.basic_api").get_page(limit=n).results]


def test_batch_read_answers_207_naming_missing_ids(cli: Clients) -> None:
    ids = deal_ids(cli, 3)
    res = cli.api("crm.deals.batch_api").read(DRead(
        inputs=[{"id": i} for i in [*ids, "30999999999"]], properties=["dealname"],
        properties_with_history=[]))
    assert type(res).__name__ == "BatchResponseSimplePublicObjectWithErrors"
    assert sorted(r.id for r in res.results) == sorted(ids)
    assert res.num_errors == 1
    assert res.errors[0].category == "OBJECT_NOT_FOUND"
    assert res.errors[0].context == {"ids": ["30999999999"]}


def test_batch_read_by_unique_property(cli: Clients) -> None:
    first = cli.api("crm.contacts.basic_api").get_page(limit=2, properties=["email"]).results
    res = cli.api("crm.contacts.batch_api").read(CRead(
        inputs=[{"id": c.properties["email"]} for c in first], id_property="email",
        properties=["email"], properties_with_history=[]))
    assert {r.id for r in res.results} == {c.id for c in first}


def test_more_than_100_inputs_answers_400(cli: Clients) -> None:
    with pytest.raises(DealsError) as err:
        cli.api("crm.deals.batch_api").read(DRead(
            inputs=[{"id": str(30_000_000_000 + i)} for i in range(101)], properties=[],
            properties_with_history=[]))
    assert err.value.status == 400


def test_create_update_and_read_back(sandbox: Box, cli: Clients) -> None:
    owner = cli.api("crm.owners.owners_api").get_page(limit=1).results[0].id
    created = cli.api("crm.deals.batch_api").create(DCreate(inputs=[{"properties": {
        "dealname": f"Batch deal {i}", "amount": "1200.50", "dealstage": "closedwon",
        "pipeline": "default", "closedate": "2024-05-01T00:00:00.000Z",
        "hubspot_owner_id": owner, "deal_currency_code": "EUR"}} for i in range(3)]))
    assert len(created.results) == 3
    props = created.results[0].properties
    assert props["amount"] == "1200.5"
    assert props["dealstage"] == "closedwon"
    key = int(created.results[0].id) - 30_000_000_000
    assert sandbox.org.count("opportunities", f"n = {key} AND is_won AND is_closed") == 1
    updated = cli.api("crm.deals.batch_api").update(DUpdate(inputs=[
        {"id": r.id, "properties": {"dealstage": "closedlost"}} for r in created.results]))
    assert {r.properties["dealstage"] for r in updated.results} == {"closedlost"}
    assert sandbox.org.count("opportunities", f"n = {key} AND is_closed AND NOT is_won") == 1


def test_update_of_unknown_ids_answers_207(cli: Clients) -> None:
    ids = deal_ids(cli, 1)
    res = cli.api("crm.deals.batch_api").update(DUpdate(inputs=[
        {"id": ids[0], "properties": {"dealname": "Renamed"}},
        {"id": "30999999998", "properties": {"dealname": "Nobody"}}]))
    assert [r.properties["dealname"] for r in res.results] == ["Renamed"]
    assert res.errors[0].context == {"ids": ["30999999998"]}


def test_invalid_property_values_refuse_the_whole_batch(cli: Clients) -> None:
    with pytest.raises(DealsError) as err:
        cli.api("crm.deals.batch_api").create(DCreate(inputs=[
            {"properties": {"dealname": "ok"}},
            {"properties": {"dealname": "bad", "no_such_property": "1", "amount": "abc"}}]))
    body = json.loads(err.value.body)
    assert err.value.status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert {e["code"] for e in body["errors"]} == {"PROPERTY_DOESNT_EXIST", "INVALID_NUMBER"}
    with pytest.raises(DealsError) as ro:
        cli.api("crm.deals.batch_api").create(DCreate(inputs=[
            {"properties": {"hs_lastmodifieddate": "2024-01-01"}}]))
    assert json.loads(ro.value.body)["errors"][0]["code"] == "READ_ONLY_VALUE"


def test_upsert_by_email_creates_and_updates(cli: Clients) -> None:
    api = cli.api("crm.contacts.batch_api")
    existing = cli.api("crm.contacts.basic_api").get_page(limit=1, properties=["email"])
    email = existing.results[0].properties["email"]
    res = api.upsert(CUpsert(inputs=[
        {"id": email, "idProperty": "email", "properties": {"firstname": "Updated"}},
        {"id": "new.person@example.com", "idProperty": "email",
         "properties": {"firstname": "New", "lastname": "Person"}}]))
    by_email = {r.properties["email"]: r for r in res.results}
    assert by_email[email].new is False
    assert by_email[email].id == existing.results[0].id
    assert by_email[email].properties["firstname"] == "Updated"
    assert by_email["new.person@example.com"].new is True
    with pytest.raises(ContactsError) as err:
        api.upsert(CUpsert(inputs=[{"id": "x", "idProperty": "firstname", "properties": {}}]))
    assert err.value.status == 400


def test_record_error_fault_fails_single_records_with_207(sandbox: Box, cli: Clients) -> None:
    sandbox.faults.add({"kind": "record_error", "path": "/crm/v3/objects/contacts/batch/create",
                        "count": 1, "error_code": "VALIDATION_ERROR",
                        "message": "Property values were not valid"})
    res = cli.api("crm.contacts.batch_api").create(CCreate(inputs=[
        {"properties": {"email": f"fault{i}@example.com", "lastname": "F"}} for i in range(3)]))
    assert type(res).__name__ == "BatchResponseSimplePublicObjectWithErrors"
    assert len(res.results) == 2
    assert res.num_errors == 1
    assert res.errors[0].category == "VALIDATION_ERROR"


def test_empty_2xx_fault_answers_neither_results_nor_errors(sandbox: Box, cli: Clients) -> None:
    sandbox.faults.add({"kind": "record_error", "path": "/crm/v3/objects/deals/batch/update",
                        "count": 1, "error_code": "EMPTY_RESPONSE"})
    ids = deal_ids(cli, 1)
    empty = cli.api("crm.deals.batch_api").update(DUpdate(inputs=[
        {"id": ids[0], "properties": {"dealname": "x"}}]))
    assert empty.results is None
    assert getattr(empty, "errors", None) is None
    assert sandbox.stats()["statuses"].get("200")
    raw = cli.api("crm.deals.batch_api").update(
        DUpdate(inputs=[{"id": ids[0], "properties": {"dealname": "y"}}]))
    assert raw.results


def test_archive_keeps_last_modified_and_moves_to_archived_listing(cli: Clients) -> None:
    api = cli.api("crm.deals.basic_api")
    created = cli.api("crm.deals.batch_api").create(DCreate(inputs=[
        {"properties": {"dealname": "to archive", "dealstage": "qualification"}}]))
    rid = created.results[0].id
    before = api.get_by_id(rid, properties=["hs_lastmodifieddate"])
    cli.api("crm.deals.batch_api").archive(DArchive(inputs=[{"id": rid}]))
    after: Any = api.get_by_id(rid, properties=["hs_lastmodifieddate"], archived=True)
    assert after.archived is True
    assert after.properties["hs_lastmodifieddate"] == before.properties["hs_lastmodifieddate"]
    with pytest.raises(DealsError):
        api.get_by_id(rid)
