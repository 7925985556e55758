"""`validate` for CSV exports: each file's header row against the mapping, the values its
value maps name against the values the file holds, and the reps, teams and territories
its owners and accounts name (for the targets' scopes).

A problem names the export (`opportunities.csv:1`) and, when the mapping causes it, the
mapping's line (`files.yaml:31 streams[0].values.contact_method.Webb`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from connector.crms.base import Survey
from connector.crms.valuemaps import (
    exclusion_problems,
    item_at,
    key_at,
    key_problems,
    nearest,
    suggestion,
)
from connector.errors import ExportError
from connector.schema import ENTITY_BY_NAME, NATURAL_KEYS, Entity
from connector.store import ParseOptions, Store, ValueMap
from connector.store.csvfile import CsvLayout, csv_headers, load_csv
from connector.store.csvvalues import column_values
from connector.yamlfile import KeyPath

Where = Callable[[KeyPath], str]


def file_problems(
    path: Path, entity: Entity, layout: CsvLayout, where: Where, value_maps: Mapping[str, ValueMap]
) -> list[str]:
    """The header row against the mapping, then the value maps against the file
    (`where`: the mapping line of a key of the entity's stream)."""
    try:
        headers = csv_headers(path, layout)
    except ExportError as exc:
        return [str(exc)]
    problems = _header_problems(path, entity, layout, headers, where)
    for field, values in value_maps.items():
        header = layout.columns.get(field, field)
        if header in headers:
            found = column_values(path, layout, header)
            at = key_at(where, ("values", field))
            problems += key_problems(at, values.values, found, f"column {header!r} of {path.name}")
    for header, excluded in layout.exclude.items():
        if header in headers:
            found = column_values(path, layout, header)
            at = item_at(where, ("exclude", header), list(excluded))
            what = f"column {header!r} of {path.name}"
            problems += exclusion_problems(at, excluded, found, what)
    return problems


def _header_problems(
    path: Path, entity: Entity, layout: CsvLayout, headers: list[str], where: Where
) -> list[str]:
    """What a load would stop on (`csvfile`, in its words), every one, each with the
    mapping line that names the column."""
    columns = ", ".join(headers)
    problems = [
        f"{path.name}:1 column {header!r} mapped to {entity.name}.{name} is not in the file"
        f"{suggestion(header, headers)} ({where(('fields', name))}; columns: {columns})"
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
        f"{path.name}:1 exclude column {header!r} is not in the file"
        f"{suggestion(header, headers)} ({where(('exclude', header))})"
        for header in layout.exclude
        if header not in headers
    ]
    return problems


def no_export(folder: Path, at: str, looked_for: list[str]) -> str:
    """The folder holds none of the files the source reads: nothing to load."""
    held = _unread(folder, looked_for)
    holds = f"it holds {', '.join(held[:10])}" if held else "it holds no CSV file"
    return (f"{at}: the export folder {folder} holds none of the files a files source reads "
            f"({', '.join(looked_for)}; {holds}), so a run would load no record and compute "
            "no KPI (hint: check the path, or name each file with a stream's file: in the "
            "mapping)")  # fmt: skip


def absent_file(path: Path, entity: str, at: str, read: list[str]) -> str:
    """A file the mapping names (a stream of its entity) is not in the folder."""
    return (f"{at}: {path.name} is not in {path.parent}: the mapping reads {entity} from it, "
            f"so a run would load no {entity}{_hint(path, read)}")


def optional_absent(path: Path, entity: str, read: list[str]) -> str:
    """A file no stream names is not in the folder: optional, said."""
    return (f"{path.parent} has no {path.name}, so a run loads no {entity} (no stream of the "
            f"mapping reads {entity}: it is read when exported)"
            f"{_hint(path, read)}")  # fmt: skip


def stored_absent(path: Path, entity: str, source: str, at: str, count: int, share: float) -> str:
    """An absent file while the store holds its records: the load would stop."""
    return (f"{at}: {path.name} is not in {path.parent} while the store holds {count:,} "
            f"{entity} of source {source}: a run would mark them all deleted, more than "
            f"max_delete_share ({share:.0%}) allows, and stop. Put the export back, or, if "
            "they really were deleted, run with --allow-mass-delete")  # fmt: skip


def _hint(path: Path, read: list[str]) -> str:
    """``; did you mean 'Opportunities.csv'?`` for a file the folder holds by a close name
    (names compared without their .csv, which every one shares)."""
    by_stem = {Path(name).stem: name for name in _unread(path.parent, read)}
    close = nearest(path.stem, by_stem)
    return f"; did you mean {by_stem[close[0]]!r}?" if close else ""


def _unread(folder: Path, read: list[str]) -> list[str]:
    """The CSV files of the folder the source does not read (for "did you mean")."""
    return sorted(p.name for p in folder.iterdir()
                  if p.suffix.lower() == ".csv" and p.is_file() and p.name not in read)  # fmt: skip


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
