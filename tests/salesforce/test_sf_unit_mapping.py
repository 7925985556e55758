"""Unit tests: SOQL building, the mapping model, record reading, cursors and diffing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from connector.crms.salesforce import soql
from connector.crms.salesforce.fields import push_plan, writer_fields
from connector.crms.salesforce.mapping import PushMapping, SalesforceMapping, Stream
from connector.crms.salesforce.records import compile_reader, derivation
from connector.crms.salesforce.state import StreamState, later
from connector.crms.salesforce.validate import Resolved
from connector.errors import ConfigError
from connector.kpi.engine import RESULTS_DDL
from connector.presentation import Wording
from connector.settings import KpiSettings
from connector.store import ParseOptions, Store
from connector.store.derive import derive
from connector.store.push import changes, remember
from connector.store.raw import raw_stream, upsert_raw
from connector.yamlfile import load_model

T0 = dt.datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)


def test_select_is_inclusive_ordered_and_from_identifiers_only() -> None:
    query = soql.select("Lead", ["Id", "UserRole.Name"], cursor_field="SystemModstamp", since=T0)
    assert query == (
        "SELECT Id, UserRole.Name FROM Lead WHERE SystemModstamp >= 2024-05-01T12:00:00Z "
        "ORDER BY SystemModstamp ASC, Id ASC"
    )
    rest = soql.select("Lead", ["Id"], cursor_field="SystemModstamp", since=None, order=False,
                       skip_ids=["00Q000000000001AAA", "00Q000000000002"])  # fmt: skip
    assert rest == "SELECT Id FROM Lead WHERE Id NOT IN ('00Q000000000001AAA', '00Q000000000002')"
    with pytest.raises(ValueError, match="not a Salesforce record id"):
        soql.select("Lead", ["Id"], cursor_field="SystemModstamp", since=T0,
                    skip_ids=["x') OR Id != ('"])  # fmt: skip


@pytest.mark.parametrize(
    "name", ["Lead WHERE Id != null", "Id, (SELECT Id FROM Contacts)", "x'--", "A.B.C.D.E.F", ""]
)
def test_nothing_but_identifiers_reaches_soql(name: str) -> None:
    with pytest.raises(ValueError, match=r"Salesforce API name|relationships"):
        soql.select("Lead", [name], cursor_field="SystemModstamp", since=None)


def test_long_field_lists_go_to_bulk() -> None:
    fields = [f"Custom_Field_Number_{i}__c" for i in range(600)]
    query = soql.select("Lead", fields, cursor_field="SystemModstamp", since=None)
    assert soql.too_long_for_rest(query, "62.0")
    assert not soql.too_long_for_rest("SELECT Id FROM Lead", "62.0")


def stream(**extra: object) -> Stream:
    data: dict[str, object] = {
        "entity": "activities",
        "object": "Task",
        "fields": {
            "method": {"field": "TaskSubtype", "values": "m", "default": "other"},
            "occurred_at": {"field": "ActivityDate", "transform": "day_start"},
            "lead_id": {"field": "WhoId", "only_ids_of": "Lead"},
            "owner_id": "Owner.Id",
        },
    }
    data.update(extra)
    return Stream.model_validate(data)


def resolved_for(s: Stream) -> Resolved:
    resolved = Resolved(prefixes={"Lead": "00Q"})
    for path in s.crm_fields():
        resolved.paths[(s.object, path)] = path
    return resolved


def test_reader_keeps_records_as_sent_and_the_store_derives_them() -> None:
    s = stream(exclude={"Subject": ["Test"]}, require=["OwnerId"])
    resolved = resolved_for(s)
    reader = compile_reader(s, resolved, flat=False)
    base = {"SystemModstamp": "2024-05-01T00:00:00.000+0000", "TaskSubtype": None,
            "ActivityDate": "2024-04-30T23:30:00.000+0000", "WhoId": "003xx",
            "Owner": {"Id": "005a"}, "OwnerId": "005a", "Subject": "Call",
            "IsDeleted": False}  # fmt: skip
    records = [
        {**base, "Id": "1", "TaskSubtype": "Email"},
        {**base, "Id": "1", "TaskSubtype": "Call", "WhoId": "00Qyy"},  # same id: last wins
        {**base, "Id": "2", "IsDeleted": True},
        {**base, "Id": "3", "Subject": "Test"},
        {**base, "Id": "4", "OwnerId": None, "SystemModstamp": "2024-05-02T00:00:00.000+0000"},
        {**base, "Id": "5"},
    ]
    rows, high = reader.split(records)
    assert reader.fields == ["TaskSubtype", "ActivityDate", "WhoId", "Owner.Id", "Subject",
                             "OwnerId"]  # fmt: skip
    assert rows[0] == ["1", base["SystemModstamp"], False, "Call", base["ActivityDate"],
                       "00Qyy", "005a", "Call", "005a"]  # fmt: skip
    assert [(r[0], r[2]) for r in rows] == [("1", False), ("2", True), ("3", False),
                                            ("4", False), ("5", False)]  # fmt: skip
    assert high == "2024-05-02T00:00:00.000+0000"
    flat = compile_reader(s, resolved, flat=True)
    bulk = [{k.lower(): v for k, v in records[1].items() if k != "Owner"} | {"owner.id": "005a"}]
    assert flat.split(bulk)[0] == [rows[0]]
    mapping = SalesforceMapping.model_validate({"value_maps": {"m": {"Call": "phone"}},
                                                "streams": [s.model_dump()]})  # fmt: skip
    with Store(":memory:") as store:
        raw = raw_stream(store, source="sf", stream="activities:Task", entity="activities",
                         key="Id", cursor="SystemModstamp", fields=reader.fields)  # fmt: skip
        upsert_raw(store, raw, reader.fields, rows)
        result = derive(store, raw, derivation(s, mapping, resolved), ParseOptions())
        kept = store.fetch("SELECT id, method, occurred_at, lead_id, owner_id FROM activities")
    assert result.loaded == 2  # 2 deleted, 3 excluded, 4 without the required owner
    day = dt.datetime(2024, 4, 30)  # day_start: the date alone, read as midnight
    assert sorted(kept) == [("1", "phone", day, "00Qyy", "005a"),
                            ("5", "other", day, None, "005a")]  # fmt: skip


def test_mapping_rejects_unknown_fields_and_bad_value_maps() -> None:
    with pytest.raises(ValidationError) as err:
        SalesforceMapping.model_validate({
            "value_maps": {"m": {"Call": "telepathy"}},
            "streams": [{"entity": "activities", "object": "Task",
                         "fields": {"method": {"field": "T", "values": "m"}, "colour": "C"}}],
        })  # fmt: skip
    found = {".".join(map(str, e["loc"])): e["msg"] for e in err.value.errors()}
    assert found["value_maps.m.Call"].startswith("'telepathy' is not a contact method")
    assert found["streams.0.fields.colour"].startswith("colour is not a field of activities")
    assert found["streams.0.fields"] == "fields.occurred_at is required by activities"


def test_the_writer_mapping_refuses_standard_fields_and_names_only_figures() -> None:
    with pytest.raises(ValidationError, match="standard name Name is never written"):
        PushMapping.model_validate({"user_fields": {"total_revenue": "Name"}})
    with pytest.raises(ValidationError, match="'total_revenue' is not an account figure") as err:
        PushMapping.model_validate({"account_fields": {"total_revenue": "X__c"}})
    assert "no longer written on accounts" in str(err.value)
    with pytest.raises(ValidationError, match="account_scope is no longer used"):
        PushMapping.model_validate({"account_scope": "territory"})
    with pytest.raises(ValidationError, match="one value per contact_method"):
        PushMapping.model_validate({"user_fields": {"sales_by_contact_method": "M__c"}})
    with pytest.raises(ValidationError, match="longer than 40 characters"):
        PushMapping.model_validate({"user_fields": {"nps": "A_Rather_Long_Name_For_A_Field__c"}})
    with pytest.raises(ValidationError, match="username"):
        PushMapping.model_validate({"default_owner": "o'brien"})


def test_user_fields_carry_target_attainment_and_pace_beside_the_value() -> None:
    handed = {"field": "My_Revenue__c", "take_over": True}
    push = PushMapping.model_validate(
        {"user_fields": {"nps": "KPI_NPS__c", "total_revenue": handed}}
    )
    written = {name for sobject, name, _ in push.written() if sobject == "User"}
    assert written == {"KPI_NPS__c", "KPI_NPS_Target__c", "KPI_NPS_Attainment__c",
                       "My_Revenue__c", "My_Revenue_Target__c", "My_Revenue_Attainment__c",
                       "My_Revenue_Pace__c"}  # fmt: skip
    assert push.handed_over("User") == {"my_revenue__c"}
    assert push.handed_over("Account") == set()
    methods = {n for s, n, _ in push.written() if s == push.object and "Method" in n}
    assert "By_Contact_Method_In_Person_Attainment__c" in methods
    assert len(methods) == 8 * 3


def test_a_field_the_mapping_reads_is_never_written(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[2] / "mappings" / "salesforce.yaml").read_text()
    text = shipped.replace(
        "    revenue_this_year: KPI_Revenue_This_Year__c",
        "    revenue_this_year: Territory__c",
    )
    path = tmp_path / "salesforce.yaml"
    path.write_text(text)
    line = text.splitlines().index("    revenue_this_year: Territory__c") + 1
    with pytest.raises(ConfigError) as err:
        load_model(path, SalesforceMapping)
    assert err.value.messages == [
        f"salesforce.yaml:{line} push.account_fields.revenue_this_year: the writer never "
        "writes a field it reads: Account.Territory__c is read by streams[1] (accounts from "
        "Account)"
    ]


def test_the_shipped_mapping_loads() -> None:
    path = Path(__file__).parents[2] / "mappings" / "salesforce.yaml"
    mapping = load_model(path, SalesforceMapping)
    assert {s.object for s in mapping.streams} >= {"Lead", "Opportunity", "Task", "Event"}


def test_cursor_overlap_and_resume() -> None:
    overlap = dt.timedelta(minutes=5)
    assert StreamState().since(overlap) == (None, True)
    state = StreamState(cursor="2024-05-01T12:00:00.000+0000")
    assert state.since(overlap) == (dt.datetime(2024, 5, 1, 11, 55, tzinfo=dt.UTC), False)
    resumed = StreamState(cursor=None, resume="2024-05-01T12:00:00Z", resume_full=True)
    assert resumed.since(overlap) == (dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC), True)
    assert later("2024-05-01T12:00:00.000+0000", "2024-05-01T11:00:00Z").startswith("2024-05-01T12")


def test_the_next_pull_starts_at_the_settled_time_not_before_the_cursor() -> None:
    quiet = StreamState(cursor="2024-05-01T02:00:00.000+0000", settled="2024-05-01T11:55:00+00:00")
    saved = StreamState.from_saved(dict(quiet.__dict__))
    assert saved.since(dt.timedelta(minutes=5)) == (
        dt.datetime(2024, 5, 1, 11, 55, tzinfo=dt.UTC), False)  # fmt: skip


def kpi_store() -> Store:
    store = Store(":memory:")
    store.con.execute(RESULTS_DDL)
    store.con.execute("""INSERT INTO kpi_results BY NAME SELECT * FROM (VALUES
      ('total_revenue', 'month', '2024-05', DATE '2024-05-01', DATE '2024-05-31', 'company',
       NULL, NULL, NULL, 100.0, NULL, NULL, 90.0, 1.11, 10.0, NULL, now(), NULL),
      ('total_revenue', 'month', '2024-05', DATE '2024-05-01', DATE '2024-05-31', 'owner',
       '005A', NULL, NULL, 40.0, NULL, NULL, NULL, NULL, NULL, NULL, now(), NULL),
      ('total_revenue', 'month', '2024-05', DATE '2024-05-01', DATE '2024-05-31', 'company',
       NULL, 'product', 'p1', 60.0, NULL, NULL, NULL, NULL, NULL, NULL, now(), NULL))
      t(kpi, period_type, period, period_start, period_end, scope_type, scope_id,
        breakdown_type, breakdown_value, value, numerator, denominator, target, attainment,
        gap, note, computed_at, source)""")  # fmt: skip
    store.con.execute("INSERT INTO owners (source, id, active, is_deleted) VALUES "
                      "('sf', '005A', true, false)")  # fmt: skip
    return store


def test_diff_sends_new_values_then_only_changes() -> None:
    push = PushMapping(kpi_fields={"total_revenue": "Total_Revenue"})
    plan = push_plan(push, Wording("USD"))
    with kpi_store() as store:
        first, unchanged = changes(store, "sf", plan, 1e-9)
        by_field = {(c.key, c.field): c.new for c in first}
        assert by_field[("month|2024-05|company|-", "Total_Revenue__c")] == "100.0"
        assert by_field[("month|2024-05|company|-", "Total_Revenue_Target__c")] == "90.0"
        assert by_field[("month|2024-05|company|-", "Total_Revenue_Attainment__c")] == "111.0"
        assert by_field[("month|2024-05|owner|005A", "OwnerId")] == "005A"
        assert by_field[("month|2024-05|company|-", "OwnerId")] == (
            "default owner:integration user"
        )
        assert ("month|2024-05|owner|005A", "Total_Revenue_Target__c") not in by_field  # null
        assert unchanged == 0
        remember(store, "sf", first)
        assert changes(store, "sf", plan, 1e-9) == ([], 2)
        store.con.execute("UPDATE kpi_results SET value = 41 WHERE scope_id = '005A'")
        again, unchanged = changes(store, "sf", plan, 1e-9)
        assert [(c.field, c.old, c.new) for c in again] == [("Total_Revenue__c", "40.0", "41.0")]
        assert unchanged == 1


def test_fields_derive_their_type_scale_label_and_help_from_the_registry() -> None:
    wording = Wording("EUR", KpiSettings(churn_basis="start"))
    push = PushMapping(user_fields={"closing_ratio": "KPI_Closing_Ratio__c"},
                       account_fields={"customer_since": "Since__c"})  # fmt: skip
    fields = {(o, f.name): f for o, defs in writer_fields(push, wording).items() for f in defs}
    churn = fields[("Sales_KPI__c", "Churn_Rate__c")]
    assert (churn.type, churn.scale, churn.label) == ("Percent", 1, "Churn rate")
    assert "Counted over the customers at the start of the period" in churn.help
    meta = fields[("Sales_KPI__c", "Total_Revenue_Target__c")].metadata()
    assert (meta["type"], meta["precision"], meta["scale"]) == ("Currency", 18, 0)
    assert meta["label"] == "Total revenue target"
    assert meta["description"].startswith("Managed by crm-kpi: total_revenue.target")
    assert "In EUR." in meta["inlineHelpText"]
    cycle = fields[("Sales_KPI__c", "Avg_Sales_Cycle_Days__c")]
    assert (cycle.type, cycle.scale) == ("Number", 1)
    nps = fields[("Sales_KPI__c", "Nps__c")]
    assert (nps.type, nps.scale, nps.label) == ("Number", 0, "Net Promoter Score")
    user = fields[("User", "KPI_Closing_Ratio_Attainment__c")]
    assert (user.type, user.label) == ("Percent", "Sales closing ratio attainment (month)")
    assert user.help.endswith("This month so far; updated by every crm-kpi run.")
    assert fields[("Account", "Since__c")].type == "Date"
    assert fields[("Sales_KPI__c", "Scope_Name__c")].type == "Text"
    assert all(len(f.label) <= 40 and len(f.name) - 3 <= 40 for f in fields.values())


def test_the_cursor_of_an_unordered_bulk_page_is_its_highest_value() -> None:
    s = stream()
    reader = compile_reader(s, resolved_for(s), flat=True)
    stamps = ["2024-05-03T00:00:00.000Z", "2024-05-09T00:00:00.000Z", "2024-05-01T00:00:00.000Z"]
    page = [{"id": str(i), "systemmodstamp": t, "isdeleted": "false"} for i, t in enumerate(stamps)]
    rows, high = reader.split(page)
    assert high == "2024-05-09T00:00:00.000Z"
    assert [r[1] for r in rows] == stamps
