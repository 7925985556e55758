"""The `type: files` entry of config.yaml: a folder of CSV exports and their mapping."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from connector.crms.config import SourceConfig
from connector.yamlfile import ExistingDir, ExistingFile

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


# The commented `sources:` entry `crm-kpi init --crm files` writes.
EXAMPLE = """\
  - name: exports
    type: files              # a folder of CSV exports, one file per entity
    path: ./exports          # owners.csv, accounts.csv, leads.csv, opportunities.csv, ...
    mapping: mappings/files.yaml   # column names and values of your exports
    max_delete_share: 0.1    # a load marking more of an entity deleted stops (exit 2)
                             # unless run with --allow-mass-delete
"""
