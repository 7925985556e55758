"""How often a pull reads what changes seldom and is read whole: the CRM's own targets
(quotas, goals), set once a quarter. They are read at most once in `every_hours` (a
run again the same day, or an hourly schedule, costs no call for them), and at once
when their settings in the mapping changed; a nightly run reads them every night."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field

if TYPE_CHECKING:  # the mappings declare `every_hours` without loading the store
    from connector.store import Store

EveryHours = Annotated[
    float,
    Field(ge=0, description="read again once this many hours have passed (0: every pull)"),
]
DEFAULT_EVERY_HOURS = 12.0
_PREFIX = "seldom:"


def due(store: Store, source: str, what: str, settings: BaseModel, every_hours: float) -> bool:
    """Whether `what` (e.g. `quotas`) of `source` is to be read in this pull."""
    state = store.get_state(source, _PREFIX + what)
    if state is None or state.get("settings") != settings.model_dump_json():
        return True
    read_at = dt.datetime.fromisoformat(str(state["read_at"]))
    return _now() - read_at >= dt.timedelta(hours=every_hours)


def read(store: Store, source: str, what: str, settings: BaseModel | None) -> None:
    """Remember that `what` of `source` was read now with these settings (None: it is
    not read, and what it gave was dropped: its next settings are read at once)."""
    state = {"read_at": _now().isoformat(),
             "settings": None if settings is None else settings.model_dump_json()}  # fmt: skip
    store.set_state(source, _PREFIX + what, state)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
