"""A small sandbox shared by the module's tests, and clients bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from crm_sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=7, scale=0.05) as sb:
        yield sb


def session_for(sb: Sandbox) -> requests.Session:
    s = requests.Session()
    s.verify = sb.info["ca_file"]
    s.trust_env = False
    return s


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[requests.Session]:
    s = session_for(sandbox)
    yield s
    s.close()


@pytest.fixture
def sf(sandbox: Sandbox, http: requests.Session) -> Salesforce:
    info = sandbox.info["salesforce"]
    return Salesforce(instance_url=info["instance_url"], session_id=info["access_token"],
                      session=http, version="60.0")


@pytest.fixture(autouse=True)
def no_faults(sandbox: Sandbox) -> Iterator[None]:
    yield
    sandbox.faults.clear()


def api(sb: Sandbox, path: str) -> str:
    return f"{sb.info['salesforce']['instance_url']}/services/data/v60.0/{path}"


def auth(sb: Sandbox) -> dict[str, Any]:
    return {"Authorization": f"Bearer {sb.info['salesforce']['access_token']}"}


def used(sb: Sandbox) -> int:
    """API calls the Salesforce org has counted so far."""
    return sb.salesforce.ctx.usage.snapshot()[0]


@pytest.fixture
def stats(sandbox: Sandbox) -> Sandbox:
    """The sandbox with its call statistics reset."""
    sandbox.reset_stats()
    return sandbox


def grant_fields(sf: Salesforce, *fields: str, edit: bool = True,
                 profile: str = "System Administrator") -> None:
    """Field-level security on new fields for a profile, as an admin grants it after a
    Tooling API deploy (fields created by the API get none): FieldPermissions rows on
    the permission set the profile owns, through sObject Collections."""
    ps = sf.query(f"SELECT Id FROM PermissionSet WHERE Profile.Name = '{profile}'")[
        "records"][0]["Id"]
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": [
        {"attributes": {"type": "FieldPermissions"}, "ParentId": ps,
         "SobjectType": f.split(".")[0], "Field": f, "PermissionsRead": True,
         "PermissionsEdit": edit} for f in fields]})
    assert all(r["success"] for r in res), res
