"""CustomField metadata (the Metadata API's shape, sent as JSON to the Tooling API):
validation as Salesforce applies it, the field it describes, and which type changes an
update may make.

Rules: Number, Currency and Percent need `precision` (total digits, 1–18) and `scale`
(decimals, 0–precision); Text needs `length` 1–255; a field's type changes only within
the numeric types or within the text types (other changes lose data and are refused by
the API, as Salesforce's "Notes on Changing Custom Field Types" lists them).
"""

from __future__ import annotations

from typing import Any

from .errors import SfError
from .model import SField, ref

# Metadata field type → (describe type, DuckDB type).
FIELD_TYPES: dict[str, tuple[str, str]] = {
    "Text": ("string", "VARCHAR"), "TextArea": ("textarea", "VARCHAR"),
    "LongTextArea": ("textarea", "VARCHAR"), "Email": ("email", "VARCHAR"),
    "Phone": ("phone", "VARCHAR"), "Url": ("url", "VARCHAR"),
    "Picklist": ("picklist", "VARCHAR"), "Number": ("double", "DOUBLE"),
    "Currency": ("currency", "DOUBLE"), "Percent": ("percent", "DOUBLE"),
    "Date": ("date", "DATE"), "DateTime": ("datetime", "TIMESTAMP"),
    "Checkbox": ("boolean", "BOOLEAN"), "Lookup": ("reference", "BIGINT"),
}
NUMERIC = frozenset({"Number", "Currency", "Percent"})
TEXT = frozenset({"Text", "TextArea", "Email", "Phone", "Url"})
MAX_PRECISION, MAX_TEXT = 18, 255


def invalid(full: str, message: str) -> SfError:
    return SfError(400, "FIELD_INTEGRITY_EXCEPTION", f"{full}: {message}", ["Metadata"])


def validate(full: str, kind: str, meta: dict[str, Any]) -> None:
    """Refuse metadata Salesforce refuses (type, digits, length)."""
    if kind not in FIELD_TYPES:
        raise invalid(full, f"invalid field type {kind!r}")
    if kind in NUMERIC:
        precision, scale = _int(full, meta, "precision"), _int(full, meta, "scale", 0)
        if not 0 < precision <= MAX_PRECISION:
            raise invalid(full, "the sum of the length and decimal places must be an "
                          f"integer from 1 to {MAX_PRECISION} (precision {precision})")
        if not 0 <= scale <= precision:
            raise invalid(full, f"decimal places (scale {scale}) must be between 0 and "
                          f"the precision ({precision})")
    if kind == "Text" and not 0 < _int(full, meta, "length") <= MAX_TEXT:
        raise invalid(full, f"length must be an integer from 1 to {MAX_TEXT}")


def _int(full: str, meta: dict[str, Any], key: str, default: int | None = None) -> int:
    value = meta.get(key, default)
    if value is None:
        raise invalid(full, f"{key} is required for a field of type {meta.get('type')}")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise invalid(full, f"{key} must be an integer") from exc


def check_change(full: str, old: str, new: str) -> None:
    """A type change the API makes, or the refusal Salesforce answers."""
    if old == new or {old, new} <= NUMERIC or {old, new} <= TEXT:
        return
    raise invalid(full, f"Cannot change type of field from {old} to {new}: the change "
                  "would lose data")


def build(name: str, column: str, kind: str, meta: dict[str, Any]) -> SField:
    """The described field of a custom field's metadata."""
    label = str(meta.get("label") or name[:-3])
    if kind == "Lookup":
        rel = str(meta.get("relationshipName") or name[:-3]) + "__r"
        f = ref(name, column, str(meta.get("referenceTo") or ""), rel, custom=True, label=label)
    else:
        sf_type, sql_type = FIELD_TYPES[kind]
        values = tuple(v.get("fullName", "") for v in
                       ((meta.get("valueSet") or {}).get("valueSetDefinition") or {})
                       .get("value", []))
        f = SField(name, sf_type, label, column=column, custom=True,
                   external_id=bool(meta.get("externalId")), unique=bool(meta.get("unique")),
                   picklist=values,
                   length=int(meta.get("length") or (MAX_TEXT if sql_type == "VARCHAR" else 0)),
                   precision=int(meta.get("precision") or 0), scale=int(meta.get("scale") or 0),
                   nillable=not meta.get("required"))
    f.help_text = str(meta.get("inlineHelpText") or "")
    return f
