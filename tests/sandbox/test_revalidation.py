"""Describe revalidation: Last-Modified / ETag, 304 while metadata is unchanged."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError

from crm_sandbox import Sandbox

from .conftest import api, auth, grant_fields

pytestmark = pytest.mark.e2e


def get(sandbox: Sandbox, http: requests.Session, path: str,
        **headers: str) -> requests.Response:
    return http.get(api(sandbox, path), headers={**auth(sandbox), **headers}, timeout=30)


def usage(r: requests.Response) -> int:
    return int(r.headers["Sforce-Limit-Info"].split("=")[1].split("/")[0])


def add_field(sf: Salesforce, name: str) -> None:
    sf.toolingexecute("sobjects/CustomField", method="POST", data={
        "FullName": f"Lead.{name}", "Metadata": {"label": name[:-3], "type": "Text",
                                                 "length": 40}})
    grant_fields(sf, f"Lead.{name}")


@pytest.mark.parametrize("path", ["sobjects/Lead/describe", "sobjects/"])
def test_unchanged_metadata_answers_304(sandbox: Sandbox, http: requests.Session,
                                        path: str) -> None:
    first = get(sandbox, http, path)
    assert first.status_code == 200
    assert first.json()
    stamp = first.headers["Last-Modified"]
    assert stamp.endswith(" GMT")
    assert parsedate_to_datetime(stamp)
    again = get(sandbox, http, path, **{"If-Modified-Since": stamp})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]
    assert usage(again) == usage(first) + 1  # a 304 is an API request like any other
    tagged = get(sandbox, http, path, **{"If-None-Match": first.headers["ETag"]})
    assert tagged.status_code == 304
    older = parsedate_to_datetime(stamp) - dt.timedelta(seconds=1)
    assert get(sandbox, http, path, **{
        "If-Modified-Since": older.strftime("%a, %d %b %Y %H:%M:%S GMT")}).status_code == 200
    assert get(sandbox, http, path, **{"If-None-Match": '"other"'}).status_code == 200
    assert get(sandbox, http, path, **{"If-Modified-Since": "yesterday"}).status_code == 200


def test_a_new_field_invalidates_describe(sf: Salesforce, sandbox: Sandbox,
                                          http: requests.Session) -> None:
    lead = get(sandbox, http, "sobjects/Lead/describe")
    account = get(sandbox, http, "sobjects/Account/describe")
    every = get(sandbox, http, "sobjects/")
    sandbox.org.advance_clock(dt.timedelta(seconds=5))
    add_field(sf, "Revalidated__c")
    changed = get(sandbox, http, "sobjects/Lead/describe",
                  **{"If-Modified-Since": lead.headers["Last-Modified"]})
    assert changed.status_code == 200
    assert "Revalidated__c" in {f["name"] for f in changed.json()["fields"]}
    assert changed.headers["Last-Modified"] != lead.headers["Last-Modified"]
    assert get(sandbox, http, "sobjects/Lead/describe",
               **{"If-None-Match": lead.headers["ETag"]}).status_code == 200
    assert get(sandbox, http, "sobjects/Account/describe", **{
        "If-Modified-Since": account.headers["Last-Modified"]}).status_code == 304
    assert get(sandbox, http, "sobjects/", **{
        "If-Modified-Since": every.headers["Last-Modified"]}).status_code == 200


def test_simple_salesforce_raises_on_304(sf: Salesforce, sandbox: Sandbox,
                                         http: requests.Session) -> None:
    """simple-salesforce treats every status >= 300 as an error: a connector revalidating
    through it catches SalesforceGeneralError with status 304 (or uses sf.session)."""
    stamp = get(sandbox, http, "sobjects/Account/describe").headers["Last-Modified"]
    with pytest.raises(SalesforceGeneralError) as err:
        sf.Account.describe(headers={"If-Modified-Since": stamp})
    assert err.value.status == 304
    assert sf.Account.describe()["name"] == "Account"
