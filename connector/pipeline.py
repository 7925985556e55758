"""Wires config to sources, store and KPI engine: pull, then compute."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from connector.config import Config, crm_of
from connector.crms.base import Progress, Source, Writer
from connector.crms.config import SourceConfig
from connector.dashboard import Meta, build_payload, render_html
from connector.errors import ConfigError, StoreError, UserError
from connector.kpi.engine import SCOPE_TYPES, ComputeResult, compute
from connector.kpi.periods import Period, parse_period
from connector.kpi.results import has_results
from connector.kpi.sqlengine import DuckDbEngine, SqlEngine
from connector.kpis import KPIS
from connector.presentation import Wording, basis_note, pace_help
from connector.settings import TARGETS_FILE_SOURCE
from connector.store import IngestResult, Store
from connector.store.targetfile import load_target_file


@dataclass
class PullSummary:
    """Per source and entity: what was loaded, quarantined, deleted and noticed."""

    results: list[IngestResult] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return sum(r.loaded for r in self.results)

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined for r in self.results)

    @property
    def deleted(self) -> int:
        return sum(r.deleted for r in self.results)

    @property
    def findings(self) -> int:
        return sum(r.findings for r in self.results)

    @property
    def notes(self) -> list[str]:
        return [note for r in self.results for note in r.notes]


def results_source(config: Config, source_name: str) -> str | None:
    """The `kpi_results.source` value holding one source's own KPIs.

    With one source, its KPIs are the all-sources results (source NULL); with several,
    each source's are stored under its name beside the merged ones.
    """
    return source_name if len(config.sources) > 1 else None


def open_store(config: Config, *, read_only: bool = False) -> Store:
    """The store named by the config (`read_only`: for commands that only read it, which
    then work on a read-only file system too)."""
    return Store(config.store.path, read_only=read_only)


def build_source(
    config: Config, source: SourceConfig, *, allow_mass_delete: bool = False
) -> Source:
    """The source object for one configured source (its CRM's `read` builds it);
    `allow_mass_delete` lifts the source's `max_delete_share`, for this run only."""
    if allow_mass_delete and "max_delete_share" in type(source).model_fields:
        source = source.model_copy(update={"max_delete_share": None})
    return crm_of(source).read(source, config.reporting)


def build_writer(config: Config, source: SourceConfig) -> Writer:
    """The writer of one configured source (its CRM's `write` builds it)."""
    write = crm_of(source).write
    if write is None:
        raise ConfigError([f"source {source.name}: a {source.type} source has no writer"])
    return write(source, Wording(config.reporting.currency, config.kpis))


def writes_back(source: SourceConfig) -> bool:
    """Whether KPIs can be written back into this source's CRM at all."""
    return crm_of(source).write is not None


def pull(
    config: Config,
    store: Store,
    progress: Progress | None = None,
    *,
    allow_mass_delete: bool = False,
) -> PullSummary:
    """Pull every configured source into the store, then the targets CSV."""
    sources = [build_source(config, s, allow_mass_delete=allow_mass_delete)
               for s in config.sources]  # fmt: skip
    summary = PullSummary()
    for source in sources:
        summary.results.extend(source.pull(store, progress))
    loaded = load_targets_file(config, store, progress)
    if loaded is not None:
        summary.results.append(loaded)
    return summary


def open_engine(config: Config, store: Store, progress: Progress | None = None) -> SqlEngine:
    """The engine `kpis.engine` names: DuckDB in the store, or Spark (PySpark is
    imported only then)."""
    if config.kpis.engine == "duckdb":
        return DuckDbEngine(store)
    from connector.kpi.spark import open_spark_engine

    staging = config.store.path.with_name(config.store.path.name + ".spark")
    return open_spark_engine(store, config.spark, staging, progress)


def load_targets_file(
    config: Config, store: Store, progress: Progress | None = None
) -> IngestResult | None:
    """Load config.yaml's `targets_file` (None when it names none)."""
    path = config.targets_file
    if path is None:
        return None
    if progress is not None:
        progress(f"targets: {path.name}")
    fiscal = config.reporting.fiscal_year_start_month

    def period_start(_: str, key: str) -> dt.date:
        return parse_period(key, fiscal).start

    return load_target_file(store, source=TARGETS_FILE_SOURCE, path=path, period_start=period_start)


def compute_kpis(
    config: Config,
    store: Store,
    periods: Sequence[Period] | None = None,
    scope_types: Sequence[str] = SCOPE_TYPES,
    as_of: dt.date | None = None,
    *,
    save: bool = True,
    progress: Progress | None = None,
) -> ComputeResult:
    """Compute every KPI for the periods (default: all with data) into kpi_computed, and
    with `save` into kpi_results, replacing exactly the periods x scope types computed,
    on the engine `kpis.engine` names.

    With several sources, each source's KPIs are computed on its own records (stored
    under its name) and then merged over all of them, owners matched by e-mail.
    """
    merged = len(config.sources) > 1
    sources = [s.name for s in config.sources] if merged else []
    rows, started = 0, time.perf_counter()
    with open_engine(config, store, progress) as engine:
        for name in [*sources, None]:
            result = compute(
                store,
                config.reporting,
                config.kpis,
                config.targets,
                periods=periods,
                scope_types=scope_types,
                as_of=as_of,
                source=name,
                merge_owners_by_email=merged and name is None,
                save=save,
                engine=engine,
            )
            rows += result.rows
    seconds = time.perf_counter() - started
    return replace(result, rows=rows, seconds=seconds)


DASHBOARD_MODE = 0o600  # the page shows reps' names and figures: its owner's only


def write_dashboard(config: Config, out: Path, *, mode: int = DASHBOARD_MODE) -> Path:
    """Write the dashboard of `config`'s store to `out` (computing KPIs first if none are),
    with file permissions `mode`."""
    if out.is_dir():
        raise UserError(f"{out} is a folder: name the HTML file, like {out / 'kpis.html'}")
    with _results_store(config) as store:
        if not has_results(store):
            compute_kpis(config, store)
        payload = build_payload(store, config_meta(config))
    write_file(out, render_html(payload), mode)
    return out


def _results_store(config: Config) -> Store:
    """The store, read-only when it holds results (so a read-only file system is no
    obstacle), else writable, to compute and save them first."""
    try:
        store = open_store(config, read_only=True)
    except StoreError:
        return open_store(config)  # no store yet: created, as before a first run
    if has_results(store):
        return store
    store.close()
    return open_store(config)


def write_file(path: Path, text: str, mode: int) -> None:
    """Write `text` to `path` whole (a reader never sees half a file) with permissions
    `mode`; `UserError` naming the path when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(name, mode)
        os.replace(name, path)
    except OSError as exc:
        Path(name).unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None


def _cannot_write(path: Path, exc: OSError) -> UserError:
    return UserError(f"{path}: cannot be written ({(exc.strerror or str(exc)).lower()})")


def config_meta(config: Config) -> Meta:
    """Title, source and config names and currency shown on the page."""
    sources = ", ".join(f"{s.name} ({s.type})" for s in config.sources)
    bases: dict[str, str] = {
        k.key: note for k in KPIS if (note := basis_note(k.key, config.kpis))
    }
    return Meta(
        title="Sales KPIs",
        source=sources,
        config=config.config_path.name,
        currency=config.reporting.currency,
        bases=bases,
        timezone=config.reporting.timezone,
        pace_help=pace_help(config.kpis),
    )
