"""`crm-kpi validate`: what would break a run or silently miscount, found before any pull,
all at once, in one pass.

In order: config.yaml and the mappings (loading them checks every key, with its line);
each source's mapping against the live CRM (fields, objects, value maps and exclusions
against the picklist values, property options or CSV values they name); the targets
CSV, read as a pull reads it (each bad row named by line); then every target's scope
(rep, team, territory) against the reps, teams and territories the sources know. Notes
are said without failing: an org without quotas, a portal whose goals cannot be read.

A file with problems does not hide the CRMs' checks: once its problems are reported, its
sound part (`connector.salvage`: the keys with problems left out) is checked against
the CRMs all the same, whenever enough of it is sound to connect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.config import Config, load_config
from connector.crms.base import Source, Survey
from connector.crms.config import SourceConfig
from connector.crms.files.config import FilesConfig
from connector.crms.files.read import FilesSource
from connector.crms.valuemaps import suggestion
from connector.errors import ConfigError, CrmKpiError, SourceError, UserError
from connector.pipeline import (
    build_source,
    build_writer,
    load_targets_file,
    writes_back,
)
from connector.settings import TARGETS_FILE_SOURCE
from connector.store import Store
from connector.store.problems import quarantined
from connector.store.targetfile import target_lines
from connector.yamlfile import load_yaml, render_path, salvaging

_PLURAL = {"team": "teams", "territory": "territories"}


@dataclass
class Report:
    """What `validate` found: problems (exit 2) and notes (said, not failing)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NamedScope:
    """A target's scope as written, and where (`config.yaml:31 targets[17].scope_id`)."""

    scope_type: str
    scope_id: str
    where: str
    by_id: bool = True
    """Whether a rep may be named by CRM id (config.yaml), or only by e-mail (a CSV)."""


def validate_path(path: Path) -> tuple[Config | None, Report]:
    """Every problem of a config file, its mappings, its CRMs and its targets: the config
    (its sound part when it has problems) and the report."""
    report = Report()
    try:
        config = load_config(path)
    except ConfigError as exc:
        report.problems += exc.messages
        try:
            with salvaging(drop_items=True):
                config = load_config(path)
        except ConfigError:
            if path.is_file():
                report.notes.append(f"the CRMs were not checked: fix {path.name} first (no "
                                    "source in it is sound enough to connect to)")  # fmt: skip
            return None, report
    found = validate_config(config, sources_in_file=len(_raw(path).get("sources") or []))
    report.problems += found.problems
    report.notes += found.notes
    return config, report


def _raw(path: Path) -> dict[str, Any]:
    data = load_yaml(path)[0]
    return data if isinstance(data, dict) else {}


def validate_config(config: Config, sources_in_file: int | None = None) -> Report:
    """Every problem of the config's sources and targets (`sources_in_file`: how many
    sources config.yaml lists, when some have problems that kept them out of `config`)."""
    report = Report()
    surveys = _surveyed_sources(config, report)
    named = [*_config_scopes(config)]
    if config.targets_file is not None:
        named += _targets_file(config, report)
    report.notes += _unread_target_exports(config)
    every = max(sources_in_file or 0, len(config.sources))
    if len(surveys) == every:
        report.problems += scope_problems(named, surveys)
    elif named:
        report.notes.append("the targets' reps, teams and territories were not checked: "
                            "fix the problems of the sources first")  # fmt: skip
    return report


def _surveyed_sources(config: Config, report: Report) -> dict[str, Survey]:
    """Each source's problems into `report`; the surveys of the sources without any."""
    surveys: dict[str, Survey] = {}
    for source_config in config.sources:
        problems: list[str] = []
        try:
            source = _source(config, source_config, problems, report)
            if source is None:
                report.problems += problems
                continue
            problems += source.validate()
            if isinstance(source, FilesSource):
                problems += _stored_absent(config, source)
                report.notes += source.absent_notes()
            if not problems:
                surveys[source.name] = source.survey()
                report.notes += surveys[source.name].notes
            if source_config.pushes and writes_back(source_config):
                # The writer's fields: what it may not write, what setup still has to do.
                with salvaging():
                    writer = build_writer(config, source_config)
                problems += writer.validate()
                report.notes += writer.notes
        except (UserError, SourceError) as exc:  # e.g. an export that cannot be read
            problems += exc.messages if isinstance(exc, ConfigError) else [str(exc)]
        report.problems += problems
    return surveys


def _stored_absent(config: Config, source: FilesSource) -> list[str]:
    """Exports absent from the folder while the store holds their records: the run's
    load would stop there (a partial export looks like a mass delete)."""
    if not config.store.path.is_file() or not source.absent():
        return []
    try:
        with Store(config.store.path, read_only=True) as store:
            return source.stored_absent(store)
    except CrmKpiError:  # a store a run holds right now: the run will say it
        return []


def _source(
    config: Config, source_config: SourceConfig, problems: list[str], report: Report
) -> Source | None:
    """The source, its mapping's problems into `problems`: built on the mapping's sound
    part when it has some (None, and a note, when nothing of it is sound)."""
    try:
        source = build_source(config, source_config)
        report.notes += source.deprecations()
        return source
    except ConfigError as exc:
        problems += exc.messages
    try:
        with salvaging():
            source = build_source(config, source_config)
            report.notes += source.deprecations()
            return source
    except ConfigError:
        report.notes.append(f"source {source_config.name} was not checked against its CRM: "
                            "its mapping's problems leave nothing sound to check")  # fmt: skip
        return None


def _unread_target_exports(config: Config) -> list[str]:
    """A targets.csv in an export folder is not an export: targets_file names it."""
    found = [s.path / "targets.csv" for s in config.sources if isinstance(s, FilesConfig)]
    return [
        f"{path} is not read as an export: if it holds targets, name it in "
        f"{config.config_path.name} as targets_file (columns kpi, period_type, period, "
        "scope_type, scope, value)"
        for path in found
        if path.is_file() and path != config.targets_file
    ]


def _config_scopes(config: Config) -> list[NamedScope]:
    """The scope of every target config.yaml lists, as written: a target with another
    problem (a ratio of 30) still names a rep, team or territory worth checking."""
    data, lines = load_yaml(config.config_path)
    targets = data.get("targets") if isinstance(data, dict) else None
    name = config.config_path.name
    return [
        NamedScope(str(target["scope_type"]), str(target["scope_id"]),
                   f"{name}:{lines.line_of(key)} {render_path(key)}")
        for index, target in enumerate(targets if isinstance(targets, list) else [])
        if isinstance(target, dict) and target.get("scope_id") is not None
        and target.get("scope_type") is not None
        for key in [("targets", index, "scope_id")]
    ]  # fmt: skip


def _targets_file(config: Config, report: Report) -> list[NamedScope]:
    """The targets CSV loaded as a pull loads it: its bad rows are problems."""
    path = config.targets_file
    assert path is not None
    with Store(":memory:") as store:
        try:
            load_targets_file(config, store)
        except UserError as exc:  # no header row, a missing column, a wrong encoding
            report.problems.append(str(exc))
            return []
        report.problems += [str(row) for row in quarantined(store)]
        rows = store.fetch(
            "SELECT id, scope_type, scope_id FROM targets WHERE source = ? AND NOT is_deleted "
            "AND scope_id IS NOT NULL ORDER BY id",
            [TARGETS_FILE_SOURCE],
        )
    lines = target_lines(path)
    rows.sort(key=lambda row: lines.get(row[0], 0))
    return [
        NamedScope(scope_type, scope_id, f"{path.name}:{lines[key]} scope" if key in lines
                   else f"{path.name} ({key})", by_id=False)
        for key, scope_type, scope_id in rows
    ]  # fmt: skip


def scope_problems(named: list[NamedScope], surveys: dict[str, Survey]) -> list[str]:
    """A problem for every scope no source knows, as the engine matches them: a rep by
    CRM id (config.yaml only) or e-mail, a team or territory by name, in any case."""
    sources = ", ".join(surveys)
    ids = {owner for s in surveys.values() for owner in s.owners}
    emails = sorted({e for s in surveys.values() for e in s.owners.values() if e})
    known = {
        "team": sorted({t for s in surveys.values() for t in s.teams}),
        "territory": sorted({t for s in surveys.values() for t in s.territories}),
    }
    problems = []
    for scope in named:
        if scope.scope_type == "owner":
            if scope.scope_id.lower() in {e.lower() for e in emails}:
                continue
            if scope.by_id and scope.scope_id in ids:
                continue
            problems.append(_unknown_rep(scope, emails, ids, sources))
        elif scope.scope_type in known:
            names = known[scope.scope_type]
            if scope.scope_id.lower() not in {n.lower() for n in names}:
                problems.append(_unknown_name(scope, names, sources))
    return problems


def _unknown_rep(scope: NamedScope, emails: list[str], ids: set[str], sources: str) -> str:
    if not scope.by_id and scope.scope_id in ids:
        return (f"{scope.where}: {scope.scope_id!r} is a rep's CRM id: the targets CSV names "
                "reps by e-mail (ids name them in config.yaml only)")  # fmt: skip
    named_by = "id or e-mail" if scope.by_id else "e-mail"
    return (f"{scope.where}: no rep of {sources} has the {named_by} {scope.scope_id!r}"
            f"{_close(scope.scope_id, emails)}")  # fmt: skip


def _unknown_name(scope: NamedScope, names: list[str], sources: str) -> str:
    listed = ", ".join(names[:20]) + (", …" if len(names) > 20 else "") or "none"
    kind = scope.scope_type
    return (f"{scope.where}: no {kind} of {sources} is named {scope.scope_id!r}"
            f"{_close(scope.scope_id, names)} ({_PLURAL[kind]}: {listed})")  # fmt: skip


def _close(value: str, candidates: list[str]) -> str:
    return suggestion(value, candidates)
