"""Files source: CRM exports as CSV, one file per normalized entity."""

from connector.sources.files.mapping import FileEntityMapping, FilesMapping
from connector.sources.files.source import FilesSource

__all__ = ["FileEntityMapping", "FilesMapping", "FilesSource"]
