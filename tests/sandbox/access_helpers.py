"""Clients acting as the org's people (admin, manager, reps) for the access tests."""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce import Salesforce

from crm_sandbox import Sandbox


def as_user(sb: Sandbox, token: str) -> Salesforce:
    """simple-salesforce on the sandbox with one user's session."""
    s = requests.Session()
    s.verify, s.trust_env = sb.info["ca_file"], False
    return Salesforce(instance_url=sb.info["salesforce"]["instance_url"], session_id=token,
                      session=s, version="60.0")


def people(sb: Sandbox) -> dict[str, dict[str, Any]]:
    """The info file's admin (not the integration user), a manager and two of their
    reps."""
    users = sb.info["salesforce"]["users"]
    manager = next(u for u in users if (u["role"] or "").endswith("Manager")
                   and sum(1 for r in users if r["manager"] == u["username"]) >= 2)
    reps = [u for u in users if u["manager"] == manager["username"]]
    admin = next(u for u in users if u["profile"] == "System Administrator"
                 and u["username"] != sb.info["salesforce"]["username"])
    return {"admin": admin, "manager": manager, "rep": reps[0], "other": reps[1]}


def key(sb: Sandbox, user: dict[str, Any]) -> int:
    """The core key of a user of the info file."""
    return sb.org.keys("users", f"username = '{user['username']}'")[0]


def create_field(sf: Salesforce, full_name: str, kind: str = "Text", **meta: Any) -> None:
    """A custom field through the Tooling API, as setup would create it."""
    extra = {"length": 80} if kind == "Text" else {}
    sf.toolingexecute("sobjects/CustomField", method="POST", data={
        "FullName": full_name, "Metadata": {"label": full_name.split(".")[1][:-3],
                                            "type": kind, **extra, **meta}})


def fields(sf: Salesforce, sobject: str) -> set[str]:
    return {f["name"] for f in sf.restful(f"sobjects/{sobject}/describe")["fields"]}


def collection(sf: Salesforce, method: str, records: list[dict[str, Any]],
               all_or_none: bool = False) -> list[dict[str, Any]]:
    """One sObject Collections call; its per-record results."""
    res: list[dict[str, Any]] = sf.restful("composite/sobjects", method=method, json={
        "allOrNone": all_or_none, "records": records})
    return res


def error(result: dict[str, Any]) -> tuple[str, str]:
    """(statusCode, message) of a failed record's first error."""
    assert not result["success"], result
    err = result["errors"][0]
    return err["statusCode"], err["message"]
