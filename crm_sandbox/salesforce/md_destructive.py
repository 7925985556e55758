"""The deletions a deploy's delete manifests ask for: found or not, then carried out.

Metadata API Developer Guide, "Deleting Components from an Organization": a component a
delete manifest names that the org does not have is not an error ("the rest of the
deletions are still attempted"); it is a warning, `No <Type> named: <name> found`, on the
manifest's file, so a deploy that does not set `ignoreWarnings` fails on it (DeployOptions:
"If ignoreWarnings is set to false, success is set to false and the warning is treated like
an error"). A deleted sharing rule stops sharing at once: the next read of any API sees
the rows its criteria shared only through ownership, the role hierarchy and other rules.
"""

from __future__ import annotations

from .md_package import Deletion, Package
from .md_types import Plan
from .md_xml import Problem


def check(pkg: Package, plan: Plan) -> None:
    """Mark each deletion found or not; a missing one is the manifest's warning."""
    for d in pkg.deletions:
        d.found = _exists(d, plan)
        if not d.found:
            pkg.warnings.append((d.type, d.manifest, Problem(
                f"No {d.type} named: {d.full_name} found", file_name=d.manifest)))


def _exists(d: Deletion, plan: Plan) -> bool:
    sobject, _, name = d.full_name.partition(".")
    if any(r.name == name for r in plan.ctx.access.sharing_rules(sobject)):
        return True
    # After this deploy's own components: a rule its SharingRules file adds counts.
    deployed = plan.item("SharingRules", sobject) if d.phase == "post" else None
    return deployed is not None and any(r["name"] == name for r in deployed.value)


def delete(pkg: Package, phase: str, plan: Plan) -> None:
    """Delete the found components of one phase (the org's rows are undone with the
    deploy's transaction when it rolls back; the access model recomputes then too)."""
    for d in pkg.deletions:
        if d.phase != phase or not d.found:
            continue
        sobject, _, name = d.full_name.partition(".")
        plan.ctx.access.delete_sharing_rule(sobject, name)
        plan.undo.append(plan.ctx.access.changed)
        kept = plan.catalog.get("SharingRules", sobject)
        if kept is not None:
            plan.catalog.remember("SharingRules", sobject,
                                  [r for r in kept if r["name"] != name])
