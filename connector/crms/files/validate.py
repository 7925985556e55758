"""`validate` for CSV exports: each file's header row against the mapping, the values its
value maps name against the values the file holds, and the reps, teams and territories
its owners and accounts name (for the targets' scopes).

A problem names the export (`opportunities.csv:1`) and, when the mapping causes it, the
mapping's line (`files.yaml:31 entities.opportunities.values.contact_method.Webb`).
"""

from __future__ import annotations

from pathlib import Path

from connector.crms.base import Survey
from connector.crms.config import MappingLines
from connector.crms.files.mapping import FileEntityMapping
from connector.crms.valuemaps import exclusion_problems, item_at, key_at, key_problems
from connector.errors import ExportError
from connector.schema import ENTITY_BY_NAME, NATURAL_KEYS, Entity
from connector.store import ParseOptions, Store
from connector.store.csvfile import CsvLayout, csv_headers, load_csv
from connector.store.csvvalues import column_values


def file_problems(
    path: Path, entity: Entity, entry: FileEntityMapping, layout: CsvLayout, where: MappingLines
) -> list[str]:
    """The header row against the mapping, then the value maps against the file."""
    try:
        headers = csv_headers(path, layout)
    except ExportError as exc:
        return [str(exc)]
    problems = _header_problems(path, entity, layout, headers, where)
    for field, values in entry.values.items():
        header = layout.columns.get(field, field)
        if header in headers:
            found = column_values(path, layout, header)
            problems += _unknown_values(path, entity, field, header, values, found, where)
    for header, excluded in layout.exclude.items():
        if header in headers:
            found = column_values(path, layout, header)
            at = item_at(where.at, ("entities", entity.name, "exclude", header), list(excluded))
            what = f"column {header!r} of {path.name}"
            problems += exclusion_problems(at, excluded, found, what)
    return problems


def _header_problems(
    path: Path, entity: Entity, layout: CsvLayout, headers: list[str], where: MappingLines
) -> list[str]:
    """What a load would stop on (`csvfile`, in its words), every one, each with the
    mapping line that names the column."""
    columns = ", ".join(headers)
    problems = [
        f"{path.name}:1 column {header!r} mapped to {entity.name}.{name} is not in the file "
        f"({where.at(('entities', entity.name, 'columns', name))}; columns: {columns})"
        for name, header in layout.columns.items()
        if header not in headers
    ]
    staged = {name for name in entity.data_fields if layout.columns.get(name, name) in headers}
    missing = [f for f in entity.required_fields if f not in staged and f not in layout.columns]
    if missing == ["id"] and entity.name in NATURAL_KEYS:
        missing = []
    if missing:
        problems.append(f"{path.name}:1 required column(s) {', '.join(missing)} missing "
                        f"(columns: {columns})")  # fmt: skip
    problems += [
        f"{path.name}:1 exclude column {header!r} is not in the file "
        f"({where.at(('entities', entity.name, 'exclude', header))})"
        for header in layout.exclude
        if header not in headers
    ]
    return problems


def _unknown_values(
    path: Path, entity: Entity, field: str, header: str, values: dict[str, str],
    found: list[str], where: MappingLines,
) -> list[str]:
    """Value map keys that match no value the column holds (`crms.valuemaps`)."""
    at = key_at(where.at, ("entities", entity.name, "values", field))
    return key_problems(at, values, found, f"column {header!r} of {path.name}")


def survey_exports(
    name: str, owners: tuple[Path, CsvLayout], accounts: tuple[Path, CsvLayout], timezone: str
) -> Survey:
    """The reps, teams and territories the owners (and accounts) exports name."""
    survey = Survey()
    with Store(":memory:") as store:
        for entity, (path, layout) in (("owners", owners), ("accounts", accounts)):
            if path.is_file():
                load_csv(store, source=name, entity=ENTITY_BY_NAME[entity], path=path,
                         layout=layout, opts=ParseOptions(timezone=timezone))  # fmt: skip
        for owner_id, email, team, territory in store.fetch(
            "SELECT id, email, team, territory FROM owners WHERE NOT is_deleted"
        ):
            survey.owners[str(owner_id)] = email
            survey.teams |= {team} if team else set()
            survey.territories |= {territory} if territory else set()
        rows = store.fetch("SELECT DISTINCT territory FROM accounts WHERE territory IS NOT NULL")
        survey.territories |= {str(territory) for (territory,) in rows}
    return survey
