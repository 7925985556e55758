"""CSV exports: a folder with one file per normalized entity (read only)."""

from __future__ import annotations

from connector.crms.base import Crm
from connector.crms.files.config import EXAMPLE, FilesConfig
from connector.crms.files.mapping import FilesMapping
from connector.crms.files.read import FilesSource
from connector.settings import Reporting
from connector.yamlfile import load_model


def read(config: FilesConfig, reporting: Reporting) -> FilesSource:
    """The source of one `type: files` entry of config.yaml."""
    mapping = load_model(config.mapping, FilesMapping) if config.mapping else FilesMapping()
    return FilesSource(config.name, config.path, mapping, reporting.timezone,
                       config.max_delete_share, mapping_path=config.mapping,
                       window=reporting.window())  # fmt: skip


CRM = Crm(config=FilesConfig, read=read, write=None, example=EXAMPLE, folders=("exports",))
