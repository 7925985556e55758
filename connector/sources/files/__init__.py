"""Files source: CRM exports as CSV, one file per normalized entity."""

from __future__ import annotations

from connector.config import Config
from connector.config import FilesSource as FilesSourceConfig
from connector.sources.files.mapping import FileEntityMapping, FilesMapping
from connector.sources.files.source import FilesSource
from connector.yamlfile import load_model

__all__ = ["FileEntityMapping", "FilesMapping", "FilesSource", "from_config"]


def from_config(source: FilesSourceConfig, config: Config) -> FilesSource:
    """The files source of one `type: files` entry of config.yaml."""
    mapping = load_model(source.mapping, FilesMapping) if source.mapping else FilesMapping()
    return FilesSource(source.name, source.path, mapping, config.reporting.timezone)
