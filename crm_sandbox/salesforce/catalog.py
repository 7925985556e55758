"""The org's setup metadata: what Metadata API deploys and the Analytics API made.

Definitions are kept by (metadata type, full name) for later deploys to check references
against and update; the rows real orgs expose are kept in tables so that SOQL finds them:
Tooling's `LightningComponentBundle`, `LightningComponentResource`, `FlexiPage` and
`CustomTab` (Tooling API Developer Guide, each object's page) and REST's `Folder`,
`Report`, `Dashboard` and `ListView` (Object Reference). Reports and dashboards live in
folders: a report's folder is a Folder row, or the owner's private folder (`folder_n`
null, `owner_n` the user).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..ids import parse_sf_id, sf_id
from ..org import Org
from ..org.tables import COMMON
from .model import OBJECT_PREFIX, Registry, SField, SObject, base_fields, ref

Meta = dict[str, Any]
PRIVATE_FOLDER = "Private Reports"
RECENT = 200  # "A list of up to 200 recently viewed reports can be returned"
TABLES = {
    "sf_md_bundles": "developer_name VARCHAR, master_label VARCHAR, api_version DOUBLE, "
                  "description VARCHAR, is_exposed BOOLEAN, target_configs VARCHAR",
    "sf_md_resources": "bundle_n BIGINT, file_path VARCHAR, format VARCHAR, source VARCHAR",
    "sf_md_flexipages": "developer_name VARCHAR, master_label VARCHAR, page_type VARCHAR, "
                     "entity VARCHAR, description VARCHAR",
    "sf_md_tabs": "developer_name VARCHAR, master_label VARCHAR, tab_type VARCHAR, "
               "sobject_name VARCHAR, motif VARCHAR, description VARCHAR",
    "sf_md_folders": "developer_name VARCHAR, name VARCHAR, folder_type VARCHAR, "
                  "access_type VARCHAR",
    "sf_md_reports": "developer_name VARCHAR, name VARCHAR, folder_n BIGINT, owner_n BIGINT, "
                  "format VARCHAR, description VARCHAR",
    "sf_md_dashboards": "developer_name VARCHAR, title VARCHAR, folder_n BIGINT, owner_n BIGINT, "
                     "dashboard_type VARCHAR, running_user_n BIGINT, description VARCHAR",
    "sf_md_list_views": "developer_name VARCHAR, name VARCHAR, sobject_type VARCHAR",
}


def _s(name: str, column: str, label: str = "") -> SField:
    f = SField(name, "string", label or name, column=column, length=255)
    f.createable = f.updateable = False
    return f


def _obj(name: str, table: str, prefix: str, label: str, fields: list[SField]) -> SObject:
    o = SObject(name, table, prefix, label, writable=False)
    for f in (*base_fields(prefix), *fields, SField("NamespacePrefix", "string",
                                                    "Namespace Prefix", sql="NULL")):
        o.add(f)
    return o


def _folder_name(t: str = "{t}") -> str:
    return (f"coalesce((SELECT f.name FROM sf_md_folders f WHERE f.n = {t}.folder_n), "
            f"'{PRIVATE_FOLDER}')")


def tooling_objects() -> list[SObject]:
    """The Tooling API objects deployed components show up as."""
    OBJECT_PREFIX.setdefault("LightningComponentBundle", "0Rb")  # for id filters
    bundle_id = SField("LightningComponentBundleId", "reference", "Bundle", column="bundle_n",
                       sql="sfid('0Rb', {t}.bundle_n)", reference_to=("LightningComponentBundle",))
    return [
        _obj("LightningComponentBundle", "sf_md_bundles", "0Rb", "Lightning Component Bundle", [
            _s("DeveloperName", "developer_name"), _s("MasterLabel", "master_label"),
            SField("ApiVersion", "double", "API Version", column="api_version"),
            _s("Description", "description"),
            SField("IsExposed", "boolean", "Is Exposed", column="is_exposed"),
            _s("TargetConfigs", "target_configs")]),
        _obj("LightningComponentResource", "sf_md_resources", "0Rd",
             "Lightning Component Resource", [bundle_id, _s("FilePath", "file_path"),
                                              _s("Format", "format"), _s("Source", "source")]),
        _obj("FlexiPage", "sf_md_flexipages", "0M0", "Lightning Page", [
            _s("DeveloperName", "developer_name"), _s("MasterLabel", "master_label"),
            _s("Type", "page_type"), _s("EntityDefinitionId", "entity"),
            _s("Description", "description")]),
        _obj("CustomTab", "sf_md_tabs", "01r", "Custom Tab", [
            _s("DeveloperName", "developer_name"), _s("MasterLabel", "master_label"),
            _s("Type", "tab_type"), _s("SobjectName", "sobject_name"),
            _s("MotifName", "motif"), _s("Description", "description")]),
    ]


def rest_objects() -> list[SObject]:
    """The REST sObjects of folders, reports, dashboards and list views."""
    folder_id = SField("FolderId", "reference", "Folder ID", column="folder_n",
                       sql="coalesce(sfid('00l', {t}.folder_n), sfid('005', {t}.owner_n))",
                       reference_to=("Folder", "User"))
    return [
        _obj("Folder", "sf_md_folders", "00l", "Folder", [
            _s("Name", "name"), _s("DeveloperName", "developer_name"),
            _s("Type", "folder_type"), _s("AccessType", "access_type")]),
        _obj("Report", "sf_md_reports", "00O", "Report", [
            _s("Name", "name"), _s("DeveloperName", "developer_name"),
            SField("FolderName", "string", "Folder Name", sql=_folder_name(), length=255),
            SField("OwnerId", "reference", "Owner ID", sql=folder_id.sql, column="folder_n",
                   reference_to=("Folder", "User")),
            _s("Format", "format"), _s("Description", "description")]),
        _obj("Dashboard", "sf_md_dashboards", "01Z", "Dashboard", [
            _s("Title", "title"), _s("DeveloperName", "developer_name"), folder_id,
            SField("FolderName", "string", "Folder Name", sql=_folder_name(), length=255),
            _s("Type", "dashboard_type"), _s("Description", "description"),
            ref("RunningUserId", "running_user_n", "User", "RunningUser")]),
        _obj("ListView", "sf_md_list_views", "00B", "List View", [
            _s("Name", "name"), _s("DeveloperName", "developer_name"),
            _s("SobjectType", "sobject_type")]),
    ]


@dataclass
class ObjectSettings:
    """What a CustomObject deploy set on an object beyond its fields (Metadata API
    CustomObject: sharingModel, enableSearch, enableReports, searchLayouts,
    actionOverrides, …) and its list views by developer name."""

    values: dict[str, Any] = field(default_factory=dict)
    list_views: dict[str, Meta] = field(default_factory=dict)

    def enabled(self, name: str, default: bool = False) -> bool:
        return bool(self.values.get(name, default))


class Catalog:
    """Setup metadata by (type, full name), its queryable rows, and who viewed what."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self._lock = org, threading.RLock()
        with org.writing() as con:
            for table, columns in TABLES.items():
                con.execute(f"CREATE TABLE {table} (n BIGINT, {columns}, {COMMON})")
        for obj in rest_objects():
            registry.add(obj)
        self.defs: dict[tuple[str, str], tuple[int, Any]] = {}  # (type, name) → (n, def)
        self.objects: dict[str, ObjectSettings] = {}  # sObject name → its settings
        self.reports: dict[str, Meta] = {}  # id → REST reportMetadata
        self.dashboards: dict[str, Meta] = {}  # id → REST dashboardMetadata
        self._recent: dict[str, OrderedDict[str, None]] = {}  # user id → viewed ids
        self._component_seq = 0

    # ---- definitions --------------------------------------------------------------------
    def get(self, kind: str, name: str) -> Any:
        with self._lock:
            found = self.defs.get((kind, name))
        return found[1] if found else None

    def key_of(self, kind: str, name: str) -> int | None:
        with self._lock:
            found = self.defs.get((kind, name))
        return found[0] if found else None

    def names(self, kind: str) -> list[str]:
        with self._lock:
            return [name for k, name in self.defs if k == kind]

    def put(self, kind: str, name: str, table: str, row: dict[str, Any],
            definition: Any) -> tuple[int, bool]:
        """Create or replace a component's row and definition: (key, created)."""
        with self._lock:
            found = self.defs.get((kind, name))
            if found is None:
                n = self.org.insert(table, row)
            else:
                n = found[0]
                self.org.update(table, n, row)
            self.defs[(kind, name)] = (n, definition)
            return n, found is None

    def snapshot(self) -> tuple[Any, ...]:
        """What a deploy may change here, to restore when it rolls back."""
        with self._lock:
            return copy.deepcopy((self.defs, self.objects, self.reports, self.dashboards))

    def restore(self, kept: tuple[Any, ...]) -> None:
        with self._lock:
            self.defs, self.objects, self.reports, self.dashboards = kept

    def remember(self, kind: str, name: str, definition: Any) -> tuple[int, bool]:
        """Keep a definition that has no row of its own (permission sets and sharing
        rules live in the access model): (a key, created)."""
        with self._lock:
            found = self.defs.get((kind, name))
            n = found[0] if found else len(self.defs) + 1
            self.defs[(kind, name)] = (n, definition)
            return n, found is None

    def settings(self, sobject: str) -> ObjectSettings:
        with self._lock:
            return self.objects.setdefault(sobject, ObjectSettings())

    def new_component_id(self) -> str:
        """A dashboard component id (prefix 01a)."""
        with self._lock:
            self._component_seq += 1
            return sf_id("01a", self._component_seq)

    # ---- recently viewed ----------------------------------------------------------------
    def viewed(self, user_id: str, item_id: str) -> None:
        """The user viewed (ran, described, refreshed) a report or dashboard."""
        with self._lock:
            seen = self._recent.setdefault(user_id, OrderedDict())
            seen.pop(item_id, None)
            seen[item_id] = None
            while len(seen) > 4 * RECENT:
                seen.popitem(last=False)

    def recent(self, user_id: str, prefix: str) -> list[str]:
        """Ids of the items with this key prefix the user viewed, latest first."""
        with self._lock:
            seen = list(self._recent.get(user_id, OrderedDict()))
        return [i for i in reversed(seen) if i.startswith(prefix)][:RECENT]

    def forget(self, item_id: str) -> None:
        with self._lock:
            for seen in self._recent.values():
                seen.pop(item_id, None)

    # ---- folders, reports and dashboards ------------------------------------------------
    def folder(self, kind: str, n: int | None) -> tuple[str, Any] | None:
        """(developer name, definition) of the ReportFolder/DashboardFolder with key n."""
        with self._lock:
            for (k, name), (key, definition) in self.defs.items():
                if k == kind and key == n:
                    return name, definition
        return None

    def save_item(self, kind: str, meta: Meta, folder_n: int | None, owner_n: int,
                  row: dict[str, Any]) -> tuple[str, bool]:
        """Create or replace a report ("Report") or dashboard ("Dashboard") in a folder (or
        the owner's private one): (its id, created). `meta["id"]` names one to replace."""
        table, prefix, store = (("sf_md_reports", "00O", self.reports) if kind == "Report" else
                                ("sf_md_dashboards", "01Z", self.dashboards))
        row = {**row, "folder_n": folder_n, "owner_n": owner_n}
        with self._lock:
            old = meta.get("id")
            created = old not in store
            if not created:
                n = int(self.defs_key(kind, str(old)) or 0)
                self.org.update(table, n, row)
                self._unname(kind, str(old))
            else:
                n = self.org.insert(table, row)
            item_id = sf_id(prefix, n)
            meta["id"] = item_id
            meta["folderId"] = sf_id("00l", folder_n) if folder_n is not None else \
                sf_id("005", owner_n)
            store[item_id] = meta
            found = self.folder(f"{kind}Folder", folder_n) if folder_n is not None else None
            if found is not None:
                self.defs[(kind, f"{found[0]}/{meta['developerName']}")] = (n, meta)
            return item_id, created

    @staticmethod
    def defs_key(kind: str, item_id: str) -> int | None:
        """The table key of a report or dashboard id."""
        parsed = parse_sf_id(item_id)
        return parsed[1] if parsed else None

    def _unname(self, kind: str, item_id: str) -> None:
        for key in [k for k, (_, m) in self.defs.items() if k[0] == kind and
                    m.get("id") == item_id]:
            del self.defs[key]

    def named(self, kind: str, full_name: str) -> Meta | None:
        """A report or dashboard by `Folder/DeveloperName`."""
        found = self.get(kind, full_name)
        return found if isinstance(found, dict) else None

    def delete_item(self, kind: str, item_id: str) -> None:
        table, store = (("sf_md_reports", self.reports) if kind == "Report" else
                        ("sf_md_dashboards", self.dashboards))
        with self._lock:
            n = self.defs_key(kind, item_id)
            store.pop(item_id, None)
            self._unname(kind, item_id)
            if n is not None:
                self.org.purge(table, [n])
        self.forget(item_id)
