"""The mapping language every CRM and the CSV exports share (docs/mappings.md).

A stream fills one normalized entity from one object of the CRM (a file of the
exports) with the same sections everywhere: `fields` (normalized field: the CRM's
field, property or column), `values` (normalized field: a value map, or the name of
one of the file's `value_maps`), `constants`, `defaults` and `exclude` (the CRM's
field: values whose records are left out). Push fields are `account_fields` (an
account figure: the field written) with `{field, take_over}` for a field handed over.
A CRM's own model adds only what is its own (docs/mappings.md, "What differs").

`translate` is the one translation of these sections into the store's CRM-neutral
rules (`store.derive`); a CRM adds its own rules to what it gives.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar, get_args

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from connector.crms.oldkeys import modernize, modernize_push, modernize_stream, notes
from connector.kpis import KPI_KEYS
from connector.presentation import FIGURE_KEYS
from connector.schema import CONTACT_METHOD_FIELDS, CONTACT_METHODS, ENTITY_BY_NAME
from connector.store.derive import Derived
from connector.store.normalize import ValueMap
from connector.yamlfile import (
    ConfigModel,
    KeyPath,
    LineIndex,
    Problem,
    load_yaml,
    located_error,
    validate_data,
)

SECTIONS = ("fields", "values", "constants", "defaults")
"""The sections of a stream keyed by normalized field."""
RENAMED = {"properties": "fields", "columns": "fields", "entities": "streams",
           "company_properties": "account_fields"}
"""Last release's keys that `oldkeys` cannot rewrite where they are (the new key is there
too, or the place is wrong): what they are now called."""
NamedMaps = Mapping[str, dict[str, str]]
"""A mapping file's `value_maps`: value maps by name."""
SYSTEM_FIELDS = frozenset({"id", "modified_at"})
_METHODS = ", ".join(CONTACT_METHODS)


class StreamRules(ConfigModel):
    """What every stream says, in every CRM: the entity it fills and how its fields and
    the records it leaves out come from the CRM's."""

    # Fields the CRM fills itself (the record's id and modstamp): never mapped.
    system_fields: ClassVar[frozenset[str]] = SYSTEM_FIELDS
    # The sections a CRM adds that are keyed by normalized field too (checked alike).
    own_sections: ClassVar[tuple[str, ...]] = ()

    entity: str
    fields: dict[str, str] = Field(
        default_factory=dict, description="normalized field: the CRM's field")
    values: dict[str, str | dict[str, str]] = Field(
        default_factory=dict,
        description="normalized field: {CRM value: normalized value}, or a value_maps name")
    constants: dict[str, str] = Field(
        default_factory=dict, description="normalized field: value for every record")
    defaults: dict[str, str] = Field(
        default_factory=dict, description="normalized field: value when the CRM's is empty")
    exclude: dict[str, list[str]] = Field(
        default_factory=dict, description="the CRM's field: values whose records are left out")

    @model_validator(mode="before")
    @classmethod
    def _last_release(cls, data: Any) -> Any:
        return _respelled(data, modernize_stream)

    @model_validator(mode="after")
    def _known_fields(self) -> StreamRules:
        """Keys naming no field of the entity, a field given twice, a contact method
        that is none."""
        entity = ENTITY_BY_NAME[self.entity]
        fields = set(entity.data_fields) - self.system_fields
        known = ", ".join(sorted(fields))
        problems: list[Problem] = [
            ((section, name), "field", f"{name} is not a field of {self.entity} ({known})")
            for section in (*SECTIONS, *self.own_sections)
            for name in getattr(self, section)
            if name not in fields
        ]
        problems += [
            (("constants", name), "twice", f"{name} is given in fields and in constants: "
             "a field comes from the CRM or is a constant, not both")
            for name in self.constants if name in self.fields
        ]  # fmt: skip
        problems += self._method_problems() + self.own_problems()
        if problems:
            raise located_error(type(self).__name__, problems)
        return self

    def own_problems(self) -> list[Problem]:
        """What a CRM's own keys get wrong, said with the shared ones (none here)."""
        return []

    def _method_problems(self) -> list[Problem]:
        """A contact-method field's constant, default and inline map give contact methods."""
        method = CONTACT_METHOD_FIELDS.get(self.entity)
        if method is None:
            return []
        inline = self.values.get(method)
        given: list[tuple[KeyPath, str]] = [
            (("values", method, crm), value)
            for crm, value in (inline.items() if isinstance(inline, dict) else [])
        ]
        given += [((section, method), getattr(self, section)[method])
                  for section in ("constants", "defaults")
                  if method in getattr(self, section)]  # fmt: skip
        return [(loc, "contact_method", f"{value!r} is not a contact method ({_METHODS})")
                for loc, value in given if value not in CONTACT_METHODS]  # fmt: skip

    def value_map_names(self) -> list[str]:
        """The `value_maps` entries this stream names."""
        return [v for v in self.values.values() if isinstance(v, str)]


class MappingRules(ConfigModel):
    """What every mapping file says: value maps shared by name, and its streams."""

    value_maps: dict[str, dict[str, str]] = Field(default_factory=dict)
    streams: Sequence[StreamRules]
    _deprecations: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _last_release(cls, data: Any) -> Any:
        return _respelled(data, modernize)

    @classmethod
    def prepare_document(cls, data: Any, lines: LineIndex) -> LineIndex:
        """For `yamlfile.load_model`: the file in this release's spelling, in place, and
        the lines of its keys as this release names them."""
        return modernize(data).lines(lines)

    def deprecations(self) -> list[str]:
        """The notes on last release's spellings the file was read with (`read_mapping`)."""
        return list(self._deprecations)

    def value_map(self, stream: StreamRules, name: str) -> dict[str, str]:
        """The value map of normalized field `name` of `stream` ({} when none)."""
        return value_map(self.value_maps, stream, name)

    def value_maps_of(self, stream: StreamRules) -> dict[str, ValueMap]:
        """Each mapped field's value map, as the store applies it."""
        return value_maps_of(self.value_maps, stream)

    @model_validator(mode="after")
    def _named_maps(self) -> MappingRules:
        problems: list[Problem] = []
        for index, stream in enumerate(self.streams):
            problems += [
                (("streams", index, "values", name), "value_map",
                 f"no value map named {given!r} in value_maps")
                for name, given in stream.values.items()
                if isinstance(given, str) and given not in self.value_maps
            ]  # fmt: skip
        problems += method_map_problems(self.value_maps, self.streams)
        if problems:
            raise located_error(type(self).__name__, problems)
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ModelWrapValidatorHandler[MappingRules]) -> Any:
        """Every problem in one pass: an unknown key with the key it may mean (last
        release's names too), and named value maps giving what is no contact method even
        when other problems keep the file from validating whole."""
        try:
            return handler(data)
        except ValidationError as err:
            found = err.errors(include_url=False, include_input=False, include_context=False)
            problems: list[Problem] = [(e["loc"], e["type"], cls._hinted(e["loc"], e["msg"]))
                                       if e["type"] == "extra_forbidden"
                                       else (e["loc"], e["type"], e["msg"]) for e in found]
            more = ([] if any(e["loc"][:1] == ("value_maps",) for e in found)
                    else _raw_method_map_problems(data))  # fmt: skip
            if not more and all(p[2] == e["msg"] for p, e in zip(problems, found, strict=True)):
                raise
            raise located_error(cls.__name__, [*problems, *more]) from None

    @classmethod
    def _hinted(cls, loc: KeyPath, message: str) -> str:
        """`message` about unknown key `loc`, with the key of its model it may mean."""
        model: Any = cls
        if loc[:1] == ("streams",) and len(loc) == 3:
            model = get_args(cls.model_fields["streams"].annotation)[0]
        elif loc[:1] == ("push",) and len(loc) == 2:
            model = cls.model_fields["push"].annotation if "push" in cls.model_fields else None
        elif len(loc) != 1:
            return message
        key = str(loc[-1])
        if key in RENAMED:
            return (f"{message}: {key} is last release's name of {RENAMED[key]}, which is "
                    "given too: keep one")  # fmt: skip
        known = list(getattr(model, "model_fields", {}))
        close = difflib.get_close_matches(key, [*known, *RENAMED], n=1)
        meant = RENAMED.get(close[0], close[0]) if close else None
        return f"{message}; did you mean {meant!r}?" if meant in known else message


def method_map_problems(named: NamedMaps, streams: Iterable[StreamRules]) -> list[Problem]:
    """Each value of a named map filling a contact method that is no contact method."""
    used = {stream.values[method] for stream in streams
            for method in [CONTACT_METHOD_FIELDS.get(stream.entity, "")]
            if isinstance(stream.values.get(method), str)}  # fmt: skip
    return [
        (("value_maps", name, crm), "contact_method",
         f"{method!r} is not a contact method ({_METHODS})")
        for name in sorted(str(u) for u in used if u in named)
        for crm, method in named[name].items()
        if method not in CONTACT_METHODS
    ]  # fmt: skip


def _raw_method_map_problems(data: Any) -> list[Problem]:
    """`method_map_problems` of a file that does not validate whole: its sound streams'."""
    if not isinstance(data, dict):
        return []
    data = copy.deepcopy(data)
    modernize(data)
    named = data.get("value_maps")
    if not isinstance(named, dict) or not all(isinstance(m, dict) for m in named.values()):
        return []
    sound = []
    for raw in data.get("streams") or []:
        try:
            sound.append(StreamRules.model_validate(
                {k: raw.get(k) for k in ("entity", "values") if k in raw}))
        except (ValidationError, AttributeError, TypeError, KeyError):
            continue
    return method_map_problems(named, sound)


def _respelled(data: Any, rewrite: Callable[[Any], object]) -> Any:
    """A copy of `data` in this release's spelling (last release's is read for one more,
    `oldkeys`; `read_mapping` says so)."""
    data = copy.deepcopy(data)
    rewrite(data)
    return data


def value_map(named: NamedMaps, stream: StreamRules, name: str) -> dict[str, str]:
    """The value map of normalized field `name` of `stream`, inline or one of `named`."""
    given = stream.values.get(name)
    if isinstance(given, str):
        return dict(named.get(given, {}))
    return dict(given or {})


def value_maps_of(named: NamedMaps, stream: StreamRules) -> dict[str, ValueMap]:
    """Each mapped field's value map, as the store applies it."""
    return {name: ValueMap(value_map(named, stream, name)) for name in stream.values}


def translate(stream: StreamRules, path: Callable[[str], str] = str) -> dict[str, Derived]:
    """The stream's shared sections as the store's rules, by normalized field: each
    field (`path`: its name as the raw rows hold it) with its default, each constant."""
    rules = {name: Derived(name, field=path(crm), default=stream.defaults.get(name))
             for name, crm in stream.fields.items()}  # fmt: skip
    rules.update({name: Derived(name, const=value) for name, value in stream.constants.items()})
    return rules


class Handed(ConfigModel):
    """An existing field the config hands over to the writer (`take_over: true`): setup
    then gives it crm-kpi's type, label and help text, and the push writes into it."""

    field: str = Field(min_length=1)
    take_over: bool = False


def field_of(value: str | Handed) -> str:
    """The name of a push field, given plainly or handed over."""
    return value.field if isinstance(value, Handed) else value


class PushFields(ConfigModel):
    """What every writer writes on the CRM's accounts: each account's own figures."""

    account_fields: dict[str, str | Handed] = Field(default_factory=dict)
    account_scope: str | None = Field(default=None, description="no longer used")

    @model_validator(mode="before")
    @classmethod
    def _last_release(cls, data: Any) -> Any:
        return _respelled(data, modernize_push)

    def account_field(self, figure: str) -> str:
        """The account field of an account figure."""
        return field_of(self.account_fields[figure])

    def handed_accounts(self) -> set[str]:
        """The account fields handed over with `take_over: true`, as written."""
        return {v.field for v in self.account_fields.values()
                if isinstance(v, Handed) and v.take_over}  # fmt: skip

    def figure_problems(self, written: str, account: str, accounts: str) -> list[Problem]:
        """Keys naming nothing the writer writes, in the CRM's words (`written`: "Account
        fields"; `account`, `accounts`: what it calls one account and several)."""
        problems: list[Problem] = []
        if self.account_scope is not None:
            message = (f"account_scope is no longer used: {written} now hold each "
                       f"{account}'s own figures; remove it")  # fmt: skip
            problems.append((("account_scope",), "obsolete", message))
        for figure in self.account_fields:
            if figure not in FIGURE_KEYS:
                hint = (f" (a KPI of the {account}'s territory is no longer written on "
                        f"{accounts})" if figure in KPI_KEYS else "")  # fmt: skip
                message = f"{figure!r} is not an account figure ({', '.join(FIGURE_KEYS)}){hint}"
                problems.append((("account_fields", figure), "figure", message))
        return problems



M = TypeVar("M", bound=MappingRules)


def read_mapping(path: Path, model: type[M], *, context: dict[str, Any] | None = None) -> M:
    """Read and validate a mapping file, last release's spellings too (each said in
    `deprecations()`); `ConfigError` names file:line key.path of every problem."""
    data, lines = load_yaml(path)
    done = modernize(data)
    full_context: dict[str, Any] = {"base_dir": path.resolve().parent, **(context or {})}
    moved = done.lines(lines)
    mapping = validate_data(data, model, file_name=path.name, lines=moved, context=full_context)
    mapping._deprecations = notes(path.name, lines, done)
    return mapping
