"""Helpers for the Salesforce tests: configs, sources and writers on a sandbox org."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from simple_salesforce.api import Salesforce

from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.mapping import PushMapping, load_mapping
from connector.crms.salesforce.read import SalesforceSource
from connector.crms.salesforce.write import SalesforceWriter
from connector.kpi.engine import compute
from connector.presentation import Wording
from connector.settings import KpiSettings, Reporting
from connector.store import Store
from crm_sandbox import Sandbox

REPORTING = Reporting(currency="USD", timezone="UTC")
WORDING = Wording("USD")
FAST_HTTP = {"initial_backoff_seconds": 0.01, "max_backoff_seconds": 2.0, "timeout_seconds": 5}
RETRY_FAST = {"initial_backoff_seconds": 0.01}  # config_yaml's http section (JSON is YAML)


def make_config(sb: Sandbox, **overrides: Any) -> SalesforceConfig:
    """A JWT config for a running sandbox; `overrides` replace top-level sections."""
    info = sb.info["salesforce"]
    data: dict[str, Any] = {
        "name": "sf",
        "type": "salesforce",
        "login_url": info["login_url"],
        "ca_file": sb.info["ca_file"],
        "auth": {
            "method": "jwt",
            "consumer_key": info["consumer_key"],
            "username": info["username"],
            "private_key_file": info["jwt_private_key_file"],
        },
        "http": FAST_HTTP,
        "pull": {"bulk_poll_seconds": 0},
        "push": {"enabled": True, "deploy_poll_seconds": 0},
    }
    data.update(overrides)
    return SalesforceConfig.model_validate(data)


def make_source(sb: Sandbox, **overrides: Any) -> SalesforceSource:
    config = make_config(sb, **overrides)
    return SalesforceSource("sf", config, load_mapping(config.mapping_path), "UTC")


def make_writer(
    sb: Sandbox, mapping: PushMapping | None = None, wording: Wording = WORDING, **overrides: Any
) -> SalesforceWriter:
    """A writer of the shipped mapping's `push:` (or of `mapping`) on a sandbox org;
    `overrides` replace sections of the source's config (`push={"enabled": False}`)."""
    config = make_config(sb, **overrides)
    return SalesforceWriter("sf", config, mapping or load_mapping(config.mapping_path).push,
                            wording)  # fmt: skip


def config_yaml(
    sb: Sandbox, folder: Path, *, mapping: Path | None = None, push: bool = True,
    extra: str = "", secret_env: str | None = None, http: Mapping[str, float] = RETRY_FAST,
) -> Path:
    """config.yaml of one `salesforce` source on the sandbox (refresh token in the env
    var SF_REFRESH_TOKEN, the client secret in `secret_env` if given), its store in
    `folder`; `http` is the source's http section; `extra` is appended as written."""
    info = sb.info["salesforce"]
    mapping_line = f"    mapping: {mapping}\n" if mapping else ""
    secret_line = f"      client_secret: ${{{secret_env}}}\n" if secret_env else ""
    path = folder / "config.yaml"
    path.write_text(
        f"""reporting: {{currency: USD, timezone: UTC}}
store: {{path: store.duckdb}}
sources:
  - name: salesforce
    type: salesforce
    login_url: {info["login_url"]}
    ca_file: {sb.info["ca_file"]}
{mapping_line}    auth:
      method: refresh_token
      client_id: {info["client_id"]}
{secret_line}      refresh_token: ${{SF_REFRESH_TOKEN}}
    http: {json.dumps(dict(http))}
    pull: {{bulk_poll_seconds: 0}}
    push: {{enabled: {str(push).lower()}, deploy_poll_seconds: 0}}
{extra}"""
    )
    return path


def compute_kpis(store: Store) -> None:
    compute(store, REPORTING, KpiSettings())


def user_of(sb: Sandbox, username: str) -> dict[str, Any]:
    """A person of the sandbox org (info `salesforce.users`): their id, role and session."""
    return next(u for u in sb.info["salesforce"]["users"] if u["username"] == username)


def as_user(sb: Sandbox, username: str) -> Salesforce:
    """simple-salesforce acting as one person of the org, with their own session."""
    session = requests.Session()
    session.verify = sb.info["ca_file"]
    session.trust_env = False
    info = sb.info["salesforce"]
    return Salesforce(instance_url=info["instance_url"], version="62.0", session=session,
                      session_id=user_of(sb, username)["access_token"])  # fmt: skip


def grant_fields(sb: Sandbox, fields: list[str], objects: tuple[str, ...] = ()) -> None:
    """What an admin does for fields made through an API (which get no field-level
    security): a permission set with Read and Edit on them (and all rights on `objects`),
    assigned to the integration user."""
    with make_source(sb).transport() as api:
        made = api.restful("sobjects/PermissionSet", "POST", {
            "Name": f"Admin_Grant_{len(fields)}_{abs(hash(tuple(fields))) % 10_000}",
            "Label": "Granted by an admin"})  # fmt: skip
        parent = made["id"]
        rights = [{"attributes": {"type": "FieldPermissions"}, "ParentId": parent,
                   "SobjectType": f.split(".")[0], "Field": f, "PermissionsRead": True,
                   "PermissionsEdit": True} for f in fields]  # fmt: skip
        rights += [{"attributes": {"type": "ObjectPermissions"}, "ParentId": parent,
                    "SobjectType": o, "PermissionsRead": True, "PermissionsCreate": True,
                    "PermissionsEdit": True, "PermissionsDelete": True,
                    "PermissionsViewAllRecords": True, "PermissionsModifyAllRecords": True}
                   for o in objects]  # fmt: skip
        answers = api.restful("composite/sobjects", "POST", {"allOrNone": True,
                                                            "records": rights})  # fmt: skip
        assert all(a["success"] for a in answers), answers
        api.restful("sobjects/PermissionSetAssignment", "POST", {
            "AssigneeId": sb.info["salesforce"]["user_id"], "PermissionSetId": parent})
