"""CSV exports: a folder with one file per normalized entity (read only)."""

from __future__ import annotations

from connector.crms.base import Crm
from connector.crms.files.config import EXAMPLE, FilesConfig
from connector.crms.files.mapping import FilesMapping as FilesMapping
from connector.crms.files.mapping import load_files_mapping
from connector.crms.files.read import FilesSource
from connector.settings import Reporting


def read(config: FilesConfig, reporting: Reporting) -> FilesSource:
    """The source of one `type: files` entry of config.yaml."""
    mapping = load_files_mapping(config.mapping)
    return FilesSource(config.name, config.path, mapping, reporting.timezone,
                       config.max_delete_share, mapping_path=config.mapping,
                       window=reporting.window(), folder_at=config.path_setting)  # fmt: skip


CRM = Crm(config=FilesConfig, read=read, write=None, example=EXAMPLE, folders=("exports",))
