"""Which fields the writer owns, and what stands between the mapping and the org.

Whether a field exists comes from the Tooling API (`CustomField`), whether the
integration user can see it from describe: a field created through the API has no
field-level security until a permission set grants it, and describe then leaves it out.
Such a field is never created again (Salesforce would refuse the duplicate): its
definition is read from the Tooling API, and the review asks for access ("grant"), which
setup's permission set gives and which `validate` reports as what it is.

The writer owns a field it created — its description starts "Managed by crm-kpi", read
through the Tooling API (`CustomField.Description`) — or one the mapping hands over with
`take_over: true`. Fields created before descriptions were written are recognised by
the exact definition setup then gave them (a Number(18, 6), Text(255) or Date field
labelled after its API name, without help text) on the KPI object, or when the mapping
(or an earlier default mapping) names them. Any other existing field is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote_plus

from connector.crms.push import Review
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.fields import NUMERIC, PRECISION, FieldDef
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.names import WRITER_PERMISSION_SET
from connector.presentation import is_managed
from connector.yamlfile import KeyPath

# describe's type of each field type the writer creates.
DESCRIBED: dict[str, str] = {"Text": "string", "Number": "double", "Currency": "currency",
                             "Percent": "percent", "Date": "date",
                             "DateTime": "datetime"}  # fmt: skip
_FAMILIES = ({"double", "currency", "percent"}, {"string", "textarea", "email", "phone", "url"})
# The User and Account fields of the default mappings of earlier versions.
LEGACY_DEFAULTS = frozenset(
    {"kpi_revenue__c", "kpi_closing_ratio__c", "kpi_sales_cycle_days__c",
     "kpi_territory_revenue__c"}
)  # fmt: skip
RETIRED = "Retired"


@dataclass(frozen=True)
class Existing:
    """A field as the org has it: describe, plus its Tooling Id and description."""

    name: str
    type: str
    label: str
    help: str | None
    precision: int
    scale: int
    length: int
    custom: bool
    updateable: bool
    external_id: bool
    tooling_id: str | None = None
    description: str | None = None
    visible: bool = True
    """False when the Tooling API lists it but describe does not (no field-level security)."""

    @property
    def managed(self) -> bool:
        """Whether its description marks it as a crm-kpi field."""
        return is_managed(self.description)

    @property
    def legacy(self) -> bool:
        """Whether it has the definition setup gave fields before it wrote descriptions."""
        shape = (self.type, self.precision, self.scale) == ("double", 18, 6) or (
            self.type == "string" and self.length == 255) or self.type == "date"  # fmt: skip
        label = self.name.removesuffix("__c").replace("_", " ")
        return self.custom and shape and self.label == label and not self.help

    @property
    def retired(self) -> bool:
        """Whether setup retired it already."""
        return self.label.startswith(RETIRED)


class FieldCatalog:
    """The existing fields of each sObject the writer touches, read once: describe for
    what the integration user sees, the Tooling API for what exists."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self._fields: dict[str, dict[str, Existing] | None] = {}
        self._hidden_objects: set[str] = set()

    def fields(self, sobject: str) -> dict[str, Existing] | None:
        """Lower-case name → field; None when the org has no such object (or hides it)."""
        key = sobject.lower()
        if key not in self._fields:
            self._fields[key] = self._read(sobject)
        return self._fields[key]

    def hidden(self, sobject: str) -> bool:
        """Whether the object exists (Tooling API) but the integration user cannot see it."""
        self.fields(sobject)
        return sobject.lower() in self._hidden_objects

    def forget(self, sobject: str) -> None:
        """Read the object again next time (after setup changed it)."""
        self._fields.pop(sobject.lower(), None)
        self._hidden_objects.discard(sobject.lower())

    def _read(self, sobject: str) -> dict[str, Existing] | None:
        described = self._describe(sobject)
        tooling = self._tooling(sobject, sobject.lower().endswith("__c"))
        if described is None:
            if tooling is None or not sobject.lower().endswith("__c"):
                return None
            self._hidden_objects.add(sobject.lower())
        out = {}
        for f in (described or {}).get("fields") or []:
            tooling_id, description = (tooling or {}).get(str(f["name"]).lower(), (None, None))
            out[str(f["name"]).lower()] = _existing(f, tooling_id, description)
        for name, (tooling_id, _) in (tooling or {}).items():
            if name not in out:
                out[name] = self._hidden_field(tooling_id)
        return out

    def _describe(self, sobject: str) -> dict[str, Any] | None:
        try:
            return self.client.describe(sobject)
        except SalesforceApiError as exc:
            if exc.status == 404:
                return None
            raise

    def _tooling(self, sobject: str, custom: bool) -> dict[str, tuple[str, str | None]] | None:
        """Lower-case field name → (Tooling Id, description) of the object's own custom
        fields (a custom object's fields are listed under its CustomObject Id); None when
        the Tooling API has no such custom object."""
        table = sobject
        if custom:
            found = self.query(
                "SELECT Id FROM CustomObject WHERE DeveloperName = "
                f"'{sobject.removesuffix('__c')}' AND NamespacePrefix = null"
            )
            if not found:
                return None
            table = str(found[0]["Id"])
        rows = self.query(
            "SELECT Id, DeveloperName, Description FROM CustomField WHERE TableEnumOrId = "
            f"'{table}' AND NamespacePrefix = null"
        )
        return {f"{r['DeveloperName']}__c".lower(): (str(r["Id"]), r.get("Description"))
                for r in rows}  # fmt: skip

    def _hidden_field(self, tooling_id: str) -> Existing:
        """A field describe leaves out, as its Tooling API definition has it."""
        found = self.client.restful(f"tooling/sobjects/CustomField/{tooling_id}") or {}
        meta = found.get("Metadata") or {}
        name = str(found.get("FullName") or found.get("DeveloperName")).split(".")[-1]
        kind = str(meta.get("type") or "")
        return Existing(
            name=name if name.endswith("__c") else f"{name}__c",
            type=DESCRIBED.get(kind, kind.lower()), label=str(meta.get("label") or ""),
            help=meta.get("inlineHelpText"), precision=int(meta.get("precision") or 0),
            scale=int(meta.get("scale") or 0), length=int(meta.get("length") or 0),
            custom=True, updateable=False, external_id=bool(meta.get("externalId")),
            tooling_id=tooling_id, description=meta.get("description"), visible=False,
        )  # fmt: skip

    def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record of a Tooling API query (names in it are checked API names)."""
        answer = self.client.restful(f"tooling/query/?q={quote_plus(soql)}") or {}
        records = list(answer.get("records") or [])
        while not answer.get("done", True) and answer.get("nextRecordsUrl"):
            path = str(answer["nextRecordsUrl"]).split("/tooling/", 1)[1]
            answer = self.client.restful(f"tooling/{path}") or {}
            records += answer.get("records") or []
        return records


def _existing(f: dict[str, Any], tooling_id: str | None, description: str | None) -> Existing:
    return Existing(
        name=str(f["name"]), type=str(f.get("type") or ""), label=str(f.get("label") or ""),
        help=f.get("inlineHelpText"), precision=int(f.get("precision") or 0),
        scale=int(f.get("scale") or 0), length=int(f.get("length") or 0),
        custom=bool(f.get("custom")), updateable=bool(f.get("updateable", True)),
        external_id=bool(f.get("externalId")), tooling_id=tooling_id, description=description,
    )  # fmt: skip


def ours(field: Existing, *, own_object: bool, named: bool) -> bool:
    """Whether the writer created this field (now or in an earlier version)."""
    if field.managed:
        return True
    return field.legacy and (own_object or named or field.name.lower() in LEGACY_DEFAULTS)


def convertible(existing: Existing, wanted: FieldDef) -> bool:
    """Whether Salesforce can turn the existing field into the wanted one without loss."""
    have, want = existing.type, DESCRIBED[wanted.type]
    return have == want or any({have, want} <= family for family in _FAMILIES)


def differs(existing: Existing, wanted: FieldDef) -> list[str]:
    """What setup has to change for the field to be the wanted one (empty: nothing)."""
    changes = []
    if existing.type != DESCRIBED[wanted.type]:
        changes.append(f"type {existing.type} → {wanted.type}")
    if wanted.type in NUMERIC and existing.scale != wanted.scale:
        changes.append(f"decimals {existing.scale} → {wanted.scale}")
    if wanted.type in NUMERIC and existing.precision != PRECISION:
        changes.append(f"digits {existing.precision} → {PRECISION}")
    meta = wanted.metadata()
    if existing.label != meta["label"]:
        changes.append("label")
    if (existing.help or None) != meta["inlineHelpText"]:
        changes.append("help text")
    if existing.description != meta["description"]:
        changes.append("description")
    return changes


@dataclass(frozen=True)
class Step:
    """One change setup makes: create the KPI object, create, update or retire a field; or
    access to grant (`grant`: the field exists but the integration user cannot see or edit
    it, which setup's permission set gives)."""

    kind: Literal["object", "create", "update", "retire", "grant"]
    sobject: str
    wanted: FieldDef | None = None
    existing: Existing | None = None
    detail: str = ""

    def __str__(self) -> str:
        if self.kind == "object":
            return f"create custom object {self.sobject}"
        name = self.wanted.name if self.wanted else self.existing.name if self.existing else ""
        if self.kind == "grant":
            return f"grant access to {self.sobject}{'.' + name if name else ''}"
        kind = f" ({self.wanted.type})" if self.kind == "create" and self.wanted else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.kind} field {self.sobject}.{name}{kind}{detail}"

    @property
    def problem(self) -> str:
        """What a `grant` step means, as `validate` reports it (the fix included)."""
        full = f"{self.sobject}.{self.existing.name}" if self.existing else self.sobject
        if self.existing is None:
            seen = (f"{full} exists (the Tooling API lists it) but the integration user "
                    "cannot see it: it has no object permission on it")  # fmt: skip
        elif self.existing.visible:
            seen = f"the integration user can read {full} but not edit it"
        else:
            seen = (f"{full} exists (the Tooling API lists it) but the integration user "
                    "cannot see it: field-level security hides it")  # fmt: skip
        return (f"{self.detail}: {seen}. Grant the integration user Read and Edit on it: "
                f"assign it the permission set {WRITER_PERMISSION_SET} (`crm-kpi setup "
                "salesforce` deploys and assigns it), or add the access to a permission set "
                "it has")  # fmt: skip


def review(
    catalog: FieldCatalog,
    push: PushMapping,
    wanted: dict[str, list[FieldDef]],
    where: Callable[[KeyPath | None], str],
) -> Review[Step]:
    """Compare the fields the writer needs with the org's, object by object."""
    keys = {(s.lower(), n.lower()): path for s, n, path in push.written()}
    result: Review[Step] = Review()
    for sobject, defs in wanted.items():
        existing = catalog.fields(sobject)
        if existing is None:
            if sobject != push.object:
                result.problems.append(f"{where(None)}: Salesforce has no {sobject} object "
                                       "visible to the integration user")  # fmt: skip
                continue
            result.steps.append(Step("object", sobject))
            existing = {}
        elif sobject == push.object and catalog.hidden(sobject):
            at = where(("push", "object"))
            result.steps.append(Step("grant", sobject, detail=at))
        handed = push.handed_over(sobject)
        for wanted_field in defs:
            at = where(keys.get((sobject.lower(), wanted_field.name.lower())))
            found = existing.get(wanted_field.name.lower())
            own = sobject == push.object
            _check(result, at, sobject, wanted_field, found, handed, own)
    for sobject in dict.fromkeys([push.object, "User", "Account"]):
        result.steps += _retired(catalog, sobject, wanted.get(sobject, []), push.object)
    return result


def _check(
    result: Review[Step], at: str, sobject: str, wanted: FieldDef, found: Existing | None,
    handed: set[str], own_object: bool,
) -> None:  # fmt: skip
    """One wanted field: steps (create, update, grant), a problem, or nothing to do."""
    full = f"{sobject}.{wanted.name}"
    if found is None:
        result.steps.append(Step("create", sobject, wanted))
        return
    is_handed = wanted.name.lower() in handed
    if not (is_handed or ours(found, own_object=own_object, named=True)):
        result.problems.append(
            f"{at}: {full} exists and was not created by crm-kpi: name another field, or "
            f"hand it over with {{field: {wanted.name}, take_over: true}}"
        )
    elif not convertible(found, wanted):
        result.problems.append(
            f"{at}: {full} is a {found.type} field; crm-kpi writes a {wanted.type} there, "
            "which Salesforce cannot convert without losing data: name another field"
        )
    elif wanted.external_id and not found.external_id:
        result.problems.append(
            f"{at}: {full} exists but is not an External ID field; mark it External ID + "
            "Unique in Setup, or name another field"
        )
    else:
        if changes := differs(found, wanted):
            result.steps.append(Step("update", sobject, wanted, found, ", ".join(changes)))
        if not found.updateable:
            result.steps.append(Step("grant", sobject, wanted, found, at))


def _retired(
    catalog: FieldCatalog, sobject: str, wanted: list[FieldDef], own_object: str
) -> list[Step]:
    """Fields the writer created that the mapping no longer names."""
    existing = catalog.fields(sobject) or {}
    names = {f.name.lower() for f in wanted}
    own = sobject.lower() == own_object.lower()
    return [
        Step("retire", sobject, None, f)
        for name, f in existing.items()
        if name not in names and not f.retired and ours(f, own_object=own, named=False)
    ]
