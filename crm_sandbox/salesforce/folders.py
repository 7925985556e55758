"""Who can find, run and change a report or dashboard: its folder decides.

Salesforce Help, "Share Report and Dashboard Folders" / Metadata API "Folder": a folder
is shared through `folderShares` with an access level (View < EditAllContents < Manage)
to all internal users (`Organization`), roles (with or without subordinates), public
groups or users; whoever made the folder manages it; a report or dashboard in a user's
private folder is seen by that user alone. Users who may manage every folder (Modify All
Data) see every shared folder, never another user's private one.
"""

from __future__ import annotations

from typing import Any

from ..ids import parse_sf_id, sf_id
from .catalog import Catalog
from .context import Context

LEVELS = {"View": 1, "EditAllContents": 2, "Manage": 3}


class FolderAccess:
    """Folder access of users, over the folders the catalog holds."""

    def __init__(self, ctx: Context, catalog: Catalog) -> None:
        self.ctx, self.catalog = ctx, catalog

    def is_admin(self, user_id: str) -> bool:
        """Whether the user may manage every shared folder."""
        return user_id[:15] == self.ctx.creds.user_id[:15]

    def username(self, user_id: str) -> str:
        parsed = parse_sf_id(user_id)
        row = self.ctx.org.cursor().execute("SELECT username FROM users WHERE n = ?",
                                            [parsed[1] if parsed else -1]).fetchone()
        return str(row[0]) if row else ""

    def level(self, user_id: str, kind: str, meta: dict[str, Any]) -> int:
        """0 (none), 1 (view), 2 (edit contents) or 3 (manage) on the folder of a report
        or dashboard (`kind` "Report" or "Dashboard") whose metadata is `meta`."""
        folder_id = str(meta.get("folderId") or "")
        if folder_id.startswith("005"):
            return LEVELS["Manage"] if folder_id[:15] == user_id[:15] else 0
        return self.folder_level(user_id, kind, folder_id)

    def folder_level(self, user_id: str, kind: str, folder_id: str) -> int:
        parsed = parse_sf_id(folder_id)
        found = self.catalog.folder(f"{kind}Folder", parsed[1] if parsed else -1)
        if found is None:
            return 0
        if self.is_admin(user_id):
            return LEVELS["Manage"]
        folder = found[1]
        best = LEVELS["Manage"] if str(folder.get("owner", ""))[:15] == user_id[:15] else 0
        if folder.get("accessType") in ("Public", "PublicInternal"):
            best = max(best, LEVELS["View"])
        for share in folder.get("shares") or []:
            if self.shared_with(user_id, share):
                best = max(best, LEVELS.get(str(share.get("accessLevel")), 0))
        return best

    def shared_with(self, user_id: str, share: dict[str, Any]) -> bool:
        """Whether a folder share reaches the user."""
        kind, target = share.get("sharedToType"), str(share.get("sharedTo") or "")
        if kind == "Organization":
            return True
        if kind == "User":
            return self.username(user_id).lower() == target.lower()
        return False

    def folder_id(self, kind: str, name: str) -> str | None:
        """The id of a folder by developer name."""
        n = self.catalog.key_of(f"{kind}Folder", name)
        return sf_id("00l", n) if n is not None else None
