"""The two CRMs of the fault matrix: a sandbox org, a config that runs against it, and
what a run leaves in the CRM (the state two runs must agree on)."""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from connector.store import Store
from crm_sandbox import Sandbox

SEED = 11
SCALE = 0.01
NOW = dt.datetime(2026, 6, 15, 12)  # one org clock for every sandbox: identical orgs
SECRET_ENV = "CRM_KPI_FAULTS_SECRET"
TOKEN_ENV = "CRM_KPI_FAULTS_TOKEN"
REFRESH_ENV = "CRM_KPI_FAULTS_REFRESH"
CLIENT_ENV = "CRM_KPI_FAULTS_CLIENT"
HTTP = {"initial_backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "max_attempts": 4,
        "timeout_seconds": 10}  # fmt: skip
ENTITIES = ("accounts", "leads", "opportunities", "activities", "line_items")


def secrets() -> list[str]:
    """The credentials the configs refer to (none may appear in any output)."""
    return [os.environ[e] for e in (TOKEN_ENV, SECRET_ENV, REFRESH_ENV) if os.environ.get(e)]


def hubspot_surface(sb: Sandbox) -> Any:
    """The sandbox's HubSpot surface."""
    return next(s for s in sb.app.surfaces if getattr(s, "name", "") == "hubspot")


@contextmanager
def org(crm: str, mp: pytest.MonkeyPatch, scale: float = SCALE) -> Iterator[Sandbox]:
    """A fresh sandbox org (same seed and clock: the same data every time)."""
    with Sandbox(seed=SEED, scale=scale, now=NOW) as sb:
        if crm == "hubspot":
            surface = hubspot_surface(sb)
            surface.limits.configure(per_ten_seconds=None, search_per_second=None)
            info = surface.info(sb.info["base_url"])
            mp.setenv(TOKEN_ENV, info["access_token"])
            mp.setenv(SECRET_ENV, info["client_secret"])
            mp.setenv(REFRESH_ENV, info["refresh_token"])
            mp.setenv(CLIENT_ENV, info["client_id"])
        else:
            mp.setenv(TOKEN_ENV, sb.info["salesforce"]["refresh_token"])
            mp.setenv(SECRET_ENV, sb.info["salesforce"]["client_secret"])
        yield sb


def _hubspot_auth(oauth: bool) -> dict[str, Any]:
    if not oauth:
        return {"method": "private_app", "access_token": "${" + TOKEN_ENV + "}"}
    return {"method": "oauth", "client_id": "${" + CLIENT_ENV + "}",
            "client_secret": "${" + SECRET_ENV + "}", "refresh_token": "${" + REFRESH_ENV + "}"}


def source(
    crm: str, sb: Sandbox, oauth: bool = False, pull: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The source section of a config for this sandbox (HubSpot: a private app or OAuth)."""
    if crm == "hubspot":
        info = hubspot_surface(sb).info(sb.info["base_url"])
        return {"name": "hubspot", "type": "hubspot", "host": info["host"],
                "ca_file": sb.info["ca_file"],
                "auth": _hubspot_auth(oauth),
                "limits": {"requests_per_window": 10_000, "search_requests_per_second": 1_000},
                "http": HTTP, "pull": pull or {}, "push": {"enabled": True}}  # fmt: skip
    info = sb.info["salesforce"]
    return {"name": "salesforce", "type": "salesforce", "login_url": info["login_url"],
            "ca_file": sb.info["ca_file"],
            "auth": {"method": "refresh_token", "client_id": info["client_id"],
                     "client_secret": "${" + SECRET_ENV + "}",
                     "refresh_token": "${" + TOKEN_ENV + "}"},
            "http": HTTP, "pull": {"bulk_poll_seconds": 0, "bulk_threshold": 300, **(pull or {})},
            "push": {"enabled": True, "deploy_poll_seconds": 0}}  # fmt: skip


def write_config(
    crm: str, sb: Sandbox, folder: Path, oauth: bool = False, pull: dict[str, Any] | None = None
) -> Path:
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({
        "reporting": {"currency": "USD", "timezone": "UTC"},
        "store": {"path": str(folder / "store.duckdb")},
        "sources": [source(crm, sb, oauth, pull)],
    }))  # fmt: skip
    return path


_AS_OF_COLUMNS = {"cf_as_of__c", "cf_kpi_as_of__c", "p_as_of"}


def _written_tables(sb: Sandbox) -> list[tuple[str, list[str], bool]]:
    """Org tables holding what the connector writes: their custom field (`cf_`) and
    custom property (`p_`) columns, and whether rows can be deleted."""
    columns = (
        sb.org.cursor()
        .execute(
            "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
            "GROUP BY table_name ORDER BY table_name"
        )
        .fetchall()
    )
    found = []
    for table, cols in columns:
        if table in _ACCESS_TABLES:  # p_ columns that are rights: compared by `access`
            continue
        # "as of" fields hold when each run computed the figures: two runs differ there
        custom = [c for c in cols if c.startswith(("cf_", "p_")) and c not in _AS_OF_COLUMNS]
        if custom:
            found.append((table, custom, "is_deleted" in cols))
    return found


def _value(v: Any) -> Any:
    # The same sums may add up in another order: compare numbers to 12 significant digits.
    if isinstance(v, float) and math.isfinite(v) and v != 0:
        return round(v, 11 - math.floor(math.log10(abs(v))))
    return v


def crm_state(sb: Sandbox) -> dict[str, list[tuple[Any, ...]]]:
    """Every live row's custom values per table, sorted; rows the connector creates (KPI
    records) without their key, so that creation order does not matter."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    cur = sb.org.cursor()
    for table, custom, deletable in _written_tables(sb):
        created = table.startswith("hs_custom_") or table.endswith("__c")
        keep = custom + ([] if created else ["n"])
        where = "WHERE NOT is_deleted" if deletable else ""
        rows = cur.execute(f"SELECT {', '.join(keep)} FROM {table} {where}").fetchall()
        state[table] = sorted((tuple(_value(v) for v in r) for r in rows), key=repr)
    if _has(sb, "sf_permission_sets"):
        state["access"] = _access(sb)
    return state


_ACCESS_TABLES = {"sf_object_perms", "sf_field_perms"}
# What setup grants in Salesforce, by name (the sandbox's own keys depend on the order in
# which a faulted setup and its rerun created them): permission sets' object and field
# rights, their assignments, and sharing rules.
_ACCESS_QUERIES = (
    "SELECT ps.name, o.sobject_type, o.p_read, o.p_create, o.p_edit, o.p_delete, "
    "o.p_view_all, o.p_modify_all FROM sf_object_perms o "
    "JOIN sf_permission_sets ps ON ps.n = o.parent_n WHERE ps.profile_n IS NULL",
    "SELECT ps.name, f.sobject_type, f.field, f.p_read, f.p_edit FROM sf_field_perms f "
    "JOIN sf_permission_sets ps ON ps.n = f.parent_n WHERE ps.profile_n IS NULL",
    "SELECT ps.name, a.assignee_n FROM sf_ps_assignments a "
    "JOIN sf_permission_sets ps ON ps.n = a.permission_set_n WHERE ps.profile_n IS NULL",
    "SELECT object, developer_name, criteria, shared_kind, shared_n, access "
    "FROM sf_sharing_rules",
)


def _has(sb: Sandbox, table: str) -> bool:
    return sb.org.cursor().execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone() == (1,)


def _access(sb: Sandbox) -> list[tuple[Any, ...]]:
    cur = sb.org.cursor()
    rows = [(i, *r) for i, q in enumerate(_ACCESS_QUERIES) for r in cur.execute(q).fetchall()]
    return sorted(rows, key=repr)


def kpi_keys(sb: Sandbox) -> list[str]:
    """The KPI records' keys in the CRM (live rows)."""
    cur = sb.org.cursor()
    for table, custom, _ in _written_tables(sb):
        for key in {"cf_kpi_key__c", "p_kpi_key"} & set(custom):
            sql = f"SELECT {key} FROM {table} WHERE NOT is_deleted"
            return [r[0] for r in cur.execute(sql).fetchall()]
    return []


def unread(config: Path, crm: str, sb: Sandbox) -> dict[str, tuple[int, int]]:
    """Entities whose live count in the store differs from the org's: (store, org)."""
    with Store(config.parent / "store.duckdb") as store:
        counts = {
            e: (store.count(e, source=crm), sb.org.count(e)) for e in ENTITIES if store.has_table(e)
        }
    return {e: c for e, c in counts.items() if c[0] != c[1]}
