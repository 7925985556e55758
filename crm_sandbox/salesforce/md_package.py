"""The deploy zip: `package.xml` and the component files it names.

Layout as the Metadata API Developer Guide describes it ("Deploying and Retrieving
Metadata", "Sample package.xml Manifest Files", each type's "File Suffix and Directory
Location"): with `singlePackage` the zip's root holds `package.xml` (else one folder
does); `<types>` list `<members>` of a metadata type by full name (`*` for all of a type,
never for reports and dashboards) and `<version>` is the API version the files are read
in. Each member is found at its documented place: `tabs/X.tab`, `objects/X.object`,
`flexipages/X.flexipage`, `permissionsets/X.permissionset`, `sharingRules/X.sharingRules`,
`lwc/x/` (a folder with `x.js-meta.xml`), `reports/F-meta.xml` (a folder) and
`reports/F/R.report`, `dashboards/F-meta.xml` and `dashboards/F/D.dashboard`.

Delete manifests ("Deleting Components from an Organization"): `destructiveChanges.xml`
or `destructiveChangesPre.xml` (deleted before the package's components are saved) and
`destructiveChangesPost.xml` (after), beside `package.xml`, in its format without
wildcards. The sandbox deletes `SharingCriteriaRule` members (`Object.RuleName`); any
other type is a failure naming it, never a silent success.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from .md_xml import TEXT, Node, Problem, check, parse, spec

PACKAGE = spec("Package", types__=spec("PackageTypeMembers", members__=TEXT, name_=TEXT),
               version=TEXT, fullName=TEXT, description=TEXT)


@dataclass(frozen=True)
class Kind:
    """Where a metadata type's files are: folder, suffix, whether members sit in folders."""

    folder: str
    suffix: str
    in_folder: bool = False  # Report, Dashboard: `Folder/Name`
    folder_of: str = ""  # ReportFolder → Report: the type whose folder it is


KINDS: dict[str, Kind] = {
    "CustomObject": Kind("objects", ".object"),
    "CustomTab": Kind("tabs", ".tab"),
    "LightningComponentBundle": Kind("lwc", ""),
    "FlexiPage": Kind("flexipages", ".flexipage"),
    "PermissionSet": Kind("permissionsets", ".permissionset"),
    "SharingRules": Kind("sharingRules", ".sharingRules"),
    "ReportFolder": Kind("reports", "-meta.xml", folder_of="Report"),
    "DashboardFolder": Kind("dashboards", "-meta.xml", folder_of="Dashboard"),
    "Report": Kind("reports", ".report", in_folder=True),
    "Dashboard": Kind("dashboards", ".dashboard", in_folder=True),
}
# Types Salesforce has that the sandbox does not serve (a failure names them, never a
# silent success); any other name is unknown to Salesforce too.
NOT_SERVED = frozenset({
    "ApexClass", "ApexTrigger", "ApexPage", "ApexComponent", "AuraDefinitionBundle",
    "CustomApplication", "CustomField", "CustomMetadata", "CustomLabels", "Layout",
    "ListView", "CompactLayout", "Profile", "PermissionSetGroup", "Role", "Group", "Queue",
    "StaticResource", "Flow", "ValidationRule", "RecordType", "WebLink", "QuickAction",
    "SharingCriteriaRule", "SharingOwnerRule", "CustomPermission", "Territory2",
    "EmailTemplate", "Document", "DocumentFolder", "EmailFolder", "Settings", "Workflow",
})
_MEMBER = re.compile(r"^[A-Za-z0-9_.$/-]+$")
DELETE_MANIFESTS = {"destructiveChanges.xml": "pre", "destructiveChangesPre.xml": "pre",
                    "destructiveChangesPost.xml": "post"}
DELETABLE = {"SharingCriteriaRule": re.compile(r"^[A-Za-z]\w*\.[A-Za-z]\w*$")}
KNOWN_TYPES = frozenset(KINDS) | NOT_SERVED | {"SharingOwnerRule", "SharingTerritoryRule"}


@dataclass
class Deletion:
    """A component a delete manifest names: when (`pre` or `post`) and whether it was
    found in the org (None until the deploy checks)."""

    type: str
    full_name: str
    manifest: str
    phase: str
    found: bool | None = None


@dataclass
class Component:
    """One component of the deploy: its type, full name, file and parsed root element."""

    type: str
    full_name: str
    file_name: str
    root: Node | None = None  # the metadata file (for a bundle: its js-meta.xml)
    files: dict[str, bytes] = field(default_factory=dict)  # a bundle's files by path


@dataclass
class Package:
    """What the zip holds: its components (in package order), the API version the files
    are read in, and the failures and warnings of the package itself."""

    components: list[Component]
    version: str
    failures: list[tuple[str, str, Problem]] = field(default_factory=list)  # type, name, why
    warnings: list[tuple[str, str, Problem]] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)


def read(data: bytes, single_package: bool, url_version: str) -> Package:
    """The package in a deploy zip; an unreadable zip or manifest fails as a whole."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        files = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    except (zipfile.BadZipFile, ValueError) as exc:
        raise Problem(f"The deploy's zip file could not be read: {exc}") from exc
    root = "" if single_package else _package_root(files)
    manifest = files.get(root + "package.xml")
    if manifest is None:
        raise Problem("No package.xml found", file_name="package.xml")
    node = parse(manifest, "Package")
    check(node, PACKAGE)
    version = node.get("version") or url_version
    if not re.fullmatch(r"\d+\.0", version):
        raise node.problem(f"Invalid API version {version!r} in package.xml")
    pkg = Package([], version)
    for t in node.all("types"):
        _add_type(pkg, t, files, root)
    for delete_manifest, phase in DELETE_MANIFESTS.items():
        if root + delete_manifest in files:
            _deletions(pkg, delete_manifest, phase, files[root + delete_manifest])
    _unnamed(pkg, files, root)
    return pkg


def _deletions(pkg: Package, manifest: str, phase: str, data: bytes) -> None:
    """The members of one delete manifest (a bad one fails the deploy as a whole)."""
    try:
        node = parse(data, "Package")
        check(node, PACKAGE)
    except Problem as exc:
        exc.file_name = manifest
        raise
    for t in node.all("types"):
        name = t.get("name") or ""
        for member in t.texts("members"):
            why = _undeletable(name, member)
            if why:
                pkg.failures.append((name, member, Problem(why, file_name=manifest)))
            elif not any(d.type == name and d.full_name == member for d in pkg.deletions):
                pkg.deletions.append(Deletion(name, member, manifest, phase))


def _undeletable(name: str, member: str) -> str:
    """Why a delete manifest's member cannot be deleted here ("" if it can)."""
    if member == "*":
        return f"Wildcards are not supported in a delete manifest ({name})"
    pattern = DELETABLE.get(name)
    if pattern is None:
        return (f"The sandbox does not delete metadata of type {name}" if name in
                KNOWN_TYPES else f"Unknown type name '{name}' specified in the delete manifest")
    if not pattern.match(member):
        return f"Invalid member name '{member}' for type {name}"
    return ""


def _package_root(files: dict[str, bytes]) -> str:
    tops = {name.split("/", 1)[0] for name in files if "/" in name}
    return next(iter(tops)) + "/" if len(tops) == 1 else ""


def _add_type(pkg: Package, t: Node, files: dict[str, bytes], root: str) -> None:
    name = t.get("name") or ""
    kind = KINDS.get(name)
    for member in t.texts("members"):
        if kind is None:
            why = (f"The sandbox does not deploy metadata of type {name}" if name in
                   NOT_SERVED else f"Unknown type name '{name}' specified in package.xml")
            pkg.failures.append((name, member, Problem(why, file_name="package.xml")))
            continue
        if member == "*":
            if kind.in_folder or kind.folder_of:
                pkg.failures.append((name, member, Problem(
                    f"The wildcard * cannot be used with {name} in package.xml",
                    file_name="package.xml")))
            else:
                for full in sorted(_all_of(kind, files, root)):
                    _add(pkg, name, kind, full, files, root)
            continue
        if not _MEMBER.match(member):
            pkg.failures.append((name, member, Problem(
                f"Invalid member name '{member}' for type {name}", file_name="package.xml")))
            continue
        _add(pkg, *_folder_member(name, kind, member), files, root)


def _folder_member(name: str, kind: Kind, member: str) -> tuple[str, Kind, str]:
    """A folder may be named under its content type (`Report` member without `/`)."""
    if kind.in_folder and "/" not in member.rstrip("/"):
        folder_type = "ReportFolder" if name == "Report" else "DashboardFolder"
        return folder_type, KINDS[folder_type], member.rstrip("/")
    return name, kind, member


def _all_of(kind: Kind, files: dict[str, bytes], root: str) -> set[str]:
    prefix = f"{root}{kind.folder}/"
    out = set()
    for path in files:
        rest = path[len(prefix):] if path.startswith(prefix) else None
        if rest is None:
            continue
        if not kind.suffix and "/" in rest:
            out.add(rest.split("/", 1)[0])
        elif kind.suffix and rest.endswith(kind.suffix) and "/" not in rest:
            out.add(rest[: -len(kind.suffix)])
    return out


def _add(pkg: Package, name: str, kind: Kind, member: str, files: dict[str, bytes],
         root: str) -> None:
    if any(c.type == name and c.full_name == member for c in pkg.components):
        return
    if not kind.suffix:  # a bundle: every file of its folder
        prefix = f"{root}{kind.folder}/{member}/"
        bundle = {p[len(root):]: d for p, d in files.items() if p.startswith(prefix)}
        meta = bundle.get(f"{kind.folder}/{member}/{member}.js-meta.xml")
        path = f"{kind.folder}/{member}"
    else:
        path = f"{kind.folder}/{member}{kind.suffix}"
        bundle, meta = {}, files.get(root + path)
    if meta is None:
        pkg.failures.append((name, member, Problem(
            f"An object '{member}' of type {name} was named in package.xml, but was not "
            "found in zipped directory", file_name=path)))
        return
    comp = Component(name, member, path, files=bundle)
    try:
        comp.root = parse(meta, "LightningComponentBundle" if not kind.suffix else name)
    except Problem as exc:
        exc.file_name = exc.file_name or (f"{path}/{member}.js-meta.xml" if not kind.suffix
                                          else path)
        pkg.failures.append((name, member, exc))
        return
    pkg.components.append(comp)


def _unnamed(pkg: Package, files: dict[str, bytes], root: str) -> None:
    """A file the manifest does not name is not deployed: a warning (which fails the
    deploy unless `ignoreWarnings`)."""
    named = {c.file_name for c in pkg.components} | {p.file_name for _, _, p in pkg.failures}
    for path in sorted(files):
        rel = path[len(root):]
        if rel == "package.xml" or rel in DELETE_MANIFESTS or not path.startswith(root):
            continue
        if any(rel == n or rel.startswith(n + "/") for n in named if n):
            continue
        pkg.warnings.append(("", rel, Problem(
            f"The file {rel} is not named in package.xml and was not deployed",
            file_name=rel)))
