"""What a target row must say to be loaded, whatever it came from (a CSV, quotas, goals).

Rules in the form `ingest` takes (field, SQL condition TRUE when broken, reason): a KPI
of the registry, a known period and scope type, a scope named unless it is the company's,
a value its KPI's unit can mean (`settings.target_range`: a closing-ratio target of 25
is 2,500 %), an ISO currency. A row written by people (the targets CSV) names its period
as a key (`2025-Q1`), which must be a period of its type. SQL text only ever holds
registry keys checked by `ident` and numbers from the registry, never a value read.
"""

from __future__ import annotations

import typing

from connector.kpis import KPI_KEYS
from connector.schema import TARGET_ORIGINS, Entity, PeriodType, ScopeType
from connector.settings import target_range
from connector.store.db import ident

Rule = tuple[str, str, str]

PERIOD_KEY_PATTERNS: dict[str, str] = {
    "month": r"^[0-9]{4}-(0[1-9]|1[0-2])$",
    "quarter": r"^[0-9]{4}-Q[1-4]$",
    "year": r"^[0-9]{4}$",
}
"""How a period is written where people write it: 2025-01, 2025-Q1, 2025."""


def _listed(names: typing.Iterable[str]) -> str:
    return "(" + ", ".join(f"'{ident(name)}'" for name in names) + ")"


def _one_of(field: str, names: tuple[str, ...]) -> Rule:
    spelled = ", ".join(names[:-1]) + f" or {names[-1]}"
    return (field, f"t_{field} NOT IN {_listed(names)}", f"{field} must be {spelled}")


def target_rules(entity: Entity) -> list[Rule]:
    """The rules of a target entity (the `targets` table, or the targets CSV's rows)."""
    scope_types: tuple[str, ...] = typing.get_args(ScopeType)
    rules = [
        ("kpi", f"t_kpi NOT IN {_listed(KPI_KEYS)}",
         f"not a KPI key (the keys: {', '.join(KPI_KEYS)})"),
        _one_of("period_type", typing.get_args(PeriodType)),
        _one_of("scope_type", scope_types),
        ("scope_id", "t_scope_type <> 'company' AND r_scope_id IS NULL",
         "the scope is empty: a team, owner or territory target names its team, rep "
         "(e-mail) or territory"),
        ("scope_id", "t_scope_type = 'company' AND r_scope_id IS NOT NULL",
         "a company target names no scope"),
        ("currency", "t_currency IS NOT NULL AND NOT regexp_matches(t_currency, "
         "'^[A-Z]{3}$')", "not an ISO 4217 currency code"),
    ]  # fmt: skip
    rules += [_range_rule(kpi) for kpi in KPI_KEYS]
    if "origin" in entity.field_types:
        rules.append(_one_of("origin", TARGET_ORIGINS))
    if entity.field_types.get("period_start") == "str":
        rules.append(_period_key_rule())
    return rules


def _range_rule(kpi: str) -> Rule:
    bounds = target_range(kpi)
    outside = [f"t_value < {float(bounds.low)!r}"] if bounds.low is not None else []
    outside += [f"t_value > {float(bounds.high)!r}"] if bounds.high is not None else []
    condition = f"t_kpi = '{ident(kpi)}' AND ({' OR '.join(outside)})"
    return ("value", condition, f"{kpi}: {bounds.hint}")


def _period_key_rule() -> Rule:
    cases = " ".join(
        f"WHEN '{ident(kind)}' THEN NOT regexp_matches(r_period_start, '{pattern}')"
        for kind, pattern in PERIOD_KEY_PATTERNS.items()
    )
    return (
        "period_start",
        f"r_period_start IS NOT NULL AND CASE t_period_type {cases} ELSE FALSE END",
        "not a period of its period_type (2025-01 for a month, 2025-Q1 for a quarter, "
        "2025 for a year; empty for every period)",
    )
