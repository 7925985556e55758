"""YAML files validated by pydantic, with errors that name file, line and key path.

Every user-edited file (config.yaml, mappings/*.yaml) goes through `load_model`, so a bad
file gives messages like ``config.yaml:14 targets[3].value: input should be a number``,
all of them at once, and never a traceback. The line of every key and list item is kept
in a `LineIndex` built from PyYAML's node tree, because the plain parsed data has no lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from connector.errors import ConfigError
from connector.salvage import Unsalvageable, salvaged

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str, str]
"""A problem a validator found: where (below the validated key), its kind, its message."""
M = TypeVar("M", bound=BaseModel)

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# Aliases let a few lines stand for billions of values (the "billion laughs"): a file
# whose aliases add more than this many values is refused before anything walks it. A
# big file written out (thousands of targets) adds none, so it is never refused.
MAX_ALIASED_VALUES = 100_000
_HUGE = 1 << 62


@dataclass(frozen=True)
class LineIndex:
    """1-based line of every key and list item of a YAML document, by key path.

    `LineIndex()` is the index of an empty document: everything is on line 1.

    `values` keeps the scalar string values of each mapping: pydantic puts the tag of a
    discriminated union into error paths (``sources.0.files.path``), and the tag is one of
    the values of the mapping it was read from, which is how `clean_path` recognizes it.
    """

    lines: Mapping[KeyPath, int] = field(default_factory=lambda: {(): 1})
    values: Mapping[KeyPath, frozenset[str]] = field(default_factory=lambda: {(): frozenset()})

    def find(self, path: KeyPath, segment: str | int) -> KeyPath | None:
        """`path + (segment,)` as indexed (mapping keys are stored as text), or None."""
        for candidate in (segment, str(segment)):
            if (*path, candidate) in self.lines:
                return (*path, candidate)
        return None

    def line_of(self, path: KeyPath) -> int:
        """Line of the deepest key of `path` present in the file (the root's when none)."""
        found: KeyPath = ()
        for segment in path:
            step = self.find(found, segment)
            if step is None:
                break
            found = step
        return self.lines.get(found, 1)

    def _is_leaf(self, path: KeyPath) -> bool:
        # A key holding a scalar has nothing below it: a path going on past it took the
        # key's name from a union tag (`method: refresh_token` beside `refresh_token:`).
        return path not in self.values and (*path, 0) not in self.lines

    def clean_path(self, path: KeyPath) -> KeyPath:
        """`path` without the segments pydantic adds that are not keys of the file.

        An absent segment is kept only when it is the last one, names a key missing from
        a mapping (a required key) and is not a union tag; every other absent segment is
        pydantic's own (union tags, union member names like ``int``) and is dropped. So
        is a tag that is also the name of a key holding a scalar, when the path goes on.
        """
        kept: KeyPath = ()
        for index, segment in enumerate(path):
            step = self.find(kept, segment)
            is_last = index == len(path) - 1
            is_tag = str(segment) in self.values.get(kept, frozenset())
            if step is not None and not (is_tag and not is_last and self._is_leaf(step)):
                kept = step
                continue
            if is_last and not is_tag and kept in self.values:
                kept = (*kept, segment)
        return kept


class ConfigModel(BaseModel):
    """Base of every model read from a user file: typos are errors, inputs never echoed."""

    # hide_input_in_errors keeps secrets given literally out of any str(ValidationError).
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


def render_path(path: KeyPath) -> str:
    """``("targets", 3, "value")`` → ``targets[3].value``; odd keys are quoted."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif _PLAIN_KEY.match(segment):
            text += f".{segment}" if text else segment
        else:
            text += f'["{segment}"]'
    return text


def _user_message(message: str) -> str:
    # A plain ValueError in a validator reads "Value error, <what was said>": keep the what.
    for noise in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(noise)
    return message[:1].lower() + message[1:]


def validation_messages(
    err: ValidationError, file_name: str, lines: LineIndex, prefix: KeyPath = ()
) -> list[str]:
    """One ``file:line key.path: message`` per pydantic error, in file order.

    `prefix` is where the validated data sits in the file, for a model validated from a
    part of an already loaded document.
    """
    located: list[tuple[int, str]] = []
    for error in err.errors(include_url=False, include_input=False, include_context=False):
        path = lines.clean_path((*prefix, *error["loc"]))
        line = lines.line_of(path)
        key = f" {render_path(path)}:" if path else ""
        located.append((line, f"{file_name}:{line}{key} {_user_message(error['msg'])}"))
    located.sort(key=lambda item: item[0])
    return [message for _, message in located]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a folder, not a file"]) from None
    except UnicodeDecodeError as err:
        raise ConfigError([f"{path}: not valid UTF-8 text (byte {err.start})"]) from None
    except OSError as err:
        raise ConfigError([f"{path}: cannot be read ({err.strerror})"]) from None


def _syntax_message(name: str, err: yaml.MarkedYAMLError) -> str:
    mark = err.problem_mark or err.context_mark
    line = mark.line + 1 if mark is not None else 1
    message = f"{name}:{line} invalid YAML: {err.problem or err.context}"
    if err.problem and err.context:
        where = f" that starts at line {err.context_mark.line + 1}" if err.context_mark else ""
        message += f" ({err.context}{where})"
    return message


class _Indexer:
    """Walks a composed node tree, recording lines and repeated keys."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: dict[KeyPath, int] = {}
        self.values: dict[KeyPath, frozenset[str]] = {}
        self.problems: list[str] = []
        self._open: set[int] = set()  # nodes being walked: a recursive alias stops here

    def walk(self, node: yaml.Node, path: KeyPath) -> None:
        if id(node) in self._open:
            return
        self._open.add(id(node))
        if isinstance(node, yaml.MappingNode):
            self._walk_mapping(node, path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                self.walk(item, (*path, index))
        self._open.discard(id(node))

    def _walk_mapping(self, node: yaml.MappingNode, path: KeyPath) -> None:
        scalars: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if (*path, key) in self.lines:
                first = self.lines[(*path, key)]
                self.problems.append(
                    f"{self.name}:{line} {render_path((*path, key))}: "
                    f"duplicate key (first given at line {first})"
                )
                continue
            self.lines[(*path, key)] = line
            if isinstance(value_node, yaml.ScalarNode):
                scalars.add(str(value_node.value))
            self.walk(value_node, (*path, key))
        self.values[path] = frozenset(scalars)


class _Expansion:
    """How many values a node tree stands for once its aliases are expanded, counted
    once per distinct node (so in time linear in the file)."""

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}
        self.uses: dict[int, int] = {}
        self._open: set[int] = set()

    def size(self, node: yaml.Node) -> int:
        key = id(node)
        self.uses[key] = self.uses.get(key, 0) + 1
        if key in self.sizes or key in self._open:
            return self.sizes.get(key, 1)  # (a recursive alias counts once)
        self._open.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(self.size(k) + self.size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(self.size(item) for item in node.value)
        self._open.discard(key)
        self.sizes[key] = min(total, _HUGE)
        return self.sizes[key]


def _refuse_alias_bombs(name: str, root: yaml.Node) -> None:
    expansion = _Expansion()
    try:
        too_many = expansion.size(root) - len(expansion.sizes) > MAX_ALIASED_VALUES
    except RecursionError:
        raise ConfigError([f"{name}: nested too deeply to be a config file"]) from None
    if not too_many:
        return
    nodes = {id(n): n for n in _walk_once(root)}
    shared = [nodes[k] for k, uses in expansion.uses.items() if uses > 1 and k in nodes]
    costly = [n for n in shared if expansion.sizes[id(n)] > MAX_ALIASED_VALUES // 10]
    first = min(costly or shared or [root], key=lambda n: n.start_mark.line)
    raise ConfigError([
        f"{name}:{first.start_mark.line + 1} aliases add more than "
        f"{MAX_ALIASED_VALUES:,} values to this file (an alias bomb?): write the values "
        "out instead"
    ])  # fmt: skip


def _walk_once(root: yaml.Node) -> Iterator[yaml.Node]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.MappingNode):
            stack += [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def load_yaml(path: Path) -> tuple[Any, LineIndex]:
    """Parse a YAML file (safe loader) into data and the line of every key.

    An empty file is ``{}``. Unreadable files, syntax errors and repeated keys raise
    `ConfigError` naming the file and line.
    """
    text = _read_text(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _refuse_alias_bombs(path.name, node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        raise ConfigError([_syntax_message(path.name, err)]) from None
    except yaml.YAMLError as err:
        raise ConfigError([f"{path.name}: invalid YAML: {err}"]) from None
    finally:
        loader.dispose()
    if node is None or data is None:
        return {}, LineIndex()
    indexer = _Indexer(path.name)
    indexer.lines[()] = node.start_mark.line + 1
    indexer.walk(node, ())
    if indexer.problems:
        raise ConfigError(indexer.problems)
    return data, LineIndex(indexer.lines, indexer.values)


_SALVAGING: ContextVar[bool | None] = ContextVar("salvaging", default=None)


@contextmanager
def salvaging(*, drop_items: bool = False) -> Iterator[None]:
    """Inside, a file with problems loads as its sound part (`connector.salvage`: the
    keys with problems left out; list items too when `drop_items`), for `validate` to
    check that part against the CRMs after a strict load has reported the problems."""
    token = _SALVAGING.set(drop_items)
    try:
        yield
    finally:
        _SALVAGING.reset(token)


def validate_data(
    data: Any,
    model: type[M],
    *,
    file_name: str,
    lines: LineIndex,
    prefix: KeyPath = (),
    context: dict[str, Any] | None = None,
) -> M:
    """Validate already loaded YAML data; errors become `ConfigError` with file lines.

    Validators find the `LineIndex` in the validation context under ``"line_index"``.
    """
    full_context = {"line_index": lines, "file_name": file_name, "key_prefix": prefix}
    full_context.update(context or {})
    try:
        return model.model_validate(data, context=full_context)
    except ValidationError as err:
        messages = validation_messages(err, file_name, lines, prefix)
    drop_items = _SALVAGING.get()
    if drop_items is not None:
        try:
            return salvaged(data, lambda sound: model.model_validate(sound, context=full_context),
                            _error_locations, drop_items=drop_items)  # fmt: skip
        except Unsalvageable:
            pass
    raise ConfigError(messages)


def _error_locations(exc: Exception) -> list[KeyPath] | None:
    if not isinstance(exc, ValidationError):
        return None
    return [tuple(error["loc"]) for error in exc.errors(include_url=False, include_input=False)]


def load_model(path: Path, model: type[M], *, context: dict[str, Any] | None = None) -> M:
    """Load a YAML file and validate it as `model`, or raise `ConfigError` (all problems).

    The context always holds ``"base_dir"`` (the file's folder, where its relative paths
    point) unless the caller gives one.
    """
    data, lines = load_yaml(path)
    prepare = getattr(model, "prepare_document", None)
    if callable(prepare):  # a file read in more than one spelling (mappings: `crms.oldkeys`)
        lines = prepare(data, lines)
    full_context: dict[str, Any] = {"base_dir": path.resolve().parent}
    full_context.update(context or {})
    return validate_data(data, model, file_name=path.name, lines=lines, context=full_context)


def located_error(title: str, problems: Sequence[Problem]) -> ValidationError:
    """A `ValidationError` from validator-found problems, each ``(loc, type, message)``.

    Raise it from a validator to point at keys below the one validated (pydantic
    prefixes `loc` with where the validator runs), e.g. both rows of a duplicate.
    """
    details: list[InitErrorDetails] = [
        {"type": PydanticCustomError(kind, message), "loc": loc, "input": None}
        for loc, kind, message in problems
    ]
    return ValidationError.from_exception_data(title, details, hide_input=True)


def context_line(info: ValidationInfo, path: KeyPath) -> int | None:
    """Line of `path` (relative to the validated document's root) from the context."""
    context = info.context if isinstance(info.context, dict) else {}
    lines = context.get("line_index")
    if not isinstance(lines, LineIndex):
        return None
    prefix: KeyPath = context.get("key_prefix", ())
    return lines.line_of((*prefix, *path))


def _resolve(value: Path, info: ValidationInfo) -> Path:
    # Relative paths mean "next to this file", whatever the working directory is.
    context = info.context if isinstance(info.context, dict) else {}
    base = context.get("base_dir")
    value = value.expanduser()
    if value.is_absolute() or base is None:
        return value.resolve()
    return (Path(base) / value).resolve()


def _check_kind(value: Path, kind: str, is_kind: Callable[[Path], bool]) -> Path:
    if not is_kind(value):
        problem = f"is not a {kind}" if value.exists() else f"{kind} not found"
        context = {"problem": problem, "path": str(value)}
        raise PydanticCustomError(f"path_not_{kind}", "{problem}: {path}", context)
    return value


def _must_be(kind: str, is_kind: Callable[[Path], bool]) -> AfterValidator:
    """A validator checking that a resolved path is an existing `kind` (folder, file)."""
    return AfterValidator(lambda value: _check_kind(value, kind, is_kind))


ResolvedPath = Annotated[Path, AfterValidator(_resolve)]
"""A path; relative ones resolve against the folder of the file they are written in."""
ExistingDir = Annotated[Path, AfterValidator(_resolve), _must_be("folder", Path.is_dir)]
"""A `ResolvedPath` that must be an existing folder."""
ExistingFile = Annotated[Path, AfterValidator(_resolve), _must_be("file", Path.is_file)]
"""A `ResolvedPath` that must be an existing file."""


def _exists_online(value: Path, info: ValidationInfo) -> Path:
    # Commands that never reach a CRM (status, dashboard) load the config "offline".
    context = info.context if isinstance(info.context, dict) else {}
    if context.get("offline"):
        return value
    return _check_kind(value, "file", Path.is_file)


ConnectionFile = Annotated[Path, AfterValidator(_resolve), AfterValidator(_exists_online)]
"""An `ExistingFile` needed only to reach a CRM (a CA file, a key): a config loaded for
a command that works offline (`load_config(offline=True)`) does not need it to exist."""
