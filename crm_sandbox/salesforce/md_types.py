"""What every metadata type handler is, and the plan a deploy checks references against.

A deploy reads every component (`parse`: the file against the type's schema and rules),
then checks each one's references in dependency order (`check`: to components of the
same zip that passed, or to what the org already has), then saves the ones that passed
(`apply`), all of them or none when `rollbackOnError` asks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .catalog import Catalog
from .context import Context
from .md_package import Component
from .md_xml import Problem
from .model import SObject


@dataclass
class Item:
    """One component read from the zip: what its type handler made of it."""

    comp: Component
    value: Any  # the type's parsed definition
    problem: Problem | None = None
    result_id: str | None = None
    created: bool = False


@dataclass
class Plan:
    """The components of one deploy and the org they deploy into."""

    ctx: Context
    catalog: Catalog
    version: float  # the API version the files are read in (package.xml, else the URL's)
    user_id: str  # who deploys
    items: dict[tuple[str, str], Item] = field(default_factory=dict)
    undo: list[Callable[[], None]] = field(default_factory=list)  # what saving changed
    # outside the org's tables and the catalog, newest last

    def item(self, kind: str, name: str) -> Item | None:
        """A component of this deploy that has not failed (so far)."""
        found = self.items.get((kind, name))
        return found if found is not None and found.problem is None else None

    def has(self, kind: str, name: str) -> bool:
        """Whether a component exists in this deploy (not failed) or in the org."""
        return self.item(kind, name) is not None or self.catalog.get(kind, name) is not None

    def definition(self, kind: str, name: str) -> Any:
        """A component's definition: this deploy's if it has one, else the org's."""
        found = self.item(kind, name)
        return found.value if found is not None else self.catalog.get(kind, name)

    def sobject(self, name: str) -> SObject | None:
        return self.ctx.registry.get(name)

    def has_object(self, name: str) -> bool:
        """An sObject of the org, or a custom object this deploy creates."""
        return self.sobject(name) is not None or self.item("CustomObject", name) is not None

    def object_flag(self, name: str, setting: str, default: bool = False) -> bool:
        """A CustomObject setting (enableReports, …) as this deploy or the org has it."""
        found = self.item("CustomObject", name)
        if found is not None and setting in found.value.settings:
            return bool(found.value.settings[setting])
        return self.catalog.settings(name).enabled(setting, default)


class TypeHandler(Protocol):
    """One metadata type: read, check references, save."""

    type: str

    def parse(self, comp: Component, plan: Plan) -> Any:
        """The component's definition; raises `Problem` for what Salesforce refuses."""

    def check(self, item: Item, plan: Plan) -> None:
        """Raise `Problem` for a reference to something neither the zip nor the org has."""

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        """Save the component: (its id, whether it was created)."""
