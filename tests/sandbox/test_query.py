"""REST query, queryAll, SOQL operators and errors, describe, limits."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id
from crm_sandbox.server import Handler

from .conftest import api, auth

pytestmark = pytest.mark.e2e


def test_paging_follows_relative_next_records_url(sf: Salesforce, sandbox: Sandbox) -> None:
    first = sf.query("SELECT Id FROM Task")
    assert first["done"] is False
    assert len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/01g")
    ids = [r["Id"] for r in sf.query_all_iter("SELECT Id FROM Task")]
    expected = sandbox.org.count("activities", "NOT is_deleted AND kind = 'task'")
    assert len(ids) == len(set(ids)) == expected == first["totalSize"]


def test_query_all_includes_deleted_rows(sf: Salesforce, sandbox: Sandbox) -> None:
    live = sf.query("SELECT COUNT() FROM Lead")["totalSize"]
    every = sf.query_all("SELECT Id, IsDeleted FROM Lead WHERE IsDeleted = true",
                         include_deleted=True)
    assert every["totalSize"] == sandbox.org.count("leads", "is_deleted") > 0
    assert all(r["IsDeleted"] for r in every["records"])
    assert live == sandbox.org.count("leads")


def test_parent_relationships_and_shapes(sf: Salesforce) -> None:
    rec = sf.query("SELECT Id, Amount, CloseDate, CreatedDate, IsWon, Owner.Name, "
                   "Owner.UserRole.Name, Account.Industry FROM Opportunity "
                   "WHERE Account.Industry != null AND Amount != null LIMIT 1")["records"][0]
    assert rec["attributes"]["type"] == "Opportunity"
    assert len(rec["Id"]) == 18
    assert rec["Id"].startswith("006")
    assert isinstance(rec["Amount"], float)
    assert isinstance(rec["IsWon"], bool)
    assert len(rec["CloseDate"]) == 10
    assert rec["CreatedDate"].endswith(".000+0000")
    assert rec["Owner"]["attributes"]["type"] == "User"
    assert rec["Owner"]["Name"]
    assert rec["Owner"]["UserRole"]["Name"]


@pytest.mark.parametrize(("where", "check"), [
    ("StageName = 'closed won'", lambda r: r["StageName"] == "Closed Won"),
    ("StageName IN ('Closed Won', 'Closed Lost')", lambda r: r["IsClosed"]),
    ("StageName NOT IN ('Closed Won', 'Closed Lost')", lambda r: not r["IsClosed"]
     or r["StageName"] == "Closed - Legacy"),
    ("Amount >= 10000 AND Amount < 20000", lambda r: 10000 <= r["Amount"] < 20000),
    ("(Amount <= 100 OR Amount > 50000) AND NOT IsWon = true",
     lambda r: (r["Amount"] <= 100 or r["Amount"] > 50000) and not r["IsWon"]),
    ("Name LIKE 'Deal 1%'", lambda r: r["Name"].startswith("Deal 1")),
    ("Amount = null", lambda r: r["Amount"] is None),
    ("CloseDate > 2025-01-01 AND CreatedDate < 2026-01-01T00:00:00Z",
     lambda r: r["CloseDate"] > "2025-01-01" and r["CreatedDate"] < "2026"),
    ("CreatedDate = LAST_N_DAYS:400", lambda r: r["CreatedDate"] >= "2025"),
])
def test_soql_operators(sf: Salesforce, where: str, check: object) -> None:
    recs = sf.query_all(f"SELECT Id, Name, StageName, IsClosed, IsWon, Amount, CloseDate, "
                        f"CreatedDate FROM Opportunity WHERE {where}")["records"]
    assert recs
    assert all(check(r) for r in recs)  # type: ignore[operator]


def test_order_by_limit_offset(sf: Salesforce) -> None:
    recs = sf.query("SELECT Id, Amount FROM Opportunity WHERE Amount != null "
                    "ORDER BY Amount DESC, Id ASC LIMIT 5 OFFSET 2")["records"]
    top = sf.query("SELECT Id, Amount FROM Opportunity WHERE Amount != null "
                   "ORDER BY Amount DESC, Id LIMIT 7")["records"]
    assert [r["Id"] for r in recs] == [r["Id"] for r in top[2:]]
    nulls = sf.query("SELECT Id, Amount FROM Opportunity ORDER BY Amount ASC NULLS FIRST "
                     "LIMIT 1")["records"]
    assert nulls[0]["Amount"] is None


@pytest.mark.parametrize(("soql", "code"), [
    ("SELECT Id FORM Account", "MALFORMED_QUERY"),
    ("SELECT Nope FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
    ("SELECT Id FROM Opportunity WHERE Amount = 'x'", "INVALID_FIELD"),
    ("SELECT Id FROM Account WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR"),
])
def test_soql_errors(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query(soql)
    assert err.value.content[0]["errorCode"] == code
    assert "message" in err.value.content[0]


def test_uri_length_limit(sandbox: Sandbox, http: requests.Session) -> None:
    fields = ", ".join(["Name"] * 3000)
    r = http.get(api(sandbox, "query/"), params={"q": f"SELECT {fields} FROM Account"},
                 headers=auth(sandbox), timeout=30)
    assert r.status_code == 414


def test_describe_and_global(sf: Salesforce) -> None:
    d = sf.Opportunity.describe()
    fields = {f["name"]: f for f in d["fields"]}
    assert d["keyPrefix"] == "006"
    assert fields["StageName"]["type"] == "picklist"
    assert {"active": True, "value": "Closed Won"}.items() <= fields["StageName"][
        "picklistValues"][-2].items()
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    assert fields["Cost__c"]["custom"]
    assert not fields["IsWon"]["updateable"]
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Lead", "Task", "Event", "CurrencyType", "DatedConversionRate"} <= names


def test_get_deleted_and_updated(sf: Salesforce, sandbox: Sandbox) -> None:
    import datetime as dt

    now = sandbox.clock.now().replace(tzinfo=dt.UTC)
    start = now - dt.timedelta(days=20)
    deleted = sf.Lead.deleted(start, now)
    assert len(deleted["deletedRecords"]) == sandbox.org.count(
        "leads", f"is_deleted AND deleted_at >= TIMESTAMP '{start:%Y-%m-%d %H:%M}' "
        f"AND deleted_at < TIMESTAMP '{now:%Y-%m-%d %H:%M}'") > 0
    keys = sandbox.org.keys("accounts", limit=3)
    sandbox.org.advance_clock(dt.timedelta(minutes=2))
    stamp = sandbox.org.touch("accounts", keys).replace(tzinfo=dt.UTC)
    sandbox.org.advance_clock(dt.timedelta(minutes=2))
    updated = sf.Account.updated(stamp - dt.timedelta(minutes=1), stamp + dt.timedelta(minutes=2))
    assert sorted(updated["ids"]) == sorted(sf_id("001", k) for k in keys)


def test_small_answers_go_out_at_once_on_one_kept_alive_connection(
    sandbox: Sandbox, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many small calls reuse one connection, whose socket has Nagle's algorithm off (a
    delayed-ACK stall would cost ~40 ms a call): checked on the socket, not timed."""
    nodelay: list[int] = []
    setup = Handler.setup

    def recording_setup(self: Handler) -> None:
        setup(self)
        nodelay.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(Handler, "setup", recording_setup)
    http.close()  # the next call opens a connection the recording sees
    for _ in range(50):
        http.get(api(sandbox, "limits"), headers=auth(sandbox), timeout=10).raise_for_status()
    assert len(nodelay) == 1, "one kept-alive connection"
    assert nodelay[0] != 0


def test_an_eleventh_open_cursor_releases_the_oldest(sf: Salesforce) -> None:
    opened = [sf.query(f"SELECT Id FROM Task WHERE Subject != 'none {n}'") for n in range(11)]
    assert all(not page["done"] for page in opened)
    with pytest.raises(SalesforceMalformedRequest, match="INVALID_QUERY_LOCATOR"):
        sf.query_more(opened[0]["nextRecordsUrl"], identifier_is_url=True)
    assert len(sf.query_more(opened[1]["nextRecordsUrl"], identifier_is_url=True)["records"])


def test_a_cursor_read_to_the_end_no_longer_counts(sf: Salesforce) -> None:
    kept = sf.query("SELECT Id FROM Task")
    for n in range(10):  # each read to its end before the next opens
        list(sf.query_all_iter(f"SELECT Id FROM Task WHERE Subject != 'none {n}'"))
    assert len(sf.query_more(kept["nextRecordsUrl"], identifier_is_url=True)["records"])


def test_a_cursor_idle_for_15_minutes_expires(sf: Salesforce, sandbox: Sandbox) -> None:
    first = sf.query("SELECT Id FROM Task")
    sandbox.org.advance_clock(dt.timedelta(minutes=14))
    assert sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)["records"]
    sandbox.org.advance_clock(dt.timedelta(minutes=16))
    with pytest.raises(SalesforceMalformedRequest, match="INVALID_QUERY_LOCATOR"):
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
