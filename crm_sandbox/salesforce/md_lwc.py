"""LightningComponentBundle (a Lightning web component) as a deploy reads and saves it.

Metadata API Developer Guide, "LightningComponentBundle"; LWC Developer Guide, "XML
Configuration File Elements" and "Component Folder": a bundle is the folder `lwc/x/`
with `x.js` and `x.js-meta.xml` (and `x.html`, `.css`, `.svg`, more `.js` and `.html`);
the folder name begins with a lowercase letter and holds only alphanumerics and single
underscores. `isExposed` and `targets` say where Lightning App Builder may place it;
`targetConfigs/targetConfig@targets` configure one or more targets (`objects` restricts a
record page target to those sObjects, `property` declares what a page may set). Imports
of `@salesforce/schema/Object.Field` must name fields the org has, `@salesforce/apex/…`
an Apex class (the sandbox org has none), `c/other` a component. Available from API
version 45.0. Saved bundles are the Tooling API's LightningComponentBundle and
LightningComponentResource rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..ids import sf_id
from .md_package import Component
from .md_types import Item, Plan
from .md_xml import BOOL, NUMBER, TEXT, Node, Problem, check, spec

BUNDLE_SPEC = spec("LightningComponentBundle", apiVersion_=NUMBER, description=TEXT,
                   isExplicitImport=BOOL, isExposed=BOOL, masterLabel=TEXT,
                   targets=spec("Targets", target__=TEXT),
                   targetConfigs=spec("TargetConfigs", targetConfig__=spec(
                       "TargetConfig", objects=spec("Objects", object__=TEXT), property__=TEXT,
                       supportedFormFactors=spec("SupportedFormFactors",
                                                 supportedFormFactor__=TEXT))))
TARGETS = frozenset({
    "lightning__AppPage", "lightning__HomePage", "lightning__RecordPage", "lightning__Tab",
    "lightning__UtilityBar", "lightning__FlowScreen", "lightning__RecordAction",
    "lightning__GlobalAction", "lightning__Inbox", "lightning__UrlAddressable",
    "lightningCommunity__Page", "lightningCommunity__Default", "lightning__Dashboard"})
FORMATS = {".js": "js", ".html": "html", ".css": "css", ".svg": "svg", ".json": "json"}
_NAME = re.compile(r"^[a-z][A-Za-z0-9_]*$")
_IMPORT = re.compile(r"""\bfrom\s+['"]([^'"]+)['"]|\bimport\s+['"]([^'"]+)['"]""")


@dataclass
class BundleDef:
    """What pages and tabs need to know of a deployed bundle."""

    name: str
    exposed: bool
    label: str
    targets: set[str] = field(default_factory=set)
    objects: dict[str, set[str]] = field(default_factory=dict)  # target → allowed sObjects
    properties: dict[str, set[str]] = field(default_factory=dict)  # target → property names
    sources: dict[str, str] = field(default_factory=dict)  # path → text
    api_version: float = 0.0
    description: str = ""
    target_configs: str = ""


class Bundles:
    """LightningComponentBundle: read the folder, check imports, save the resources."""

    type = "LightningComponentBundle"

    def parse(self, comp: Component, plan: Plan) -> BundleDef:
        name, root = comp.full_name, comp.root
        assert root is not None
        meta_path = f"lwc/{name}/{name}.js-meta.xml"
        if plan.version < 45.0:
            raise Problem(f"LightningComponentBundle needs API version 45.0 or later; this "
                          f"package is read in {plan.version}", file_name=meta_path)
        if not _NAME.match(name) or "__" in name or name.endswith("_") or len(name) > 80:
            raise Problem(f"The component name {name!r} must begin with a lowercase letter "
                          "and contain only alphanumeric characters or single underscores "
                          "(not at the end)", file_name=f"lwc/{name}")
        _with_file(meta_path, check, root, BUNDLE_SPEC)
        bundle = BundleDef(name, root.flag("isExposed"), root.get("masterLabel") or name,
                           api_version=float(root.get("apiVersion") or 0),
                           description=root.get("description") or "")
        bundle.sources = _sources(comp, name)
        targets = root.one("targets")
        for node in targets.all("target") if targets is not None else []:
            if node.text.strip() not in TARGETS:
                raise _at(node, meta_path, f"Invalid target '{node.text.strip()}'")
            bundle.targets.add(node.text.strip())
        _target_configs(root.one("targetConfigs"), bundle, meta_path)
        if f"lwc/{name}/{name}.js" not in bundle.sources:
            raise Problem(f"A Lightning web component needs the JavaScript file {name}.js",
                          file_name=f"lwc/{name}")
        return bundle

    def check(self, item: Item, plan: Plan) -> None:
        bundle: BundleDef = item.value
        for path, text in bundle.sources.items():
            if path.endswith(".js"):
                _check_imports(path, text, plan)
        for target, objects in bundle.objects.items():
            for obj in sorted(objects):
                if not plan.has_object(obj):
                    raise Problem(f"Invalid object '{obj}' in targetConfig {target}",
                                  file_name=f"lwc/{bundle.name}/{bundle.name}.js-meta.xml")

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        b: BundleDef = item.value
        row = {"developer_name": b.name, "master_label": b.label, "api_version": b.api_version,
               "description": b.description, "is_exposed": b.exposed,
               "target_configs": b.target_configs}
        n, created = plan.catalog.put(self.type, b.name, "sf_md_bundles", row, b)
        org = plan.ctx.org
        old = org.keys("sf_md_resources", f"bundle_n = {int(n)}")
        if old:  # a bundle deploy replaces all its files
            org.purge("sf_md_resources", old)
        for path, text in sorted(b.sources.items()):
            suffix = ".js-meta.xml" if path.endswith(".js-meta.xml") else \
                path[path.rfind("."):]
            org.insert("sf_md_resources", {"bundle_n": n, "file_path": path, "source": text,
                                        "format": FORMATS.get(suffix, "xml")})
        return sf_id("0Rb", n), created


def _with_file(path: str, step: Any, *args: Any) -> None:
    try:
        step(*args)
    except Problem as exc:
        exc.file_name = exc.file_name or path
        raise


def _at(node: Node, path: str, message: str) -> Problem:
    return Problem(message, node.line, node.column, path)


def _sources(comp: Component, name: str) -> dict[str, str]:
    """The bundle's files as text; a file of a kind a bundle cannot hold fails it."""
    out = {}
    for path, data in comp.files.items():
        rel = path[len(f"lwc/{name}/"):]
        if "__tests__" in rel.split("/"):
            raise Problem("Jest tests (__tests__) are not deployed: leave them out of the zip "
                          "(.forceignore)", file_name=path)
        suffix = ".js-meta.xml" if rel.endswith(".js-meta.xml") else \
            rel[rel.rfind("."):] if "." in rel else ""
        if suffix not in (*FORMATS, ".js-meta.xml") or (
                suffix == ".js-meta.xml" and rel != f"{name}.js-meta.xml"):
            raise Problem(f"The file {rel} cannot be part of a Lightning web component "
                          "bundle (js, html, css, svg, json and its js-meta.xml)", file_name=path)
        try:
            out[path] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Problem(f"The file {rel} is not UTF-8 text", file_name=path) from exc
    return out


def _target_configs(node: Node | None, bundle: BundleDef, path: str) -> None:
    """`<targetConfig targets="a,b">` with `objects/object` and `property` children."""
    if node is None:
        return
    bundle.target_configs = "".join(f"<{c.tag} targets=\"{c.attrs.get('targets', '')}\"/>"
                                    for c in node.children)
    for config in node.children:
        if config.tag != "targetConfig":
            raise _at(config, path, f"Element {config.tag} invalid at this location in type "
                                    "targetConfigs")
        targets = [t.strip() for t in config.attrs.get("targets", "").split(",") if t.strip()]
        if not targets:
            raise _at(config, path, "A targetConfig needs its targets attribute")
        for target in targets:
            if target not in bundle.targets:
                raise _at(config, path, f"The target '{target}' of a targetConfig is not "
                                        "listed in targets")
            _config_children(config, target, bundle, path)


def _config_children(config: Node, target: str, bundle: BundleDef, path: str) -> None:
    for child in config.children:
        if child.tag == "objects":
            if target not in ("lightning__RecordPage", "lightning__RecordAction"):
                raise _at(child, path, f"objects can't be set for the target {target}")
            bundle.objects.setdefault(target, set()).update(
                o.text.strip() for o in child.all("object"))
        elif child.tag == "property":
            if not child.attrs.get("name") or child.attrs.get("type", "String") not in (
                    "String", "Integer", "Boolean", "Color"):
                raise _at(child, path, "A property needs a name and a type of String, "
                                       "Integer, Boolean or Color")
            bundle.properties.setdefault(target, set()).add(child.attrs["name"])
        elif child.tag != "supportedFormFactors":
            raise _at(child, path, f"Element {child.tag} invalid at this location in type "
                                   "targetConfig")


def _check_imports(path: str, text: str, plan: Plan) -> None:
    """Schema, Apex and component imports name what the org (or the zip) has."""
    for m in _IMPORT.finditer(text):
        module = m.group(1) or m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        why = _import_problem(module, plan)
        if why:
            raise Problem(why, line, column, path)


def _import_problem(module: str, plan: Plan) -> str | None:
    if module.startswith("@salesforce/schema/"):
        ref = module.removeprefix("@salesforce/schema/")
        obj_name, _, field_name = ref.partition(".")
        obj = plan.sobject(obj_name)
        if obj is None:
            return None if plan.has_object(obj_name) and not field_name else \
                f"Invalid reference {ref} of type sobjectType"
        first = field_name.split(".", 1)[0]
        if field_name and obj.get(first) is None and obj.relationship(first) is None:
            return f"Invalid reference {ref} of type sobjectField"
        return None
    if module.startswith("@salesforce/apex"):
        cls = module.removeprefix("@salesforce/apex/").split(".", 1)[0]
        return f"Unable to find Apex action class referenced as '{cls}'."
    if module.startswith("@salesforce/label/"):
        return f"Custom label not found: {module.removeprefix('@salesforce/label/')}"
    if module.startswith("c/") and not plan.has("LightningComponentBundle", module[2:]):
        return f"Unable to find module {module}"
    return None
