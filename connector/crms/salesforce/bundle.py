"""The zip setup deploys, built in memory: `package.xml` and one file per component, in
the Metadata API's file layout (a single package: the files at the zip's root), and
`destructiveChangesPost.xml` when it also removes components crm-kpi deployed earlier.

The same mapping always gives the same bytes (sorted entries, a fixed timestamp), so a
rerun of setup deploys exactly what the first run did and Salesforce finds nothing new.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from connector.crms.salesforce import components as parts
from connector.crms.salesforce.card import card_files
from connector.crms.salesforce.fields import FieldDef
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.names import (
    CARD,
    DASHBOARD,
    DASHBOARD_FOLDER,
    PAGES,
    READER_PERMISSION_SET,
    REPORT,
    REPORT_FOLDER,
    WRITER_PERMISSION_SET,
)

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
DELETE_MANIFEST = "destructiveChangesPost.xml"
"""Deleted after the rest of the deploy is saved (API 33.0 and later)."""


@dataclass
class Archive:
    """The files of a deploy and the component each one is (for messages)."""

    api_version: str
    files: dict[str, bytes] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    components: dict[str, tuple[str, str]] = field(default_factory=dict)
    """File name in the zip → (metadata type, full name)."""
    deleted: dict[str, list[str]] = field(default_factory=dict)
    """Components the deploy removes: metadata type → full names."""

    def add(self, path: str, kind: str, member: str, content: bytes) -> None:
        """One component's file; `member` is listed in package.xml under `kind`."""
        self.files[path] = content
        self.components[path] = (kind, member)
        if member not in self.members.setdefault(kind, []):
            self.members[kind].append(member)

    def delete(self, kind: str, member: str) -> None:
        """Remove a component from the org, by its type and full name."""
        if member not in self.deleted.setdefault(kind, []):
            self.deleted[kind].append(member)

    def component(self, path: str | None) -> tuple[str, str] | None:
        """The (type, full name) of a file of this zip, however Salesforce writes its path."""
        if not path:
            return None
        clean = path.removeprefix("unpackaged/")
        found = self.components.get(clean)
        if found is None and clean.startswith(f"lwc/{CARD}/"):
            return ("LightningComponentBundle", CARD)
        return found

    def zip_bytes(self) -> bytes:
        """The zip: package.xml first, the delete manifest if any, then every file in
        name order."""
        buffer = io.BytesIO()
        manifests = [("package.xml", parts.package_xml(self.members, self.api_version))]
        if self.deleted:
            manifests.append((DELETE_MANIFEST, parts.destructive_xml(self.deleted)))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in [*manifests, *sorted(self.files.items())]:
                archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), content)
        return buffer.getvalue()

    def __len__(self) -> int:
        return sum(len(names) for group in (self.members, self.deleted)
                   for names in group.values())  # fmt: skip


def build_archive(
    push: PushMapping, fields: dict[str, list[FieldDef]], api_version: str
) -> Archive:
    """Everything setup deploys for this mapping: the KPI object's attributes and tab,
    the card, the Lightning pages asked for, the report and dashboard in their shared
    folders, both permission sets, and the sharing rule when asked."""
    archive = Archive(api_version)
    obj = push.object
    archive.add(f"objects/{obj}.object", "CustomObject", obj, parts.custom_object(push))
    archive.add(f"tabs/{obj}.tab", "CustomTab", obj, parts.custom_tab())
    for name, content in sorted(card_files(push, api_version).items()):
        archive.add(f"lwc/{CARD}/{name}", "LightningComponentBundle", CARD, content)
    for kind in push.pages:
        page = PAGES[kind]
        archive.add(f"flexipages/{page}.flexipage", "FlexiPage", page, parts.flexipage(kind))
    _analytics(archive, push)
    archive.add(f"permissionsets/{WRITER_PERMISSION_SET}.permissionset", "PermissionSet",
                WRITER_PERMISSION_SET, parts.writer_permission_set(push, fields))  # fmt: skip
    archive.add(f"permissionsets/{READER_PERMISSION_SET}.permissionset", "PermissionSet",
                READER_PERMISSION_SET, parts.reader_permission_set(push, fields))  # fmt: skip
    if push.share_company:
        # One file per object: the Metadata API deploys an object's sharing rules
        # together, never one rule by its type (SharingRules, API 33.0 and later).
        archive.add(f"sharingRules/{obj}.sharingRules", "SharingRules", obj,
                    parts.sharing_rules(push))  # fmt: skip
    return archive


def _analytics(archive: Archive, push: PushMapping) -> None:
    """The report and the dashboard, each in a folder every internal user can view."""
    archive.add(f"reports/{REPORT_FOLDER}-meta.xml", "Report", REPORT_FOLDER,
                parts.report_folder())  # fmt: skip
    archive.add(f"reports/{REPORT_FOLDER}/{REPORT}.report", "Report",
                f"{REPORT_FOLDER}/{REPORT}", parts.report(push))  # fmt: skip
    archive.add(f"dashboards/{DASHBOARD_FOLDER}-meta.xml", "Dashboard", DASHBOARD_FOLDER,
                parts.dashboard_folder())  # fmt: skip
    archive.add(f"dashboards/{DASHBOARD_FOLDER}/{DASHBOARD}.dashboard", "Dashboard",
                f"{DASHBOARD_FOLDER}/{DASHBOARD}", parts.dashboard(push))  # fmt: skip
