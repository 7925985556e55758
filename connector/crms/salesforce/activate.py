"""`push.activate_pages: true`: setup's Account and Opportunity record pages become the
org default where the org has no Lightning page activated yet; every page an admin
activated stays.

A Lightning record page is the org default of its object through the object's View
override for Lightning Experience (Metadata API, ActionOverride: `actionName` View,
`formFactor` Large, `type` Flexipage, `content` the page). Setup reads the objects'
overrides first (`readMetadata` of `CustomObject`, one call) and deploys, in the same
zip as everything else, each object's overrides as read with only that one set: where
View in Lightning Experience is `Default` (no page activated as the org default), or is
setup's page already (a rerun deploys the same file). Any other page is left alone and
named. Assignments to apps, and to apps and profiles, still take precedence over the org
default, as Salesforce documents (ProfileActionOverride).

Not activated, whatever the setting: the Home page (the Metadata API assigns Home pages
per app, `CustomApplication` `standard-home`, which would change what each app shows) and
the User record page. Both stay one click in Lightning App Builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.crms.salesforce.bundle import Archive
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.components import Tree, render
from connector.crms.salesforce.deploy import read_overrides
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.names import PAGE_OBJECTS, PAGES

ACTIVATED = ("account", "opportunity")
"""The pages setup may activate (record pages of standard objects with a View override)."""
OVERRIDE_ORDER = ("actionName", "comment", "content", "formFactor", "skipRecordTypeSelect",
                  "type")  # fmt: skip


@dataclass
class Activation:
    """What `push.activate_pages` does on this run: pages activated, pages left alone."""

    activated: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    """Object → the Lightning page an admin activated as its org default."""

    def lines(self) -> list[str]:
        """What setup says of it."""
        out = [f"Lightning page {PAGES[k]} is the org default {PAGE_OBJECTS[k]} record page "
               "(push.activate_pages; apps' and profiles' own assignments still come first)"
               for k in self.activated]  # fmt: skip
        out += [f"{sobject} record pages stay {page!r}, which the org has activated: setup "
                "activates its pages only where none is; add the card to that page in "
                "Lightning App Builder" for sobject, page in self.kept.items()]  # fmt: skip
        return out


def _view(override: dict[str, str]) -> bool:
    return override.get("actionName") == "View" and override.get("formFactor") == "Large"


def _read(client: SalesforceClient, push: PushMapping) -> list[tuple[str, list[dict[str, str]]]]:
    """Each page setup may activate, with its object's overrides as the org has them."""
    kinds = [k for k in push.pages if k in ACTIVATED] if push.activate_pages else []
    if not kinds:
        return []
    read = read_overrides(client, [PAGE_OBJECTS[k] for k in kinds])
    return [(k, read.get(PAGE_OBJECTS[k], [])) for k in kinds]


def _active(kind: str, overrides: list[dict[str, str]]) -> str | None:
    """The page (or override type) that is the org default, None when there is none:
    setup's own page counts as none, so that a rerun deploys the same file."""
    current = next((o for o in overrides if _view(o)), {})
    if current.get("type", "Default") == "Default" or current.get("content") == PAGES[kind]:
        return None
    return current.get("content") or f"{current['type']} (no Lightning page)"


def activate(client: SalesforceClient, push: PushMapping, archive: Archive) -> Activation:
    """Add to the archive each object file that activates one of setup's record pages."""
    done = Activation()
    for kind, overrides in _read(client, push):
        sobject, page = PAGE_OBJECTS[kind], PAGES[kind]
        active = _active(kind, overrides)
        if active is not None:
            done.kept[sobject] = active
            continue
        ours = {"actionName": "View", "content": page, "formFactor": "Large",
                "skipRecordTypeSelect": "false", "type": "Flexipage"}
        kept = [o for o in overrides if not _view(o)]
        archive.add(f"objects/{sobject}.object", "CustomObject", sobject,
                    render("CustomObject", [_override(o) for o in [*kept, ours]]))
        done.activated.append(kind)
    return done


def pending(client: SalesforceClient, push: PushMapping) -> list[str]:
    """The pages setup would activate now (`validate`): asked for, and no page active."""
    return [f"activate the Lightning page {PAGES[kind]} as the org default "
            f"{PAGE_OBJECTS[kind]} record page (push.activate_pages)"
            for kind, overrides in _read(client, push)
            if _active(kind, overrides) is None
            and not any(_view(o) and o.get("content") == PAGES[kind] for o in overrides)]


def _override(override: dict[str, str]) -> tuple[str, Tree]:
    """One ActionOverride as read, its elements in the WSDL's order."""
    known = [k for k in OVERRIDE_ORDER if override.get(k)]
    return ("actionOverrides", [(k, override[k]) for k in known])
