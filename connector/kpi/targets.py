"""The targets a computation resolves: config.yaml's beside the `targets` table's.

config.yaml targets become rows shaped like the `targets` entity (origin config, every
period of their type, in the reporting currency), so that one SQL file
(`kpi_target_values.sql`) resolves both: which scope each names, which period, which
currency, which one wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connector.kpi.sqlengine import SqlEngine
from connector.schema import ENTITY_BY_NAME, SQL_TYPES, TARGET_ORIGINS
from connector.settings import RollupScope, Target

TARGETS = ENTITY_BY_NAME["targets"]

# The columns of the targets entity, as the calendar tables are typed.
_COLUMNS = [(name, SQL_TYPES[kind]) for name, kind in TARGETS.field_types.items()]


def config_target_rows(targets: Sequence[Target]) -> list[tuple[object, ...]]:
    """config.yaml's targets as rows of the targets entity (source NULL: no CRM's)."""
    rows = []
    for index, t in enumerate(targets):
        values: dict[str, object] = {
            "id": f"config:{index}",
            "is_deleted": False,
            "kpi": t.kpi,
            "period_type": t.period_type,
            "scope_type": t.scope_type,
            "scope_id": t.scope_id,
            "value": t.value,
            "origin": "config",
        }
        rows.append(tuple(values.get(name) for name, _ in _COLUMNS))
    return rows


def load_targets(
    engine: SqlEngine, targets: Sequence[Target], rollup: Mapping[RollupScope, Sequence[str]]
) -> None:
    """The config's targets, the roll-up choices and the origins' precedence, as tables."""
    engine.load_rows("kpi_config_targets", _COLUMNS, config_target_rows(targets))
    rolled = [(scope, kpi) for scope, keys in rollup.items() for kpi in keys]
    engine.load_rows("kpi_rollup", [("scope_type", "VARCHAR"), ("kpi", "VARCHAR")], rolled)
    ranks = [(origin, rank) for rank, origin in enumerate(TARGET_ORIGINS)]
    columns = [("origin", "VARCHAR"), ("precedence", "BIGINT")]
    engine.load_rows("kpi_target_origins", columns, ranks)
