"""The KPI engine: the 14 sales KPIs of KPI_SPEC.md as SQL over the normalized tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class _Configured(Protocol):
    """What `results_source` reads of a config (kpi/ does not import the config root)."""

    @property
    def sources(self) -> Sequence[object]: ...


def results_source(config: _Configured, source_name: str) -> str | None:
    """The `kpi_results.source` value holding one source's own KPIs.

    With one source, its KPIs are the all-sources results (source NULL); with several,
    each source's are stored under its name beside the merged ones.
    """
    return source_name if len(config.sources) > 1 else None
