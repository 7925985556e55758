"""The sections of config.yaml every layer reads: reporting, store, KPI settings, targets.

Every model forbids unknown keys, so a typo (``curency:``) is reported with its line.
The root model, `connector.config.Config`, adds the sources; it lives above the CRM
folders, whose config models these sections do not need to know.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from connector.currencies import LIST_DATE, is_iso_4217
from connector.kpis import ADDITIVE_KEYS, BASES, KPI_KEYS, KpiKey, get_kpi
from connector.schema import PeriodType, ScopeType
from connector.yamlfile import (
    ConfigModel,
    KeyPath,
    Problem,
    ResolvedPath,
    context_line,
    located_error,
)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SOURCE_NAME = re.compile(r"^[a-z0-9_-]+$")


def _check_currency(code: str) -> str:
    if not _CURRENCY.match(code):
        raise PydanticCustomError(
            "currency", "currency must be an ISO 4217 code of 3 upper-case letters, like USD"
        )
    if not is_iso_4217(code):
        raise PydanticCustomError(
            "currency", "not an ISO 4217 currency code: {code} (list of {date})",
            {"code": code, "date": LIST_DATE},
        )
    return code


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError/OSError: names that are not even file-like (empty, "../x", a folder).
        raise PydanticCustomError(
            "timezone",
            "unknown time zone {name}; use an IANA name like Europe/Paris or UTC",
            {"name": name},
        ) from None
    return name


TARGETS_FILE_SOURCE = "targets_file"
"""The store's source name of the targets that config.yaml's `targets_file` gives."""


def _check_source_name(name: str) -> str:
    if not _SOURCE_NAME.match(name):
        raise PydanticCustomError(
            "source_name", "source names use only a-z, 0-9, _ and - (lower case)"
        )
    if name == TARGETS_FILE_SOURCE:
        raise PydanticCustomError(
            "source_name", "targets_file names the targets CSV's rows: give the source another name"
        )
    return name


def _not_a_bool(value: Any) -> Any:
    # YAML reads yes/no/true/false as booleans, which pydantic would take as 1 and 0.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "input should be a number, not true/false")
    return value


def _known_kpi(value: object) -> object:
    # Said in the domain's words, before pydantic lists every literal it expected.
    if isinstance(value, str) and value not in KPI_KEYS:
        close = difflib.get_close_matches(value, KPI_KEYS, n=1)
        hint = f"did you mean {close[0]}?" if close else f"the keys: {', '.join(KPI_KEYS)}"
        raise PydanticCustomError("kpi_key", "'{key}' is not a KPI key; {hint}",
                                  {"key": value, "hint": hint})  # fmt: skip
    return value


KnownKpi = Annotated[KpiKey, BeforeValidator(_known_kpi)]
"""A KPI key in config or a mapping: a typo is named as such, with the keys."""


def _money_kpi(key: KpiKey) -> KpiKey:
    if get_kpi(key).unit != "money":
        raise PydanticCustomError(
            "money_kpi",
            "{key} is not an amount: a quota or goal amount can only be the target of a "
            "money KPI such as total_revenue",
            {"key": key},
        )
    return key


Currency = Annotated[str, AfterValidator(_check_currency)]
MoneyKpi = Annotated[KnownKpi, AfterValidator(_money_kpi)]
"""A KPI whose values are amounts: what a CRM's quotas and goals can be targets of."""
Number = Annotated[float, BeforeValidator(_not_a_bool), Field(allow_inf_nan=False)]
Integer = Annotated[int, BeforeValidator(_not_a_bool)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
SourceName = Annotated[str, AfterValidator(_check_source_name)]


class Reporting(ConfigModel):
    """How KPIs are reported: one currency, the org's time zone, the fiscal year."""

    currency: Currency
    timezone: Timezone
    fiscal_year_start_month: Integer = Field(default=1, ge=1, le=12)


class StoreSettings(ConfigModel):
    """Where the DuckDB file lives, and how long a run's lease on it lasts unrenewed."""

    path: ResolvedPath = Field(default=Path("crm-kpi.duckdb"), validate_default=True)
    lock_lease_seconds: float = Field(default=300, ge=2, le=86_400)
    """A run renews its lease every third of this; a lease not renewed for this long
    (its holder was killed, on this host or another) is taken over by the next run."""


def reject_duplicates(
    keys: list[Hashable], info: ValidationInfo, suffix: KeyPath, what: str
) -> None:
    """Error on every item whose key an earlier item has, naming the earlier one's line."""
    field = info.field_name or ""
    first: dict[Hashable, int] = {}
    problems: list[Problem] = []
    for index, key in enumerate(keys):
        earlier = first.setdefault(key, index)
        if earlier == index:
            continue
        line = context_line(info, (field, earlier, *suffix))
        at_line = f" at line {line}" if line is not None else ""
        message = f"duplicate {what} as {field}[{earlier}]{at_line}"
        problems.append(((index, *suffix), "duplicate", message))
    if problems:
        raise located_error(field, problems)


RollupScope = Literal["team", "territory", "company"]
"""A scope whose target may be the sum of its reps' targets."""


def _additive_only(rollup: dict[RollupScope, list[KpiKey]]) -> dict[RollupScope, list[KpiKey]]:
    problems: list[Problem] = []
    for scope, keys in rollup.items():
        for index, key in enumerate(keys):
            if key not in ADDITIVE_KEYS:
                message = (
                    f"{key} does not add up across reps (a sum of ratios, averages or "
                    f"scores means nothing); a {scope} target can be the sum of its reps' "
                    f"only for {', '.join(ADDITIVE_KEYS)}"
                )
                problems.append(((scope, index), "not_additive", message))
    if problems:
        raise located_error("target_rollup", problems)
    return rollup


class PaceSettings(ConfigModel):
    """When the period in progress gets a pace (actual against the target pro-rated to
    the elapsed share of the period): once every minimum is met. Early in a period one
    deal makes a pace of 800 %: a number that says nothing, so none is given, with a note
    saying from when it will be."""

    min_days: Integer = Field(default=7, ge=1, le=28)
    """Days of the period elapsed (today included)."""
    min_share: Number = Field(default=0.25, ge=0, le=1)
    """Share of the period elapsed: 0.25 is day 8 of a month, day 23 of a quarter."""
    min_deals: Integer = Field(default=0, ge=0)
    """Deals won by the scope in the period so far. 0 by default: a rep without a won
    deal halfway through the month is behind, and pace is there to say so."""


class KpiSettings(ConfigModel):
    """The KPI definition choices (docs/kpis.md): each basis setting's options are the
    registry's (`connector.kpis.BASES`), checked when this module loads."""

    clv_lifespan_years: Number | None = Field(default=None, gt=0)
    churn_basis: Literal["acquired", "start"] = "start"
    closing_basis: Literal["created", "closed"] = "created"
    growth_basis: Literal["previous", "year_over_year"] = "previous"
    default_cogs_rate: Number = Field(default=0.0, ge=0, le=1)
    churn_after_days: Integer | None = Field(default=None, gt=0)
    pace: PaceSettings = Field(default_factory=PaceSettings)
    engine: Literal["duckdb", "spark"] = "duckdb"
    """What runs the KPI SQL: DuckDB, embedded, or Apache Spark (the `spark:` section)."""
    target_rollup: Annotated[
        dict[RollupScope, list[KnownKpi]], AfterValidator(_additive_only)
    ] = Field(default_factory=dict)
    """Per scope type, the KPIs whose target, for a scope without its own, is the sum of
    the targets of the reps in it (`team: [total_revenue]`)."""


def _check_bases() -> None:
    """The basis settings offer exactly the options the registry words (and default)."""
    for setting, basis in BASES.items():
        field = KpiSettings.model_fields[setting]
        if set(get_args(field.annotation)) != set(basis.names):
            raise ValueError(f"kpis.{setting}: options {get_args(field.annotation)} are not "
                             f"the registry's {basis.names}")  # fmt: skip
        if field.default != basis.default:
            raise ValueError(f"kpis.{setting}: default {field.default} is not the registry's")


_check_bases()


@dataclass(frozen=True)
class TargetRange:
    """The values a target of one KPI can mean, from its unit in the KPI registry."""

    low: float | None
    high: float | None
    hint: str
    """What the unit is, said to someone whose value fell outside the range."""

    def problem(self, value: float) -> str | None:
        """Why `value` cannot be meant as this target, or None when it can."""
        if (self.low is None or value >= self.low) and (self.high is None or value <= self.high):
            return None
        if self.hint.startswith("a ratio") and abs(value) > 1:
            return f"{self.hint}; {value:g} would be {value * 100:,.0f} %"
        return f"{self.hint}, not {value:g}"


def target_range(kpi: str) -> TargetRange:
    """The range of sensible targets of `kpi`: ratios are fractions (a closing-ratio
    target of 25 is 2,500 %), NPS runs from -100 to 100, money, days and multiples are
    not negative. Growth may fall (to -100 %) or multiply (up to 1,000 %)."""
    found = get_kpi(kpi)
    if found.unit == "ratio" and found.signed:
        return TargetRange(-1.0, 10.0, "a ratio is written as a fraction: 0.05 for 5 %")
    if found.unit == "ratio":
        return TargetRange(0.0, 1.0, "a ratio is written as a fraction: 0.25 for 25 %")
    if found.unit == "score":
        return TargetRange(-100.0, 100.0, f"{found.short_label} runs from -100 to 100")
    what = {"money": "an amount", "days": "a number of days", "multiple": "a multiple"}
    return TargetRange(0.0, None, f"{what[found.unit]} cannot be negative")


class Target(ConfigModel):
    """A target for one KPI, period type and scope; company-wide unless scoped."""

    kpi: KnownKpi
    period_type: PeriodType
    value: Number
    scope_type: ScopeType = "company"
    scope_id: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _scope_and_value_make_sense(self) -> Target:
        problems: list[Problem] = []
        if self.scope_type == "company" and self.scope_id is not None:
            message = "scope_id is not allowed when scope_type is company"
            problems.append((("scope_id",), "scope_id", message))
        if self.scope_type != "company" and self.scope_id is None:
            message = f"scope_id is required when scope_type is {self.scope_type}"
            problems.append((("scope_id",), "missing", message))
        unlikely = target_range(self.kpi).problem(self.value)
        if unlikely is not None:
            problems.append((("value",), "target_range", f"{self.kpi}: {unlikely}"))
        if problems:
            raise located_error("Target", problems)
        return self

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        """What makes two targets the same target."""
        return (self.kpi, self.period_type, self.scope_type, self.scope_id)


def unique_targets(targets: list[Target], info: ValidationInfo) -> list[Target]:
    keys: list[Hashable] = [target.key for target in targets]
    reject_duplicates(keys, info, (), "target: same kpi, period_type and scope")
    return targets




_MASTER = re.compile(r"^(local(\[(\*|\d+)(,\d+)?\])?|spark://\S+|yarn|k8s://\S+)$")


_REMOTE = re.compile(r"^(sc://\S+|local(\[(\*|\d+)\])?)$")


def _check_remote(remote: str) -> str:
    if not _REMOTE.match(remote):
        raise PydanticCustomError(
            "spark_remote",
            "not a Spark Connect URL: use sc://host:15002 (or local[*] for a Spark Connect "
            "server this process starts)",
        )
    return remote


def _check_master(master: str) -> str:
    if not _MASTER.match(master):
        raise PydanticCustomError(
            "spark_master",
            "not a Spark master: use local[*], local[N], spark://host:7077, yarn or "
            "k8s://https://host:443",
        )
    return master


class LakeSettings(ConfigModel):
    """Where Spark reads the normalized tables when they already live in a lake: one
    table per entity at `<path>/<entity>` (owners, accounts, ...), with the normalized
    columns. The store then only receives the results."""

    path: str = Field(min_length=1)
    """A folder or any URI the cluster reads (s3a://, abfss://, gs://, hdfs://)."""
    format: Literal["parquet", "delta"] = "parquet"


class SparkSettings(ConfigModel):
    """How to reach Spark when `kpis.engine` is spark: a master, or Spark Connect."""

    master: Annotated[str, AfterValidator(_check_master)] = "local[*]"
    remote: Annotated[str, AfterValidator(_check_remote)] | None = None
    """A Spark Connect URL (sc://host:15002, Databricks Connect's); instead of `master`."""
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)
    """Any Spark settings (spark.executor.memory: 4g, ...), passed as they are."""
    staging: ResolvedPath | None = None
    """Where the store's tables are written as Parquet for Spark (default: a folder
    beside the store). On a cluster, a path every node reads."""
    lake: LakeSettings | None = None

    @model_validator(mode="after")
    def _master_or_remote(self) -> SparkSettings:
        if self.remote is not None and "master" in self.model_fields_set:
            message = "set master or remote (Spark Connect), not both"
            raise located_error("SparkSettings", [(("remote",), "spark_remote", message)])
        return self
