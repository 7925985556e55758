"""Who can find, run and change a report or dashboard: its folder decides.

Salesforce Help, "Share Report and Dashboard Folders" / Metadata API "Folder": a folder
is shared through `folderShares` with an access level (View < EditAllContents < Manage)
with all internal users (`Organization`), a role, a role and its subordinates, a public
group or a user; whoever made the folder manages it; a report or dashboard in a user's
private folder is seen by that user alone. Users with Modify All Data manage every shared
folder and users with View All Data view them, never another user's private folder. The
same rule decides which `Folder`, `Report` and `Dashboard` rows SOQL returns (a record
filter in the access model).
"""

from __future__ import annotations

from typing import Any

from ..ids import parse_sf_id, sf_id
from .catalog import Catalog
from .context import Context
from .rights import Predicate, Viewer

LEVELS = {"View": 1, "EditAllContents": 2, "Manage": 3}
SHARED_TO = {"Organization": "allInternalUsers", "Role": "role",
             "RoleAndSubordinates": "roleAndSubordinates",
             "RoleAndSubordinatesInternal": "roleAndSubordinatesInternal", "Group": "group"}
KINDS = {"Report": ("ReportFolder", "sf_md_reports"),
         "Dashboard": ("DashboardFolder", "sf_md_dashboards")}


class FolderAccess:
    """Folder access of users, over the folders the catalog holds."""

    def __init__(self, ctx: Context, catalog: Catalog) -> None:
        self.ctx, self.catalog = ctx, catalog

    def register(self) -> None:
        """Make SOQL on Folder, Report and Dashboard return what each user may find."""
        self.ctx.access.add_record_filter("Folder", self.folder_rows)
        for kind in KINDS:
            self.ctx.access.add_record_filter(kind, self.item_rows(kind))

    def level(self, viewer: Viewer, kind: str, meta: dict[str, Any]) -> int:
        """0 (none), 1 (view), 2 (edit contents) or 3 (manage) on the folder of a report
        or dashboard (`kind` "Report" or "Dashboard") whose metadata is `meta`."""
        folder_id = str(meta.get("folderId") or "")
        if folder_id.startswith("005"):
            return LEVELS["Manage"] if folder_id[:15] == viewer.user_id[:15] else 0
        parsed = parse_sf_id(folder_id)
        return self.folder_level(viewer, KINDS[kind][0], parsed[1] if parsed else -1)

    def folder_level(self, viewer: Viewer, folder_kind: str, n: int) -> int:
        found = self.catalog.folder(folder_kind, n)
        if found is None:
            return 0
        if viewer.has("ModifyAllData"):
            return LEVELS["Manage"]
        folder = found[1]
        best = LEVELS["Manage"] if str(folder.get("owner", ""))[:15] == viewer.user_id[:15] \
            else LEVELS["View"] if viewer.has("ViewAllData") else 0
        if folder.get("accessType") in ("Public", "PublicInternal"):
            best = max(best, LEVELS["View"])
        for share in folder.get("shares") or []:
            if self.shared_with(viewer, share):
                best = max(best, LEVELS.get(str(share.get("accessLevel")), 0))
        return best

    def shared_with(self, viewer: Viewer, share: dict[str, Any]) -> bool:
        """Whether a folder share reaches the user."""
        kind, target = str(share.get("sharedToType")), str(share.get("sharedTo") or "")
        if kind == "User":
            return viewer.username.lower() == target.lower()
        shared_to = SHARED_TO.get(kind)
        return shared_to is not None and self.ctx.access.reaches(
            viewer.user_n, shared_to, "" if kind == "Organization" else target)

    def visible_folders(self, viewer: Viewer, folder_kind: str) -> list[int]:
        return [n for name in self.catalog.names(folder_kind)
                if (n := self.catalog.key_of(folder_kind, name)) is not None and
                self.folder_level(viewer, folder_kind, n) > 0]

    def folder_rows(self, viewer: Viewer, alias: str) -> Predicate | None:
        keys = [*self.visible_folders(viewer, "ReportFolder"),
                *self.visible_folders(viewer, "DashboardFolder")]
        return Predicate(f"{alias}.n IN ({', '.join(str(k) for k in keys) or 'NULL'})")

    def item_rows(self, kind: str) -> Any:
        def rows(viewer: Viewer, alias: str) -> Predicate | None:
            keys = self.visible_folders(viewer, KINDS[kind][0])
            listed = ", ".join(str(k) for k in keys) or "NULL"
            return Predicate(f"({alias}.folder_n IN ({listed}) OR ({alias}.folder_n IS NULL "
                             f"AND {alias}.owner_n = ?))", (viewer.user_n,))
        return rows

    def folder_id(self, folder_kind: str, name: str) -> str | None:
        """The id of a folder by developer name."""
        n = self.catalog.key_of(folder_kind, name)
        return sf_id("00l", n) if n is not None else None

    def share_problem(self, share: dict[str, Any]) -> str | None:
        """Why a folder share names no one the org has, or None."""
        kind, target = str(share.get("sharedToType")), str(share.get("sharedTo") or "")
        if kind == "User":
            row = self.ctx.org.cursor().execute(
                "SELECT n FROM users WHERE lower(username) = lower(?)", [target]).fetchone()
            return None if row else f"sharedTo: no user {target}"
        if kind not in SHARED_TO:
            return f"The sandbox does not serve folder shares of type {kind}"
        if kind != "Organization" and self.ctx.access.share_group(SHARED_TO[kind],
                                                                  target) is None:
            return f"sharedTo: no {kind} named {target!r}"
        return None
