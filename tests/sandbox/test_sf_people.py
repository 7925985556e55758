"""The org's people: who the info file lists, a session for every active user through each
OAuth flow, the role hierarchy and profiles as sObjects, and an integration user on a
least-privilege profile."""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox import Sandbox
from crm_sandbox.cli import add_arguments, serve

from .access_helpers import as_user, people

pytestmark = pytest.mark.e2e
API_ONLY = "Minimum Access - API Only Integrations"


def token(sb: Sandbox, http: requests.Session, **form: str) -> requests.Response:
    return http.post(sb.info["salesforce"]["login_url"] + "/services/oauth2/token",
                     data=form, timeout=10)


def test_info_lists_the_people_with_a_session_each(sandbox: Sandbox) -> None:
    info = sandbox.info["salesforce"]
    assert {"access_token", "username", "password", "security_token", "refresh_token",
            "user_id", "org_id", "client_id"} <= set(info)  # the integration user's, as ever
    p = people(sandbox)
    for person in p.values():
        assert {"username", "email", "name", "user_id", "role", "profile", "manager",
                "access_token"} <= set(person)
    assert p["rep"]["manager"] == p["other"]["manager"] == p["manager"]["username"]
    assert p["manager"]["role"] == f"{p['rep']['role']} Manager"
    assert p["admin"]["profile"] == "System Administrator"
    assert p["rep"]["profile"] == "Standard User"
    integration = next(u for u in info["users"] if u["username"] == info["username"])
    assert integration["access_token"] == info["access_token"]
    me = as_user(sandbox, p["rep"]["access_token"]).query(
        f"SELECT Id, Profile.Name, Manager.Username, UserRole.Name, UserRole.ParentRoleId "
        f"FROM User WHERE Id = '{p['rep']['user_id']}'")["records"][0]
    assert me["Profile"]["Name"] == "Standard User"
    assert me["Manager"]["Username"] == p["manager"]["username"]


def test_the_role_hierarchy_and_its_groups(sandbox: Sandbox) -> None:
    admin = as_user(sandbox, sandbox.info["salesforce"]["access_token"])
    roles = {r["Id"]: r for r in admin.query_all(
        "SELECT Id, Name, DeveloperName, ParentRoleId FROM UserRole")["records"]}
    top = [r for r in roles.values() if r["ParentRoleId"] is None]
    assert [r["Name"] for r in top] == ["SVP, Sales"]
    managers = [r for r in roles.values() if r["ParentRoleId"] == top[0]["Id"]]
    assert managers
    assert all(r["Name"].endswith(" Manager") for r in managers)
    reps = [r for r in roles.values() if r["ParentRoleId"] in {m["Id"] for m in managers}]
    assert len(reps) == len(managers)
    groups = admin.query_all("SELECT Type, DeveloperName, RelatedId FROM Group")["records"]
    assert {"Type": "Organization", "DeveloperName": "AllInternalUsers", "RelatedId": None} in [
        {k: g[k] for k in ("Type", "DeveloperName", "RelatedId")} for g in groups]
    assert {g["RelatedId"] for g in groups if g["Type"] == "RoleAndSubordinates"} == set(roles)


def test_every_user_logs_in_with_each_flow(sandbox: Sandbox, http: requests.Session) -> None:
    info, rep = sandbox.info["salesforce"], people(sandbox)["rep"]
    with open(info["jwt_private_key_file"], "rb") as fh:
        key = fh.read()
    assertion = jwt.encode({"iss": info["consumer_key"], "sub": rep["username"],
                            "aud": info["login_url"], "exp": int(time.time()) + 180},
                           key, algorithm="RS256")
    answers = [
        token(sandbox, http, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
              assertion=assertion),
        token(sandbox, http, grant_type="password", client_id=info["client_id"],
              client_secret=info["client_secret"], username=rep["username"],
              password=rep["password"] + rep["security_token"]),
        token(sandbox, http, grant_type="refresh_token", client_id=info["client_id"],
              refresh_token=rep["refresh_token"]),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["id"].endswith(f"/{rep['user_id']}")
        sf = as_user(sandbox, body["access_token"])
        assert sandbox.salesforce.ctx.access.user_of(body["access_token"]) == rep["user_id"]
        assert sf.query("SELECT COUNT() FROM Opportunity")["totalSize"] < sandbox.org.count(
            "opportunities")
    wrong = token(sandbox, http, grant_type="password", client_id=info["client_id"],
                  client_secret=info["client_secret"], username=rep["username"],
                  password=info["password"] + info["security_token"])
    assert wrong.json()["error"] == "invalid_grant"


@pytest.fixture(scope="module")
def least(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(seed=3, scale=0.02, integration_profile=API_ONLY) as sb:
        yield sb


def test_a_least_privilege_integration_user_meets_what_it_is_not_granted(
        least: Sandbox) -> None:
    info = least.info["salesforce"]
    bot = as_user(least, info["access_token"])
    assert next(u for u in info["users"] if u["username"] == info["username"])[
        "profile"] == API_ONLY
    names = {o["name"] for o in bot.describe()["sobjects"]}
    assert "Opportunity" not in names
    assert "User" in names
    with pytest.raises(SalesforceMalformedRequest) as err:
        bot.query("SELECT Id, Amount FROM Opportunity")
    assert err.value.content[0]["errorCode"] == "INVALID_TYPE"
    admin = as_user(least, next(u for u in info["users"]
                                if u["profile"] == "System Administrator")["access_token"])
    ps = admin.PermissionSet.create({"Name": "KPI_Reader", "Label": "KPI Reader"})["id"]
    admin.ObjectPermissions.create({"ParentId": ps, "SobjectType": "Opportunity",
                                    "PermissionsRead": True, "PermissionsViewAllRecords": True})
    admin.FieldPermissions.create({"ParentId": ps, "SobjectType": "Opportunity",
                                   "Field": "Opportunity.Amount", "PermissionsRead": True})
    admin.PermissionSetAssignment.create({"AssigneeId": info["user_id"], "PermissionSetId": ps})
    assert bot.query("SELECT COUNT() FROM Opportunity")["totalSize"] == least.org.count(
        "opportunities")
    assert bot.query("SELECT Amount FROM Opportunity LIMIT 1")["records"]
    with pytest.raises(SalesforceMalformedRequest):
        bot.query("SELECT Cost__c FROM Opportunity")


def test_cli_starts_the_integration_user_on_the_profile_asked(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--scale", "0.02", "--info-file", str(tmp_path / "info.json"),
                              "--integration-profile", API_ONLY])
    stop = threading.Event()
    serving = threading.Thread(target=serve, args=(args, [], stop))
    serving.start()
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "info.json").exists():
            assert serving.is_alive()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        info: dict[str, Any] = json.loads((tmp_path / "info.json").read_text())["salesforce"]
        profiles = {u["username"]: u["profile"] for u in info["users"]}
        assert profiles[info["username"]] == API_ONLY
    finally:
        stop.set()
        serving.join(timeout=60)
    with pytest.raises(SystemExit):
        parser.parse_args(["--integration-profile", "Boss"])
