"""Tiny orgs for the KPI engine tests: rows go straight into the normalized tables.

`org` is a fresh in-memory store with a builder that fills the defaults (source 'test',
is_deleted false, ...). `org.run(as_of=...)` runs the engine and returns the results,
which `res.value("total_revenue", "2025-01", "owner", "o1")` and `res.row(...)` read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from connector.kpi.engine import ComputeResult, compute
from connector.kpi.periods import Period, parse_period
from connector.schema import ENTITY_BY_NAME
from connector.settings import KpiSettings, Reporting, Target, target_range
from connector.store import Store

SOURCE = "test"


def _ts(value: Any) -> Any:
    """'2025-01-15' or '2025-01-15T10:00' -> naive datetime (UTC in the store)."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value if "T" in value else value + "T12:00")
    return value


def _date(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


class Results:
    """The kpi_results rows of one computation, with exact-one-row lookups."""

    def __init__(self, rows: list[dict[str, Any]], outcome: ComputeResult, findings: list[Any]):
        self.rows = rows
        self.outcome = outcome
        self.findings = findings

    def _select(
        self, kpi: str, period: str, scope_type: str, scope_id: str | None, b_type: str | None
    ) -> list[dict[str, Any]]:
        return [
            r
            for r in self.rows
            if (r["kpi"], r["period"], r["scope_type"], r["scope_id"], r["breakdown_type"])
            == (kpi, period, scope_type, scope_id, b_type)
        ]

    def find(
        self,
        kpi: str,
        period: str,
        scope_type: str = "company",
        scope_id: str | None = None,
        breakdown: tuple[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        b_type, b_value = breakdown if breakdown else (None, None)
        rows = self._select(kpi, period, scope_type, scope_id, b_type)
        return [r for r in rows if r["breakdown_value"] == b_value]

    def row(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        found = self.find(*args, **kwargs)
        assert len(found) == 1, f"expected one row for {args} {kwargs}, got {found}"
        return found[0]

    def value(self, *args: Any, **kwargs: Any) -> Any:
        return self.row(*args, **kwargs)["value"]

    def breakdown(
        self,
        kpi: str,
        period: str,
        b_type: str,
        scope_type: str = "company",
        scope_id: str | None = None,
    ) -> dict[str, Any]:
        """{breakdown value: value} for one KPI, period, scope and breakdown type."""
        rows = self._select(kpi, period, scope_type, scope_id, b_type)
        return {r["breakdown_value"]: r["value"] for r in rows}


class Org:
    """A builder over one in-memory store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def put(self, table: str, **fields: Any) -> str:
        """Upsert one row by (source, id): unspecified fields are NULL (or their default)."""
        entity = ENTITY_BY_NAME[table]
        fields.setdefault("source", SOURCE)
        fields.setdefault("is_deleted", False)
        fields.setdefault("id", self._id(table[:3]))
        for name, kind in entity.field_types.items():
            if name in fields and kind == "timestamp":
                fields[name] = _ts(fields[name])
            elif name in fields and kind == "date":
                fields[name] = _date(fields[name])
        unknown = set(fields) - set(entity.field_types)
        assert not unknown, f"{table} has no field {unknown}"
        columns = list(entity.field_types)
        self.store.execute(
            f"DELETE FROM {entity.table} WHERE source = ? AND id = ?",
            [fields["source"], fields["id"]],
        )
        self.store.execute(
            f"INSERT INTO {entity.table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            [fields.get(c) for c in columns],
        )
        return str(fields["id"])

    def delete(self, table: str, id: str) -> None:
        """Mark a record deleted, as a sync does when the CRM deletes it."""
        self.store.execute(
            f"UPDATE {ENTITY_BY_NAME[table].table} SET is_deleted = TRUE WHERE id = ?", [id]
        )

    # --- entities -------------------------------------------------------------------
    def owner(
        self, id: str, team: str | None = None, territory: str | None = None, **kw: Any
    ) -> str:
        return self.put("owners", id=id, team=team, territory=territory, **kw)

    def account(
        self, id: str, owner: str | None = None, territory: str | None = None, **kw: Any
    ) -> str:
        return self.put("accounts", id=id, owner_id=owner, territory=territory, **kw)

    def deal(
        self,
        amount: float | None = None,
        close: str | None = None,
        *,
        won: bool = True,
        lost: bool = False,
        owner: str | None = None,
        account: str | None = None,
        created: str | None = None,
        currency: str | None = None,
        **kw: Any,
    ) -> str:
        """A deal: won by default (is_closed and is_won); `lost=True` closes it lost;
        `close=None` leaves it open. Created at noon UTC on its close date unless given."""
        if close is None:
            won = False
        created = created or (close + "T12:00" if close else "2025-01-10T12:00")
        return self.put(
            "opportunities",
            amount=amount,
            close_date=close,
            is_closed=bool(close) and (won or lost),
            is_won=won and not lost,
            owner_id=owner,
            account_id=account,
            created_at=created,
            currency=currency,
            **kw,
        )

    def lead(self, created: str, owner: str | None = None, **kw: Any) -> str:
        return self.put("leads", created_at=created, owner_id=owner, **kw)

    def activity(self, method: str, when: str, owner: str | None = None, **kw: Any) -> str:
        return self.put("activities", method=method, occurred_at=when, owner_id=owner, **kw)

    def line(
        self,
        deal: str,
        quantity: float,
        price: float,
        cost: float | None = None,
        product: str | None = None,
        **kw: Any,
    ) -> str:
        return self.put(
            "line_items",
            opportunity_id=deal,
            quantity=quantity,
            unit_price=price,
            unit_cost=cost,
            product_name=product,
            **kw,
        )

    def survey(self, score: int, when: str, account: str | None = None, **kw: Any) -> str:
        return self.put(
            "survey_responses", score=score, responded_at=when, account_id=account, **kw
        )

    def cost(self, amount: float, start: str, end: str, category: str = "sales", **kw: Any) -> str:
        return self.put(
            "costs", amount=amount, period_start=start, period_end=end, category=category, **kw
        )

    def rate(self, currency: str, rate: float, valid_from: str, **kw: Any) -> str:
        return self.put(
            "exchange_rates", currency=currency, rate_to_reporting=rate, valid_from=valid_from, **kw
        )

    # --- running the engine -----------------------------------------------------------
    def run(
        self,
        as_of: str = "2025-12-31",
        *,
        periods: Sequence[str] | None = None,
        targets: Sequence[Target] = (),
        currency: str = "USD",
        timezone: str = "UTC",
        fiscal: int = 1,
        **settings: Any,
    ) -> Results:
        reporting = Reporting(currency=currency, timezone=timezone, fiscal_year_start_month=fiscal)
        wanted: list[Period] | None = (
            None if periods is None else [parse_period(p, fiscal) for p in periods]
        )
        outcome = compute(
            self.store,
            reporting,
            KpiSettings(**settings),
            targets,
            periods=wanted,
            as_of=dt.date.fromisoformat(as_of),
        )
        rows = self.store.fetch_dicts("SELECT * FROM kpi_results")
        findings = self.store.fetch(
            "SELECT record_id, field, value, problem FROM findings WHERE origin = 'kpi engine' "
            "ORDER BY record_id"
        )
        return Results(rows, outcome, findings)


def target(
    kpi: str,
    value: float,
    period_type: str = "month",
    scope_type: str = "company",
    scope_id: str | None = None,
) -> Target:
    fields = {"kpi": kpi, "period_type": period_type, "value": value, "scope_type": scope_type,
              "scope_id": scope_id}  # fmt: skip
    if target_range(kpi).problem(value) is not None:
        # config.yaml refuses such a value; the engine must still answer sensibly (a target
        # <= 0 has no attainment), so its tests build one without the config's check.
        return Target.model_construct(**fields)
    return Target.model_validate(fields)


@pytest.fixture
def org() -> Iterator[Org]:
    store = Store(":memory:")
    try:
        yield Org(store)
    finally:
        store.close()


@pytest.fixture(scope="session")
def new_org() -> Iterator[Any]:
    """A factory of orgs, for module-scoped fixtures and hypothesis tests."""
    stores: list[Store] = []

    def make() -> Org:
        stores.append(Store(":memory:"))
        return Org(stores[-1])

    yield make
    for store in stores:
        store.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole test run, started by its first user."""
    from spark_support import spark_session

    yield from spark_session()


@pytest.fixture(scope="session")
def make_target() -> Any:
    return target
