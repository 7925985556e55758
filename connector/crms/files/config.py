"""The `type: files` entry of config.yaml: a folder of CSV exports and their mapping."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from connector.crms.config import SourceConfig
from connector.yamlfile import ExistingDir, ExistingFile, load_yaml, render_path

DEFAULT_MAX_DELETE_SHARE = 0.1


class FilesConfig(SourceConfig):
    """A folder of CSV exports; `mapping` is optional (default: normalized headers)."""

    # A files source without `mapping:` reads normalized headers; `crm-kpi init` copies
    # this one, the mapping of the sample exports (a CRM report's columns and values).
    default_mapping: ClassVar[str] = "files.yaml"

    type: Literal["files"]
    path: ExistingDir
    mapping: ExistingFile | None = None
    # A partial export looks exactly like a mass delete: past this share of an entity's
    # records, a load stops (exit 2) unless run with --allow-mass-delete. null: no limit.
    max_delete_share: float | None = Field(default=DEFAULT_MAX_DELETE_SHARE, ge=0, le=1)

    def path_setting(self) -> str:
        """Where config.yaml names the folder (``config.yaml:7 sources[1].path``)."""
        if self._config_path is None or not self._config_path.is_file():
            return f"source {self.name}: path"
        data, lines = load_yaml(self._config_path)
        listed = data.get("sources") if isinstance(data, dict) else None
        index = next((i for i, s in enumerate(listed if isinstance(listed, list) else [])
                      if isinstance(s, dict) and s.get("name") == self.name), 0)  # fmt: skip
        key = ("sources", index, "path")
        return f"{self._config_path.name}:{lines.line_of(key)} {render_path(key)}"


# The commented `sources:` entry `crm-kpi init --crm files` writes.
EXAMPLE = """\
  - name: exports
    type: files              # a folder of CSV exports, one file per entity
    path: ./exports          # owners.csv, accounts.csv, leads.csv, opportunities.csv, ...
    mapping: mappings/files.yaml   # column names and values of your exports
    max_delete_share: 0.1    # a load marking more of an entity deleted stops (exit 2)
                             # unless run with --allow-mass-delete
"""
