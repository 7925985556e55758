"""Pipelines, owners, properties, groups, schemas, custom objects and associations v4."""

from __future__ import annotations

import pytest
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInputForCreate as OCreate
from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInputUpsert as OUpsert
from hubspot.crm.objects import PublicObjectSearchRequest
from hubspot.crm.properties import ApiException as PropertiesError
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate
from hubspot.crm.schemas import ApiException as SchemasError
from hubspot.crm.schemas import ObjectSchemaEgg

from .conftest import Box, Clients

pytestmark = pytest.mark.e2e


def test_deal_pipeline_stages_carry_closed_and_probability(cli: Clients) -> None:
    pipelines = cli.api("crm.pipelines.pipelines_api").get_all("deals").results
    stages = {s.id: s.metadata for s in pipelines[0].stages}
    assert pipelines[0].id == "default"
    assert stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
    assert stages["closedlost"] == {"isClosed": "true", "probability": "0.0"}
    assert all(m["isClosed"] == "false" for k, m in stages.items()
               if k not in ("closedwon", "closedlost"))


def test_owners_page_with_teams_and_archived_inactive_users(sandbox: Box, cli: Clients) -> None:
    api = cli.api("crm.owners.owners_api")
    owners, after = [], None
    while True:
        page = api.get_page(limit=5, after=after)
        owners += page.results
        if page.paging is None:
            break
        after = page.paging.next.after
    assert len(owners) == sandbox.org.count("users", "active")
    assert any(o.teams and o.teams[0].primary for o in owners)
    inactive = api.get_page(archived=True).results
    assert len(inactive) == sandbox.org.count("users", "NOT active")
    one = api.get_by_id(int(owners[1].id))
    assert one.email == owners[1].email


def test_properties_read_create_and_groups(cli: Clients) -> None:
    api = cli.api("crm.properties.core_api")
    names = {p.name for p in api.get_all("deals").results}
    assert {"dealname", "amount", "dealstage", "hubspot_owner_id", "closedate"} <= names
    groups = cli.api("crm.properties.groups_api")
    groups.create("companies", PropertyGroupCreate(name="sales_kpis", label="Sales KPIs"))
    assert groups.get_by_name("companies", "sales_kpis").label == "Sales KPIs"
    made = api.create("companies", PropertyCreate(
        name="kpi_win_rate", label="Win rate", type="number", field_type="number",
        group_name="sales_kpis"))
    assert made.name == "kpi_win_rate"
    assert made.hubspot_defined is False
    with pytest.raises(PropertiesError) as err:
        api.create("companies", PropertyCreate(name="kpi_win_rate", label="x", type="number",
                                               field_type="number", group_name="sales_kpis"))
    assert err.value.status == 409
    objects = cli.api("crm.objects.basic_api")
    company = objects.get_page("companies", limit=1).results[0]
    objects.update("companies", company.id, {"properties": {"kpi_win_rate": "0.25"}})
    got = objects.get_by_id("companies", company.id, properties=["kpi_win_rate", "name"])
    assert got.properties["kpi_win_rate"] == "0.25"


def test_schema_creates_a_custom_object_that_lists_batches_and_searches(
        cli: Clients) -> None:
    schema = cli.api("crm.schemas.core_api").create(ObjectSchemaEgg(
        name="sales_kpi", labels={"singular": "Sales KPI", "plural": "Sales KPIs"},
        primary_display_property="kpi_key", required_properties=["kpi_key"],
        searchable_properties=["kpi_key"], secondary_display_properties=[],
        associated_objects=["COMPANY"],
        properties=[{"name": "kpi_key", "label": "Key", "type": "string", "fieldType": "text",
                     "hasUniqueValue": True},
                    {"name": "win_rate", "label": "Win rate", "type": "number",
                     "fieldType": "number"}]))
    assert schema.object_type_id.startswith("2-")
    listed = cli.api("crm.schemas.core_api").get_all().results
    assert schema.object_type_id in {s.object_type_id for s in listed}
    batch = cli.api("crm.objects.batch_api")
    made = batch.create(schema.object_type_id, OCreate(inputs=[
        {"properties": {"kpi_key": f"2024-0{m}|rep", "win_rate": str(m / 10)}}
        for m in range(1, 4)]))
    assert len(made.results) == 3
    up = batch.upsert("sales_kpi", OUpsert(inputs=[
        {"id": "2024-01|rep", "idProperty": "kpi_key", "properties": {"win_rate": "0.9"}},
        {"id": "2024-04|rep", "idProperty": "kpi_key", "properties": {"win_rate": "0.4"}}]))
    assert sorted(r.new for r in up.results) == [False, True]
    page = cli.api("crm.objects.basic_api").get_page("sales_kpi", limit=10,
                                                      properties=["kpi_key", "win_rate"])
    assert {r.properties["kpi_key"]: r.properties["win_rate"] for r in page.results} == {
        "2024-01|rep": "0.9", "2024-02|rep": "0.2", "2024-03|rep": "0.3", "2024-04|rep": "0.4"}
    found = cli.api("crm.objects.search_api").do_search(
        schema.object_type_id, public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "win_rate", "operator": "GTE",
                                         "value": "0.3"}]}], properties=["kpi_key"]))
    assert found.total == 3


def test_associations_v4_batch_read(sandbox: Box, cli: Clients) -> None:
    deals = cli.api("crm.deals.basic_api").get_page(limit=20, associations=["companies"])
    linked = {d.id: d.associations["companies"].results[0].id for d in deals.results
              if d.associations}
    res = cli.api("crm.associations.v4.batch_api").get_page(
        "deals", "companies", BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[{"id": i} for i in linked]))
    got = {r._from.id: str(r.to[0].to_object_id) for r in res.results}
    assert got == linked
    assert res.results[0].to[0].association_types[0].type_id == 5
    back = cli.api("crm.associations.v4.batch_api").get_page(
        "companies", "deals", BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[{"id": c} for c in set(linked.values())]))
    assert {str(t.to_object_id) for r in back.results for t in r.to} >= set(linked)
    calls = cli.api("crm.associations.v4.batch_api").get_page(
        "calls", "contacts", BatchInputPublicFetchAssociationsBatchRequest(inputs=[
            {"id": c.id} for c in cli.api("crm.objects.basic_api").get_page(
                "calls", limit=50).results]))
    assert calls.results
    assert calls.results[0].to[0].association_types[0].type_id == 194


def test_a_schema_update_changes_which_properties_display_and_search(cli: Clients) -> None:
    props = [{"name": "code", "label": "Code", "type": "string", "fieldType": "text"},
             {"name": "title", "label": "Title", "type": "string", "fieldType": "text"}]
    schemas = cli.api("crm.schemas.core_api")
    made = schemas.create({"name": "patched_thing", "properties": props,
                           "labels": {"singular": "Thing", "plural": "Things"},
                           "primaryDisplayProperty": "code", "requiredProperties": ["code"]})
    type_id = made.object_type_id
    schemas.update(type_id, {"primaryDisplayProperty": "title",
                             "searchableProperties": ["code", "title"]})
    got = schemas.get_by_id(type_id)
    assert got.primary_display_property == "title"
    assert got.searchable_properties == ["code", "title"]
    with pytest.raises(SchemasError) as err:
        schemas.update(type_id, {"primaryDisplayProperty": "nothing"})
    assert err.value.status == 400
