"""End to end through the real simple-salesforce against the sandbox: setup and push."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sf_helpers import compute_kpis, grant_fields, make_source, make_writer

from connector.crms.salesforce.mapping import Handed, PushMapping
from connector.crms.salesforce.paging import query_pages
from connector.crms.salesforce.write import SalesforceWriter
from connector.errors import ConfigError
from connector.store import Store
from crm_sandbox import Sandbox
from crm_sandbox.ids import parse_sf_id

pytestmark = pytest.mark.e2e

WRITE_ENDPOINTS = ("collections", "bulk.ingest", "tooling.create", "tooling.update", ".create",
                   ".update")  # fmt: skip
INTEGRATION_USER = "0058d0000000001AAA"
INACTIVE_REP = "0058d0000000005AAA"
DEFAULT_OWNER = "kira.eriksen.2@sandbox.example"


def writes(sb: Sandbox) -> int:
    """Write calls the sandbox has answered so far."""
    endpoints = sb.stats()["endpoints"]
    return sum(n for name, n in endpoints.items() if any(w in name for w in WRITE_ENDPOINTS))


@pytest.fixture
def pulled(sandbox: Sandbox) -> Iterator[Store]:
    with Store(":memory:") as st:
        make_source(sandbox).pull(st)
        compute_kpis(st)
        yield st


def query(sb: Sandbox, soql: str) -> list[dict[str, Any]]:
    with make_source(sb).transport() as transport:
        return [dict(r) for page in query_pages(transport, soql) for r in page]


def describe(sb: Sandbox, sobject: str) -> dict[str, dict[str, Any]]:
    with make_source(sb).transport() as transport:
        return {f["name"]: f for f in transport.describe(sobject)["fields"]}


def restful(sb: Sandbox, path: str, method: str = "GET", body: Any = None) -> Any:
    with make_source(sb).transport() as transport:
        return transport.restful(path, method, body)


def kpi_keys(store: Store) -> int:
    return int(
        store.scalar(
            "SELECT count(*) FROM (SELECT DISTINCT period_type, period, scope_type, scope_id "
            "FROM kpi_results WHERE breakdown_type IS NULL)"
        )
    )


def soql_ids(sb: Sandbox, sobject: str, developer_name: str) -> list[str]:
    soql = f"SELECT Id FROM {sobject} WHERE DeveloperName = '{developer_name}'"
    return [r["Id"] for r in query(sb, soql)]


def test_setup_creates_typed_fields_deploys_and_grants_once(sandbox: Sandbox) -> None:
    writer = make_writer(sandbox)
    pending = writer.validate()
    assert len(pending) == 1
    assert pending[0].startswith(f"salesforce.yaml: run `{writer.config.setup_command()}`: ")
    assert "changes to make (create custom object Sales_KPI__c; create field" in pending[0]
    lines: list[str] = []
    writer.progress = lines.append
    actions = writer.setup()
    assert "created custom object Sales_KPI__c" in actions
    assert "created field Sales_KPI__c.Closing_Ratio__c (Percent)" in actions
    assert "created field User.KPI_Revenue_Pace__c (Percent)" in actions
    assert "created field Account.KPI_Customer_Since__c (Date)" in actions
    assert any(a.startswith("deployed 14 components (deploy 0Af") for a in actions)
    assert "assigned permission set CRM_KPI_Writer to the integration user" in actions
    assert any(a.startswith("assigned permission set CRM_KPI_Reader to ") for a in actions)
    report, dashboard = (soql_ids(sandbox, "Report", "Sales_KPIs_by_Period"),
                         soql_ids(sandbox, "Dashboard", "Sales_KPIs_Dashboard"))  # fmt: skip
    assert len(report) == len(dashboard) == 1
    base = sandbox.info["salesforce"]["instance_url"]
    assert (f"report 'Sales KPIs' (folder CRM_KPI_Reports): {base}/lightning/r/Report/"
            f"{report[0]}/view") in actions  # fmt: skip
    assert f"{base}/lightning/r/Dashboard/{dashboard[0]}/view" in actions[-3]
    assert lines[0].startswith("deploy 0Af")
    assert "Succeeded" in lines[-1]
    before = writes(sandbox)
    again = writer.setup()
    assert not [a for a in again if a.startswith(("created", "updated", "retired", "assigned"))]
    assert any(a.startswith("deployed 14 components") for a in again)  # the same zip again
    assert writer.validate() == []
    assert writes(sandbox) == before
    assert (soql_ids(sandbox, "Report", "Sales_KPIs_by_Period"),
            soql_ids(sandbox, "Dashboard", "Sales_KPIs_Dashboard")) == (report, dashboard)
    fields = describe(sandbox, "Sales_KPI__c")
    closing = fields["Closing_Ratio__c"]
    assert (closing["type"], closing["scale"], closing["label"]) == (
        "percent",
        1,
        "Sales closing ratio",
    )
    assert closing["inlineHelpText"].startswith("Deals won in the period / opportunities")
    assert (fields["Total_Revenue_Target__c"]["type"], fields["Nps__c"]["type"]) == (
        "currency", "double")  # fmt: skip
    assert fields["By_Contact_Method_In_Person_Attainment__c"]["type"] == "percent"
    assert (fields["Name"]["type"], fields["Name"]["updateable"]) == ("string", True)
    user = describe(sandbox, "User")["KPI_Revenue__c"]
    assert (user["type"], user["label"]) == ("currency", "Total revenue (month)")
    described = restful(sandbox, f"analytics/reports/{report[0]}/describe")["reportMetadata"]
    assert described["reportFormat"] == "SUMMARY"
    assert [g["name"] for g in described["groupingsDown"]] == [
        "Sales_KPI__c.Period_Type__c", "Sales_KPI__c.Period__c"]  # fmt: skip
    board = restful(sandbox, f"analytics/dashboards/{dashboard[0]}/describe")
    assert board["dashboardType"] == "LoggedInUser"
    bundle = restful(sandbox, "tooling/query/?q=SELECT+DeveloperName+FROM+"
                              "LightningComponentBundle")["records"]  # fmt: skip
    assert "salesKpiCard" in {b["DeveloperName"] for b in bundle}


def test_push_writes_rows_owned_by_their_rep_values_as_fields_show_them(
    sandbox: Sandbox, pulled: Store
) -> None:
    push = PushMapping.model_validate(
        {**make_writer(sandbox).push_mapping.model_dump(), "default_owner": DEFAULT_OWNER}
    )
    writer = make_writer(sandbox, push)
    writer.setup()
    result = writer.push(pulled)
    assert result.failed == []
    rows = query(sandbox, "SELECT KPI_Key__c, Scope_Type__c, Scope_Id__c, Scope_Name__c, "
                          "OwnerId, Closing_Ratio__c, Period_End__c FROM Sales_KPI__c")  # fmt: skip
    assert len(rows) == kpi_keys(pulled)
    kira = "0058d0000000002AAA"
    by_owner = {(r["Scope_Type__c"], r["Scope_Id__c"]): r["OwnerId"] for r in rows}
    assert by_owner[("owner", "0058d0000000003AAA")] == "0058d0000000003AAA"  # a rep: theirs
    assert by_owner[("owner", INACTIVE_REP)] == kira  # an inactive rep's: the default owner
    assert {o for (scope, _), o in by_owner.items() if scope != "owner"} == {kira}
    named = [r for r in rows if r["Scope_Id__c"] == "0058d0000000003AAA"]
    assert {r["Scope_Name__c"] for r in named} == {"Ben Chen"}
    stored = pulled.fetch_dicts(
        "SELECT period_type || '|' || period || '|' || scope_type || '|' || "
        "coalesce(scope_id, '-') AS key, value, period_end FROM kpi_results "
        "WHERE kpi = 'closing_ratio' AND breakdown_type IS NULL AND value IS NOT NULL"
    )
    got = {r["KPI_Key__c"]: r for r in rows}
    for row in stored[:20]:
        assert got[row["key"]]["Closing_Ratio__c"] == round(row["value"] * 100, 1)  # Percent
    assert all(str(got[r["key"]]["Period_End__c"]) < str(r["period_end"]) for r in stored[:20])
    users = query(sandbox, "SELECT Id, KPI_Revenue__c, KPI_Closing_Ratio_Attainment__c "
                           "FROM User WHERE KPI_Revenue__c != null")  # fmt: skip
    assert users
    assert INACTIVE_REP not in {u["Id"] for u in users}


def test_each_account_gets_its_own_figures(sandbox: Sandbox, pulled: Store) -> None:
    writer = make_writer(sandbox)
    writer.setup()
    assert writer.push(pulled).failed == []
    figures = {r["account_id"]: r for r in pulled.fetch_dicts("SELECT * FROM account_figures")}
    accounts = query(
        sandbox,
        "SELECT Id, KPI_Revenue_This_Year__c, KPI_Revenue_Last_12_Months__c, "
        "KPI_Customer_Since__c, KPI_Last_NPS_Score__c FROM Account",
    )
    customers = [a for a in accounts if figures[a["Id"]]["customer_since"] is not None]
    assert customers
    for account in customers:
        mine = figures[account["Id"]]
        assert account["KPI_Revenue_Last_12_Months__c"] == round(mine["revenue_last_12_months"])
        assert account["KPI_Customer_Since__c"] == str(mine["customer_since"])
    revenues = {a["KPI_Revenue_Last_12_Months__c"] for a in customers}
    assert len(revenues) > 3  # each its own, not one territory's figure repeated


def test_unchanged_repush_makes_no_call_and_a_change_sends_only_itself(
    sandbox: Sandbox, pulled: Store
) -> None:
    writer = make_writer(sandbox)
    writer.setup()
    first = writer.push(pulled)
    before = writes(sandbox)
    again = writer.push(pulled)
    assert (again.written, again.api_calls, again.planned) == (0, 0, [])
    assert again.unchanged == first.written
    assert writes(sandbox) == before
    pulled.execute(
        "UPDATE kpi_results SET value = value + 1 WHERE kpi = 'total_revenue' "
        "AND breakdown_type IS NULL AND scope_type = 'company' AND period_type = 'year'"
    )
    dry = writer.push(pulled, dry_run=True)
    assert dry.api_calls == 0
    assert {c.field for c in dry.planned} == {"Total_Revenue__c"}
    assert all(c.old is not None and float(c.new or 0) - float(c.old) == 1 for c in dry.planned)
    assert writes(sandbox) == before
    diff = writer.push(pulled)
    assert diff.written == len(dry.planned)
    assert diff.api_calls <= 2
    key = dry.planned[0].record
    rows = query(sandbox, f"SELECT Total_Revenue__c FROM Sales_KPI__c WHERE KPI_Key__c = '{key}'")
    assert rows[0]["Total_Revenue__c"] == pytest.approx(float(dry.planned[0].new or 0))


def test_refused_records_are_retried_once_then_reported(sandbox: Sandbox, pulled: Store) -> None:
    writer = make_writer(sandbox)
    writer.setup()
    sandbox.faults.add({"kind": "record_error", "path": "composite/sobjects/Sales_KPI__c",
                        "error_code": "UNABLE_TO_LOCK_ROW", "count": 3})  # fmt: skip
    result = writer.push(pulled)
    assert result.failed == []  # the three refusals were retried and went through
    refusal = {"kind": "record_error", "path": "composite/sobjects/Sales_KPI__c",
               "error_code": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "no"}  # fmt: skip
    sandbox.faults.add(refusal)
    pulled.execute("UPDATE kpi_results SET value = value + 1 WHERE kpi = 'arpa'")
    failed = writer.push(pulled)
    assert failed.failed
    assert failed.written == 0
    assert all("FIELD_CUSTOM_VALIDATION_EXCEPTION: no" in f.message for f in failed.failed)
    sandbox.faults.clear()
    retried = writer.push(pulled)  # nothing was remembered as pushed: all is sent again
    assert retried.failed == []
    assert retried.written == len(failed.failed)


def test_a_value_out_of_range_fails_its_record_only(sandbox: Sandbox, pulled: Store) -> None:
    writer = make_writer(sandbox)
    writer.setup()
    assert writer.push(pulled).failed == []
    # An admin narrows a field after setup: Salesforce refuses what no longer fits.
    field = _tooling_field(sandbox, "Sales_KPI__c", "Arpa__c")
    meta = {**field["Metadata"], "precision": 4, "scale": 0}
    restful(sandbox, f"tooling/sobjects/CustomField/{field['Id']}", "PATCH", {"Metadata": meta})
    pulled.execute("UPDATE kpi_results SET value = value + 1 WHERE kpi IN ('arpa', 'nps')")
    result = writer.push(pulled)
    refused = {f.record for f in result.failed}
    assert refused
    assert all("NUMBER_OUTSIDE_VALID_RANGE" in f.message for f in result.failed)
    big = pulled.scalar(
        "SELECT count(*) FROM kpi_results WHERE kpi = 'arpa' AND abs(value) >= 9999.5 "
        "AND breakdown_type IS NULL"
    )
    assert len(refused) == big
    changed = {p.record for p in result.planned}
    assert result.written == len(changed) - big  # the rest of each batch went through
    assert any("update field Sales_KPI__c.Arpa__c" in p for p in writer.validate())


def _tooling_field(sb: Sandbox, sobject: str, name: str) -> dict[str, Any]:
    soql = f"SELECT Id FROM CustomField WHERE DeveloperName = '{name.removesuffix('__c')}'"
    found = restful(sb, f"tooling/query/?q={soql.replace(' ', '+')}")["records"]
    return dict(restful(sb, f"tooling/sobjects/CustomField/{found[0]['Id']}"))


def test_a_field_someone_else_created_is_refused_until_handed_over(
    sandbox: Sandbox, pulled: Store
) -> None:
    meta = {"label": "Region revenue", "type": "Number", "precision": 10, "scale": 2,
            "description": "Sales ops' own figure"}  # fmt: skip
    restful(sandbox, "tooling/sobjects/CustomField", "POST",
            {"FullName": "Account.Region_Revenue__c", "Metadata": meta})  # fmt: skip
    base = make_writer(sandbox).push_mapping.model_dump()
    mapped = {"account_fields": {"revenue_this_year": "Region_Revenue__c"}}
    writer = make_writer(sandbox, PushMapping.model_validate({**base, **mapped}))
    before = writes(sandbox)
    with pytest.raises(ConfigError) as err:
        writer.setup()
    shipped = writer.config.mapping_path.read_text(encoding="utf-8").splitlines()
    line = shipped.index("    revenue_this_year: KPI_Revenue_This_Year__c") + 1
    assert err.value.messages == [
        f"salesforce.yaml:{line} push.account_fields.revenue_this_year: "
        "Account.Region_Revenue__c exists and was not created by crm-kpi: name another field, "
        "or hand it over with {field: Region_Revenue__c, take_over: true}"
    ]
    assert writes(sandbox) == before  # nothing was created before the refusal
    assert err.value.messages[0] in writer.validate()
    handed = {"account_fields": {"revenue_this_year": Handed(field="Region_Revenue__c",
                                                             take_over=True)}}  # fmt: skip
    writer = make_writer(sandbox, PushMapping.model_validate({**base, **handed}))
    assert (
        "updated field Account.Region_Revenue__c (type double → Currency, decimals 2 → 0, "
        "digits 10 → 18, label, help text, description)" in writer.setup()
    )
    assert writer.push(pulled).failed == []
    field = describe(sandbox, "Account")["Region_Revenue__c"]
    assert (field["type"], field["label"]) == ("currency", "Revenue this year")
    assert query(sandbox, "SELECT Id FROM Account WHERE Region_Revenue__c != null")


def test_push_needs_enabled(sandbox: Sandbox, pulled: Store) -> None:
    writer = make_writer(sandbox, push={"enabled": False})
    assert writer.push(pulled, dry_run=True).planned
    with pytest.raises(ConfigError, match=r"push\.enabled"):
        writer.push(pulled)


def test_bulk_push_above_the_threshold(sandbox: Sandbox, pulled: Store) -> None:
    writer = make_writer(sandbox, push={"enabled": True, "bulk_threshold": 10})
    writer.setup()
    result = writer.push(pulled)
    assert result.failed == []
    assert sandbox.stats()["endpoints"].get("salesforce.bulk.ingest.create", 0) >= 1
    with make_source(sandbox).transport() as transport:
        assert transport.count("SELECT COUNT() FROM Sales_KPI__c") == kpi_keys(pulled)
    owners = query(sandbox, "SELECT OwnerId FROM Sales_KPI__c WHERE Scope_Type__c = 'company'")
    assert {o["OwnerId"] for o in owners} == {INTEGRATION_USER}  # the token became an Id
    assert writer.push(pulled).api_calls == 0


def test_an_org_without_setup_is_a_config_error_not_a_crm_failure(
    sandbox: Sandbox, pulled: Store
) -> None:
    writer: SalesforceWriter = make_writer(sandbox)
    with pytest.raises(ConfigError, match=r"run `\S*crm-kpi\S* setup sf` first"):
        writer.push(pulled)


def old_install(sb: Sandbox) -> None:
    """What setup created before this version: Number(18, 6) fields labelled after their
    API names, no help text, the territory's revenue on Account, an auto-number name."""
    number = {"type": "Number", "precision": 18, "scale": 6}
    fields = {"Sales_KPI__c": ["Closing_Ratio", "Closing_Ratio_Target", "Closing_Ratio_Attainment",
                               "Sales_By_Contact_Method", "Total_Revenue"],
              "User": ["KPI_Revenue"], "Account": ["KPI_Territory_Revenue"]}  # fmt: skip
    restful(sb, "tooling/sobjects/CustomObject", "POST", {"FullName": "Sales_KPI__c", "Metadata": {
        "label": "Sales KPI", "pluralLabel": "Sales KPIs", "sharingModel": "Private",
        "nameField": {"type": "AutoNumber", "label": "KPI Number"},
        "description": "One record per period and scope, written by crm-kpi."}})  # fmt: skip
    key = {"type": "Text", "length": 255, "label": "KPI Key", "externalId": True, "unique": True}
    restful(sb, "tooling/sobjects/CustomField", "POST",
            {"FullName": "Sales_KPI__c.KPI_Key__c", "Metadata": key})  # fmt: skip
    for sobject, names in fields.items():
        for name in names:
            meta = {**number, "label": name.replace("_", " ")}
            restful(sb, "tooling/sobjects/CustomField", "POST",
                    {"FullName": f"{sobject}.{name}__c", "Metadata": meta})  # fmt: skip
    # Fields made through an API have no field-level security: the admin of that install
    # granted them to the integration user, or the earlier writer could not have written.
    granted = ["Sales_KPI__c.KPI_Key__c"] + [f"{o}.{n}__c" for o, names in fields.items()
                                             for n in names]  # fmt: skip
    grant_fields(sb, granted, objects=("Sales_KPI__c",))
    written = restful(sb, "composite/sobjects/Sales_KPI__c/KPI_Key__c", "PATCH", {
        "allOrNone": True, "records": [{"attributes": {"type": "Sales_KPI__c"},
                                        "KPI_Key__c": "old|row", "Closing_Ratio__c": 0.45}]})
    accounts = query(sb, "SELECT Id FROM Account LIMIT 3")
    written += restful(sb, "composite/sobjects", "PATCH", {"allOrNone": True, "records": [
        {"attributes": {"type": "Account"}, "Id": a["Id"], "KPI_Territory_Revenue__c": 5}
        for a in accounts]})  # fmt: skip
    assert all(w["success"] for w in written), written


def test_an_earlier_install_is_upgraded_in_place(sandbox: Sandbox, pulled: Store) -> None:
    old_install(sandbox)
    writer = make_writer(sandbox)
    actions = writer.setup()
    assert ("updated field Sales_KPI__c.Closing_Ratio__c (type double → Percent, decimals 6 → 1, "
            "label, help text, description)") in actions  # fmt: skip
    assert (
        "updated field User.KPI_Revenue__c (type double → Currency, decimals 6 → 0, label, "
        "help text, description)" in actions
    )
    assert "retired field Account.KPI_Territory_Revenue__c (3 values cleared)" in actions
    assert "retired field Sales_KPI__c.Sales_By_Contact_Method__c (0 values cleared)" in actions
    assert any(a.startswith("deployed 14 components") for a in actions)
    again = writer.setup()
    assert not [a for a in again if a.startswith(("created", "updated", "retired", "assigned"))]
    old = query(sandbox, "SELECT Closing_Ratio__c FROM Sales_KPI__c WHERE KPI_Key__c = 'old|row'")
    assert old == [{"attributes": old[0]["attributes"], "Closing_Ratio__c": 0.45}]  # kept
    retired = describe(sandbox, "Account")["KPI_Territory_Revenue__c"]
    assert retired["label"] == "Retired: KPI Territory Revenue"
    assert query(sandbox, "SELECT Id FROM Account WHERE KPI_Territory_Revenue__c != null") == []
    assert writer.push(pulled).failed == []
    closing = pulled.scalar(
        "SELECT value FROM kpi_results WHERE kpi = 'closing_ratio' AND scope_type = 'company' "
        "AND period_type = 'year' AND value IS NOT NULL ORDER BY period DESC LIMIT 1"
    )
    shown = query(
        sandbox,
        "SELECT Name, Period__c, Closing_Ratio__c FROM Sales_KPI__c WHERE Scope_Type__c = "
        "'company' AND Period_Type__c = 'year' ORDER BY Period__c DESC LIMIT 1",
    )
    assert shown[0]["Closing_Ratio__c"] == round(closing * 100, 1)
    # The auto-number name became a Text name the writer sets.
    assert shown[0]["Name"] == f"Company · {shown[0]['Period__c']}"


def test_a_rep_deactivated_since_the_pull_has_their_rows_go_to_the_default_owner(
    sandbox: Sandbox, pulled: Store
) -> None:
    writer = make_writer(sandbox)
    writer.setup()
    rep = "0058d0000000003AAA"  # active when pulled
    parsed = parse_sf_id(rep)
    assert parsed is not None
    sandbox.org.cursor().execute("UPDATE users SET active = false WHERE n = ?", [parsed[1]])
    result = writer.push(pulled)
    assert result.failed == []
    rows = query(sandbox, "SELECT KPI_Key__c, Scope_Id__c, OwnerId FROM Sales_KPI__c")
    theirs = [r for r in rows if r["Scope_Id__c"] == rep]
    assert theirs
    assert {r["OwnerId"] for r in theirs} == {INTEGRATION_USER}
    others = {r["OwnerId"] for r in rows if r["Scope_Id__c"] == "0058d0000000004AAA"}
    assert others == {"0058d0000000004AAA"}
    assert result.written == len({p.record for p in result.planned})


def test_fields_the_integration_user_cannot_see_are_said_so_and_setup_grants_them(
    sandbox: Sandbox,
) -> None:
    # Readers are the reps (Standard User): the integration user reads through its own set.
    base = make_writer(sandbox).push_mapping.model_dump()
    writer = make_writer(sandbox, PushMapping.model_validate({**base,
                                                              "readers": ["Standard User"]}))
    writer.setup()
    me = sandbox.info["salesforce"]["user_id"]
    mine = query(sandbox, "SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = "
                          f"'{me}' AND PermissionSet.Name = 'CRM_KPI_Writer'")  # fmt: skip
    restful(sandbox, f"sobjects/PermissionSetAssignment/{mine[0]['Id']}", "DELETE")
    said = writer.validate()
    hidden = [p for p in said if "exists (the Tooling API lists it) but the integration user "
              "cannot see it: field-level security hides it" in p]  # fmt: skip
    assert any(p.startswith("salesforce.yaml:") and "User.KPI_Revenue__c exists" in p
               for p in hidden)  # fmt: skip
    assert all("assign it the permission set CRM_KPI_Writer" in p for p in hidden)
    assert not [p for p in said if "create field" in p]  # nothing is created again
    def creates() -> int:
        endpoints = sandbox.stats()["endpoints"]
        return sum(n for name, n in endpoints.items() if "tooling.create" in name)

    before = creates()
    actions = writer.setup()
    assert "assigned permission set CRM_KPI_Writer to the integration user" in actions
    assert not [a for a in actions if a.startswith("created")]
    assert creates() == before  # no Tooling create, so no DUPLICATE_DEVELOPER_NAME
    assert writer.validate() == []
