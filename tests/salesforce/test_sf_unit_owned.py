"""Which fields the writer owns, and what setup does about each (no HTTP: a fixed org)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connector.crms.push import pending
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.fields import writer_fields
from connector.crms.salesforce.mapping import Handed, PushMapping
from connector.crms.salesforce.owned import Existing, FieldCatalog, Step, review
from connector.crms.salesforce.setup import apply
from connector.crms.salesforce.write import SalesforceWriter
from connector.errors import FatalError
from connector.presentation import Wording, managed_description
from connector.yamlfile import KeyPath, render_path

WORDING = Wording("USD")


def field(name: str, kind: str = "double", **kw: Any) -> Existing:
    """A custom field as describe + Tooling show it (a user's Number(18, 2) by default)."""
    data: dict[str, Any] = {
        "name": name, "type": kind, "label": name, "help": None, "precision": 18, "scale": 2,
        "length": 0, "custom": True, "updateable": True, "external_id": False,
        "tooling_id": "00N1",
    }  # fmt: skip
    data.update(kw)
    return Existing(**data)


def legacy(name: str) -> Existing:
    """A field as setup created it before it wrote descriptions."""
    label = name.removesuffix("__c").replace("_", " ")
    return field(name, "double", label=label, precision=18, scale=6)


class FixedOrg(FieldCatalog):
    def __init__(
        self, objects: dict[str, list[Existing] | None], hidden: frozenset[str] = frozenset()
    ) -> None:
        self.objects = objects
        self.hidden_objects = hidden

    def fields(self, sobject: str) -> dict[str, Existing] | None:
        found = self.objects.get(sobject, [])
        return None if found is None else {f.name.lower(): f for f in found}

    def hidden(self, sobject: str) -> bool:
        return sobject in self.hidden_objects


def where(path: KeyPath | None) -> str:
    return "salesforce.yaml" if path is None else f"salesforce.yaml:9 {render_path(path)}"


def run(
    push: PushMapping, objects: dict[str, list[Existing] | None]
) -> tuple[list[str], list[str]]:
    found = review(FixedOrg(objects), push, writer_fields(push, WORDING), where)
    return found.problems, [str(s) for s in found.steps]


def test_a_fresh_org_gets_the_object_and_every_field_created() -> None:
    push = PushMapping(user_fields={"nps": "KPI_NPS__c"})
    problems, steps = run(push, {"Sales_KPI__c": None, "User": [], "Account": []})
    assert problems == []
    assert steps[0] == "create custom object Sales_KPI__c"
    assert "create field Sales_KPI__c.Total_Revenue_Pace__c (Percent)" in steps
    assert "create field Sales_KPI__c.Closing_Ratio_Attainment__c (Percent)" in steps
    assert "create field User.KPI_NPS_Attainment__c (Percent)" in steps


def test_a_field_of_someone_else_is_refused_unless_handed_over() -> None:
    theirs = field("Region_Revenue__c", "currency")
    push = PushMapping(account_fields={"revenue_this_year": "Region_Revenue__c"})
    problems, _ = run(push, {"Sales_KPI__c": [], "Account": [theirs]})
    assert problems == [
        "salesforce.yaml:9 push.account_fields.revenue_this_year: Account.Region_Revenue__c "
        "exists and was not created by crm-kpi: name another field, or hand it over with "
        "{field: Region_Revenue__c, take_over: true}"
    ]
    handed = Handed(field="Region_Revenue__c", take_over=True)
    push = PushMapping(account_fields={"revenue_this_year": handed})
    problems, steps = run(push, {"Sales_KPI__c": [], "Account": [theirs]})
    assert problems == []
    assert (
        "update field Account.Region_Revenue__c (decimals 2 → 0, label, help text, "
        "description)" in steps
    )


def test_a_handed_field_of_a_type_that_cannot_become_a_number_is_refused() -> None:
    push = PushMapping(account_fields={"revenue_this_year": Handed(field="T__c", take_over=True)})
    problems, _ = run(push, {"Sales_KPI__c": [], "Account": [field("T__c", "string")]})
    assert "is a string field; crm-kpi writes a Currency there" in problems[0]


def test_fields_of_earlier_versions_are_upgraded_in_place() -> None:
    push = PushMapping(user_fields={"closing_ratio": "KPI_Closing_Ratio__c"})
    org = {
        "Sales_KPI__c": [legacy("Closing_Ratio__c"), legacy("Sales_By_Contact_Method__c")],
        "User": [legacy("KPI_Closing_Ratio__c"), legacy("KPI_Revenue__c"), legacy("Mine__c")],
        "Account": [legacy("KPI_Territory_Revenue__c")],
    }
    problems, steps = run(push, org)
    assert problems == []
    assert ("update field Sales_KPI__c.Closing_Ratio__c (type double → Percent, decimals "
            "6 → 1, label, help text, description)") in steps  # fmt: skip
    assert (
        "update field User.KPI_Closing_Ratio__c (type double → Percent, decimals 6 → 1, "
        "label, help text, description)" in steps
    )
    retired = sorted(s for s in steps if s.startswith("retire"))
    assert retired == [
        "retire field Account.KPI_Territory_Revenue__c",
        "retire field Sales_KPI__c.Sales_By_Contact_Method__c",
        "retire field User.KPI_Revenue__c",
    ]  # Mine__c looks alike but is no name crm-kpi ever used on User: left alone


def test_a_managed_field_in_place_needs_nothing_and_one_no_longer_mapped_is_retired() -> None:
    push = PushMapping(user_fields={"nps": "KPI_NPS__c"})
    wanted = {f.name: f for f in writer_fields(push, WORDING)["User"]}
    org_fields = [_as_created(f) for f in wanted.values()]
    gone = field("KPI_Old__c", description=managed_description("cac.value of the current month"))
    _, steps = run(push, {"Sales_KPI__c": None, "User": [*org_fields, gone], "Account": []})
    assert [s for s in steps if "User" in s] == ["retire field User.KPI_Old__c"]


def test_a_field_the_integration_user_cannot_edit_needs_access_not_a_new_field() -> None:
    push = PushMapping(user_fields={"nps": "KPI_NPS__c"})
    wanted = writer_fields(push, WORDING)["User"][0]
    locked = Existing(**{**_as_created(wanted).__dict__, "updateable": False})
    found = review(FixedOrg({"Sales_KPI__c": [], "User": [locked], "Account": []}), push,
                   {"User": [wanted]}, where)  # fmt: skip
    assert found.problems == []
    assert [str(s) for s in found.steps] == ["grant access to User.KPI_NPS__c"]
    assert found.steps[0].problem == (
        "salesforce.yaml:9 push.user_fields.nps: the integration user can read User.KPI_NPS__c "
        "but not edit it. Grant the integration user Read and Edit on it: assign it the "
        "permission set CRM_KPI_Writer (`crm-kpi setup salesforce` deploys and assigns it), "
        "or add the access to a permission set it has"
    )


def test_a_field_describe_leaves_out_is_never_created_again() -> None:
    push = PushMapping(user_fields={"nps": "KPI_NPS__c"})
    wanted = writer_fields(push, WORDING)["User"][0]
    unseen = Existing(**{**_as_created(wanted).__dict__, "updateable": False, "visible": False})
    found = review(FixedOrg({"Sales_KPI__c": [], "User": [unseen], "Account": []}), push,
                   {"User": [wanted]}, where)  # fmt: skip
    assert [str(s) for s in found.steps] == ["grant access to User.KPI_NPS__c"]
    assert found.steps[0].problem.startswith(
        "salesforce.yaml:9 push.user_fields.nps: User.KPI_NPS__c exists (the Tooling API lists "
        "it) but the integration user cannot see it: field-level security hides it. Grant"
    )
    assert "run `" not in found.steps[0].problem


def test_a_kpi_object_the_integration_user_cannot_see_is_not_created_again() -> None:
    push = PushMapping()
    wanted = writer_fields(push, WORDING)
    org = FixedOrg({"Sales_KPI__c": [_as_created(f) for f in wanted["Sales_KPI__c"]],
                    "User": [], "Account": []}, hidden=frozenset({"Sales_KPI__c"}))  # fmt: skip
    found = review(org, push, wanted, where)
    assert [str(s) for s in found.steps] == ["grant access to Sales_KPI__c"]
    assert "it has no object permission on it" in found.steps[0].problem


def _as_created(wanted: Any) -> Existing:
    meta = wanted.metadata()
    kinds = {"Number": "double", "Currency": "currency", "Percent": "percent", "Text": "string",
             "Date": "date", "DateTime": "datetime"}  # fmt: skip
    return field(wanted.name, kinds[meta["type"]], label=meta["label"],
                 help=meta["inlineHelpText"], scale=meta.get("scale", 0),
                 description=meta["description"])  # fmt: skip


def test_a_value_its_field_cannot_hold_is_reported_for_its_record_not_sent() -> None:
    from sf_helpers import make_config

    from connector.kpi.engine import RESULTS_DDL
    from connector.store import Store

    class Offline:
        def __init__(self) -> None:
            self.info = {"salesforce": {"login_url": "https://login.example.com",
                                        "consumer_key": "k", "username": "u@example.com",
                                        "jwt_private_key_file": __file__},
                         "ca_file": __file__}  # fmt: skip

    config = make_config(Offline())  # type: ignore[arg-type]
    writer = SalesforceWriter("sf", config, PushMapping(), WORDING)
    with Store(":memory:") as store:
        store.execute(RESULTS_DDL)
        store.execute(
            "INSERT INTO kpi_results (kpi, period_type, period, period_start, period_end, "
            "scope_type, value) VALUES ('sales_growth', 'month', '2024-01', DATE '2024-01-01', "
            "DATE '2024-02-01', 'company', 5e16), ('nps', 'month', '2024-01', DATE '2024-01-01', "
            "DATE '2024-02-01', 'company', 40)"
        )
        result = writer.push(store, dry_run=True)
    assert [(f.record, f.field) for f in result.failed] == [
        ("Sales_KPI__c month|2024-01|company|-", "Sales_Growth__c")
    ]
    assert "at most 17 digits before the decimal point" in result.failed[0].message
    assert any(p.field == "Nps__c" for p in result.planned)


def test_validate_lists_a_few_pending_steps_and_sums_up_many() -> None:
    few = pending("salesforce.yaml", ["create field User.A__c (Number)"], "crm-kpi setup sf")
    assert few == ["salesforce.yaml: create field User.A__c (Number): run `crm-kpi setup sf`"]
    push = PushMapping()
    _, steps = run(push, {"Sales_KPI__c": None, "User": [], "Account": []})
    many = pending("salesforce.yaml", steps, "crm-kpi setup sf")
    assert many == [
        f"salesforce.yaml: run `crm-kpi setup sf`: {len(steps)} changes to make (create custom "
        "object Sales_KPI__c; create field Sales_KPI__c.KPI_Key__c (Text); create field "
        "Sales_KPI__c.Period_Type__c (Text); …)"
    ]


API = "https://na1.example.com/services/data/v62.0"
NPS = writer_fields(PushMapping(user_fields={"nps": "KPI_NPS__c"}), WORDING)["User"][0]


def _tooling(rsps: Any, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Tooling API queries answered by the object they ask about."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        soql = parse_qs(urlsplit(request.url).query)["q"][0]
        key = "CustomObject" if "FROM CustomObject" in soql else soql.rsplit("'", 2)[1]
        records = rows.get(key, [])
        return 200, {}, json.dumps({"totalSize": len(records), "done": True, "records": records})

    rsps.add_callback(responses.GET, f"{API}/tooling/query/", callback=answer)


def _hidden_nps(rsps: Any, description: str | None, meta: dict[str, Any]) -> None:
    """User.KPI_NPS__c as the Tooling API lists it and describe leaves it out."""
    rsps.add(responses.GET, f"{API}/sobjects/User/describe", json={"name": "User", "fields": [
        {"name": "Id", "type": "id", "label": "User ID", "custom": False}]})  # fmt: skip
    _tooling(rsps, {"User": [{"Id": "00N000000000009AAA", "DeveloperName": "KPI_NPS",
                              "Description": description}]})  # fmt: skip
    rsps.add(responses.GET, f"{API}/tooling/sobjects/CustomField/00N000000000009AAA",
             json={"FullName": "User.KPI_NPS__c", "Metadata": meta})  # fmt: skip


def test_the_catalog_reads_what_describe_hides_from_the_tooling_api(
    config: Any, rsps: Any
) -> None:
    _hidden_nps(rsps, managed_description("nps.value"), {
        "label": "NPS (month)", "type": "Number", "precision": 18, "scale": 0,
        "inlineHelpText": "Net Promoter Score.", "description": managed_description("nps.value")})
    with SalesforceClient(config) as client:
        found = FieldCatalog(client).fields("User")
    assert found is not None
    hidden = found["kpi_nps__c"]
    assert (hidden.name, hidden.type, hidden.label, hidden.visible, hidden.updateable) == (
        "KPI_NPS__c", "double", "NPS (month)", False, False)  # fmt: skip
    assert hidden.managed


def _create_answered_duplicate(rsps: Any) -> None:
    rsps.add(responses.POST, f"{API}/tooling/sobjects/CustomField", status=400, json=[
        {"errorCode": "DUPLICATE_DEVELOPER_NAME", "message": "KPI_NPS__c already exists"}])


def test_a_duplicate_that_is_not_setup_s_own_retried_create_stops_setup(
    config: Any, rsps: Any
) -> None:
    _create_answered_duplicate(rsps)
    _hidden_nps(rsps, "Sales ops' own", {"label": "NPS", "type": "Number", "precision": 3,
                                         "scale": 0})  # someone else's field  # fmt: skip
    with SalesforceClient(config) as client:
        catalog = FieldCatalog(client)
        with pytest.raises(FatalError, match=r"refused to create User\.KPI_NPS__c"):
            apply(client, catalog, Step("create", "User", NPS), dt.date(2026, 12, 6))


def test_a_create_answered_duplicate_because_it_was_retried_is_taken_as_done(
    config: Any, rsps: Any
) -> None:
    _create_answered_duplicate(rsps)
    _hidden_nps(rsps, NPS.metadata()["description"], NPS.metadata())
    with SalesforceClient(config) as client:
        done = apply(client, FieldCatalog(client), Step("create", "User", NPS),
                     dt.date(2026, 12, 6))  # fmt: skip
    assert done == "created field User.KPI_NPS__c (Number)"
