"""Last release's mapping spellings, read for one more release (docs/mappings.md,
"Upgrading"): each is rewritten into the shared language before validation, and said
as a deprecation note naming the old key, the new one and the line.

| last release                                   | now                                  |
|------------------------------------------------|--------------------------------------|
| Salesforce `fields.X: {field, values, default, | `fields.X`, `values.X`, `defaults.X`,|
| only_ids_of, transform}`, `fields.X: {const}`  | `only_ids_of.X`, `transforms.X`,     |
|                                                | `constants.X`                        |
| HubSpot `properties`                           | `fields`                             |
| HubSpot `push.company_properties`, `{property}`| `push.account_fields`, `{field}`     |
| CSV `entities: {X: {columns, ...}}`            | `streams: [{entity: X, fields, ...}]`|

`modernize` works in place on plain parsed data and on ruamel.yaml's round-trip data
alike (new keys go where the old ones were, comments stay on their keys), so loading a
file and `crm-kpi init --upgrade-mapping` rewrite it the same way.
"""

from __future__ import annotations

import copy
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from connector.yamlfile import KeyPath, LineIndex, render_path

# A Salesforce field spec's keys and the stream section each now goes to.
SPEC_SECTIONS = {"field": "fields", "const": "constants", "values": "values",
                 "default": "defaults", "only_ids_of": "only_ids_of",
                 "transform": "transforms"}  # fmt: skip
SHOWN = 5  # deprecation notes per file; the rest are counted


@dataclass(frozen=True)
class Respelled:
    """One old spelling: where it is written, what it was, what it is now."""

    at: KeyPath
    was: str
    now: str


@dataclass
class Modernized:
    """What `modernize` rewrote, and where each old key path now is (for lines)."""

    respelled: list[Respelled] = field(default_factory=list)
    moves: list[tuple[KeyPath, KeyPath]] = field(default_factory=list)

    def moved(self, old: KeyPath, new: KeyPath) -> None:
        self.moves.append((old, new))

    def lines(self, index: LineIndex) -> LineIndex:
        """`index` with every key at its new path (a new section at its first item's line)."""
        moves = sorted(self.moves, key=lambda m: len(m[0]), reverse=True)

        def new_path(path: KeyPath) -> KeyPath:
            for old, new in moves:
                if path[: len(old)] == old:
                    return (*new, *path[len(old):])
            return path

        lines: dict[KeyPath, int] = {}
        for path, line in index.lines.items():
            lines.setdefault(new_path(path), line)
        for old, new in self.moves:
            line = index.line_of(old)
            for end in range(1, len(new) + 1):
                lines.setdefault(new[:end], line)
        values = {new_path(path): scalars for path, scalars in index.values.items()}
        return LineIndex(lines, values)


def modernize(data: Any) -> Modernized:
    """Rewrite last release's spellings of a mapping (any CRM's, in place) into the
    shared language; what was rewritten (nothing: the file is in the new language)."""
    done = Modernized()
    if not isinstance(data, MutableMapping):
        return done
    _csv_entities(data, done)
    streams = data.get("streams")
    for index, stream in enumerate(streams if isinstance(streams, list) else []):
        modernize_stream(stream, ("streams", index), done)
    modernize_push(data.get("push"), ("push",), done)
    return done


def modernize_stream(stream: Any, at: KeyPath = (), done: Modernized | None = None) -> None:
    """Rewrite last release's spellings of one stream (at `at` in its file), in place."""
    if isinstance(stream, MutableMapping):
        _hubspot_properties(stream, at, done or Modernized())
        _salesforce_specs(stream, at, done or Modernized())


def modernize_push(push: Any, at: KeyPath = (), done: Modernized | None = None) -> None:
    """Rewrite last release's spellings of a `push` section (at `at`), in place."""
    if isinstance(push, MutableMapping):
        _company_properties(push, at, done or Modernized())


def notes(file_name: str, lines: LineIndex, done: Modernized) -> list[str]:
    """One deprecation note per old spelling (the first few; the rest counted)."""
    said = [
        f"{file_name}:{lines.line_of(r.at)} {render_path(r.at)}: deprecated spelling "
        f"{r.was}; the mapping language now says {r.now} (docs/mappings.md)"
        for r in done.respelled[:SHOWN]
    ]
    more = len(done.respelled) - SHOWN
    if said:
        tail = f" ({more} more old spellings)" if more > 0 else ""
        said.append(f"{file_name}: written in last release's mapping language, read as "
                    f"the new one until the next release{tail}: `crm-kpi init "
                    f"--upgrade-mapping {file_name}` rewrites it, comments kept")  # fmt: skip
    return said


def _csv_entities(data: MutableMapping[str, Any], done: Modernized) -> None:
    entities = data.get("entities")
    if not isinstance(entities, MutableMapping) or "streams" in data:
        return
    streams = _sequence_like(entities)
    for position, (name, entry) in enumerate(entities.items()):
        stream = entry if isinstance(entry, MutableMapping) else _mapping_like(entities)
        _insert(stream, 0, "entity", name)
        done.moved(("entities", name), ("streams", position))
        if "columns" in stream and "fields" not in stream:
            _rename(stream, "columns", "fields")
            done.moved(("entities", name, "columns"), ("streams", position, "fields"))
            done.respelled.append(Respelled(("entities", name, "columns"), "columns",
                                            f"fields (streams[{position}].fields)"))  # fmt: skip
        streams.append(stream)
    _rename(data, "entities", "streams", streams)
    done.moved(("entities",), ("streams",))
    done.respelled.insert(0, Respelled(("entities",), "entities: {<entity>: ...}",
                                       "streams: [{entity: <entity>, ...}]"))  # fmt: skip


def _hubspot_properties(stream: MutableMapping[str, Any], at: KeyPath, done: Modernized) -> None:
    if "properties" in stream and "fields" not in stream:
        _rename(stream, "properties", "fields")
        done.moved((*at, "properties"), (*at, "fields"))
        done.respelled.append(Respelled((*at, "properties"), "properties", "fields"))


def _company_properties(push: MutableMapping[str, Any], at: KeyPath, done: Modernized) -> None:
    written = "account_fields"
    if "company_properties" in push and written not in push:
        written = "company_properties"
        _rename(push, written, "account_fields")
        done.moved((*at, written), (*at, "account_fields"))
        done.respelled.append(Respelled((*at, written), written, "account_fields"))
    fields = push.get("account_fields")
    for figure, given in fields.items() if isinstance(fields, MutableMapping) else []:
        if isinstance(given, MutableMapping) and "property" in given and "field" not in given:
            _rename(given, "property", "field")
            old = (*at, written, figure, "property")
            done.moved(old, (*at, "account_fields", figure, "field"))
            done.respelled.append(Respelled(old, "{property, take_over}",
                                            "{field, take_over}"))  # fmt: skip


def _salesforce_specs(stream: MutableMapping[str, Any], at: KeyPath, done: Modernized) -> None:
    """`fields.X: {field, values, ...}` → `fields.X` and one entry per other section."""
    fields = stream.get("fields")
    if not isinstance(fields, MutableMapping) or not any(map(_is_spec, fields.values())):
        return
    tail = _pop_tail(stream)
    for name, spec in list(fields.items()):
        if not _is_spec(spec):
            continue
        where = (*at, "fields", name)
        now = []
        for key, value in spec.items():
            section = SPEC_SECTIONS[key]
            now.append(f"{section}.{name}")
            done.moved((*where, key), (*at, section, name))
            if key == "field":
                fields[name] = value
            else:
                _section(stream, section)[name] = value
        if "const" in spec:
            comment = _pop(fields, name)
            _comment(_section(stream, "constants"), name, comment)
        shown = ", ".join(spec)
        done.respelled.append(Respelled(where, f"{{{shown}}}", ", ".join(now)))
    _put_tail(stream, tail)


def _is_spec(spec: Any) -> bool:
    """A field spec last release read: known keys, exactly one of field and const."""
    return (isinstance(spec, MutableMapping) and bool(spec) and set(spec) <= set(SPEC_SECTIONS)
            and ("field" in spec) != ("const" in spec))  # fmt: skip


def _section(stream: MutableMapping[str, Any], name: str) -> MutableMapping[str, Any]:
    """The stream's section `name`, added after the sections before it when missing."""
    found = stream.get(name)
    if isinstance(found, MutableMapping):
        return found
    order = list(SPEC_SECTIONS.values())
    before = [k for k in order[: order.index(name)] if k in stream]
    keys = list(stream)
    position = max((keys.index(k) + 1 for k in before), default=len(keys))
    _insert(stream, position, name, _mapping_like(stream))
    made: MutableMapping[str, Any] = stream[name]
    return made


def _mapping_like(like: Any) -> MutableMapping[str, Any]:
    made: MutableMapping[str, Any] = type(like)() if hasattr(like, "ca") else {}
    return made


def _sequence_like(like: Any) -> list[Any]:
    if hasattr(like, "ca"):
        from ruamel.yaml.comments import CommentedSeq

        return CommentedSeq()
    return []


def _insert(mapping: MutableMapping[str, Any], position: int, key: str, value: Any) -> None:
    """Put `key` at `position` (ruamel's maps keep their comments by key)."""
    if hasattr(mapping, "insert"):
        mapping.insert(position, key, value)
        return
    items = list(mapping.items())
    items.insert(position, (key, value))
    mapping.clear()
    mapping.update(items)


def _rename(mapping: MutableMapping[str, Any], old: str, new: str, value: Any = None) -> None:
    """Key `old` becomes `new` in its place, with its comment (and `value` when given)."""
    position = list(mapping).index(old)
    kept = mapping[old] if value is None else value
    comment = _pop(mapping, old)
    _insert(mapping, position, new, kept)
    _comment(mapping, new, comment)


def _pop(mapping: MutableMapping[str, Any], key: str) -> Any:
    """Remove `key`; its comment (ruamel's), if any."""
    comments = getattr(getattr(mapping, "ca", None), "items", {})
    comment = comments.pop(key, None)
    del mapping[key]
    return comment


def _comment(mapping: MutableMapping[str, Any], key: str, comment: Any) -> None:
    if comment is not None and hasattr(mapping, "ca"):
        mapping.ca.items[key] = comment


def _last_item(node: Any) -> tuple[Any, Any] | None:
    """The map or list holding the last line of `node` (ruamel's), and its key there."""
    found = None
    # A flow collection ({field: X}) is written on its key's line: its comments are the key's.
    while hasattr(node, "ca") and len(node) and not node.fa.flow_style():
        key = list(node)[-1] if isinstance(node, MutableMapping) else len(node) - 1
        found, node = (node, key), node[key]
    return found


def _pop_tail(stream: Any) -> Any:
    """The comment lines after a stream's last line (ruamel keeps them on its last key),
    taken away so that they stay after the stream when keys are added to it."""
    last = _last_item(stream)
    entry = last[0].ca.items.get(last[1]) if last is not None else None
    if not entry or len(entry) < 3 or entry[2] is None:
        return None
    token = entry[2]
    head, newline, rest = token.value.partition("\n")
    if not rest:
        return None
    token.value = head + newline
    moved = copy.copy(token)
    moved.value = rest
    return moved


def _put_tail(stream: Any, tail: Any) -> None:
    last = _last_item(stream)
    if tail is None or last is None:
        return
    holder, key = last
    entry = holder.ca.items.setdefault(key, [None, None, None, None])
    if entry[2] is None:  # the line's own end, then the lines that followed the stream
        tail.value = "\n" + tail.value
        entry[2] = tail
    else:
        entry[2].value += tail.value
