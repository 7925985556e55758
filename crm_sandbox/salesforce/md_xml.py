"""Metadata API XML files as the deploy reads them: parsed with line and column, and
checked against the elements a metadata type has.

Every file in a deploy is an element of the metadata namespace
(`http://soap.sforce.com/2006/04/metadata`) named after its type (`<CustomTab>`,
`<FlexiPage>`, …). A type is described here by a `Spec`: its child elements, each a
text, boolean, integer, number, enumeration or nested spec, optional or required,
single or repeated. The sandbox's specs hold the elements it serves (each name is one
the Metadata API WSDL has: tests check them against simple-salesforce's copy); an element
outside them is refused as Salesforce refuses an element its schema lacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Union
from xml.parsers import expat

NS = "http://soap.sforce.com/2006/04/metadata"
TEXT, BOOL, INT, NUMBER = "string", "boolean", "int", "double"


class Problem(Exception):
    """Why a component cannot deploy, where in its file (a componentFailure)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 file_name: str | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.column, self.file_name = message, line, column, file_name


@dataclass
class Node:
    """One element: its local name, text, attributes, children and where it starts."""

    tag: str
    line: int
    column: int
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def one(self, tag: str) -> Node | None:
        found = self.all(tag)
        return found[0] if found else None

    def get(self, tag: str, default: str | None = None) -> str | None:
        """The trimmed text of the child `tag`, or `default` when it is absent."""
        node = self.one(tag)
        return node.text.strip() if node is not None else default

    def flag(self, tag: str, default: bool = False) -> bool:
        value = self.get(tag)
        return default if value is None else value == "true"

    def texts(self, tag: str) -> list[str]:
        return [c.text.strip() for c in self.all(tag)]

    def problem(self, message: str) -> Problem:
        return Problem(message, self.line, self.column)

    def walk(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


def parse(data: bytes, root_tag: str) -> Node:
    """The file's root element, which must be `root_tag` in the metadata namespace."""
    stack: list[Node] = []
    done: list[Node] = []
    parser = expat.ParserCreate(namespace_separator=" ")

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(" ")
        node = Node(local, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1,
                    {k.rpartition(" ")[2]: v for k, v in attrs.items()})
        if not stack and (ns != NS or local != root_tag):
            raise Problem(f"Error parsing file: the root element must be {root_tag} in the "
                          f"namespace {NS}, not {{{ns}}}{local}", node.line, node.column)
        if stack:
            stack[-1].children.append(node)
        stack.append(node)

    def end(name: str) -> None:
        done.append(stack.pop())

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise Problem(f"Error parsing file: {expat.ErrorString(exc.code)}", exc.lineno,
                      exc.offset + 1) from exc
    if not done:
        raise Problem("Error parsing file: no element", 1, 1)
    return done[-1]


# ---- specs ----------------------------------------------------------------------------
Kind = Union[str, tuple[str, ...], "Spec"]


@dataclass(frozen=True)
class Child:
    """One child element: its kind, whether it is required, whether it repeats."""

    kind: Kind
    required: bool = False
    many: bool = False


@dataclass(frozen=True)
class Spec:
    """A complex type: its name (as the WSDL has it) and its child elements."""

    name: str
    children: dict[str, Child]


def spec(type_name: str, /, **children: Kind) -> Spec:
    """A spec from `name=kind` pairs: a trailing `_` marks a required element, `__`
    a repeated one (`label_`, `columns__`); `Enum` kinds are tuples of the values."""
    out: dict[str, Child] = {}
    for key, kind in children.items():
        many, required = key.endswith("__"), key.endswith("_") and not key.endswith("__")
        out[key.rstrip("_")] = Child(kind, required, many)
    return Spec(type_name, out)


def check(node: Node, kind: Spec) -> None:
    """Refuse an element, value or repetition `kind` does not allow, or a missing one."""
    seen: dict[str, int] = {}
    for c in node.children:
        child = kind.children.get(c.tag)
        if child is None:
            raise c.problem(f"Error parsing file: Element {{{NS}}}{c.tag} invalid at this "
                            f"location in type {kind.name}")
        seen[c.tag] = seen.get(c.tag, 0) + 1
        if seen[c.tag] > 1 and not child.many:
            raise c.problem(f"Error parsing file: Element {c.tag} is duplicated at this "
                            f"location in type {kind.name}")
        check_value(c, child.kind)
    for tag, child in kind.children.items():
        if child.required and tag not in seen:
            raise node.problem(f"Error parsing file: Element {{{NS}}}{tag} is required in "
                               f"type {kind.name}")


def check_value(node: Node, kind: Kind) -> None:
    """One element's value against its kind."""
    if isinstance(kind, Spec):
        check(node, kind)
        return
    if node.children:
        raise node.children[0].problem(
            f"Error parsing file: Element {{{NS}}}{node.children[0].tag} invalid at this "
            f"location in type {node.tag}")
    text = node.text.strip()
    if isinstance(kind, tuple):
        if text not in kind:
            raise node.problem(f"Error parsing file: '{text}' is not a valid value for the "
                               f"enum '{node.tag}' (one of {', '.join(kind)})")
    elif kind == BOOL and text not in ("true", "false"):
        raise node.problem(f"Error parsing file: '{text}' is not a valid value for the type "
                           f"xsd:boolean of {node.tag}")
    elif kind in (INT, NUMBER):
        try:
            int(text) if kind == INT else float(text)
        except ValueError:
            raise node.problem(f"Error parsing file: '{text}' is not a valid value for the "
                               f"type xsd:{kind} of {node.tag}") from None


def developer_name_problem(name: str, what: str, limit: int = 80) -> str | None:
    """Why `name` is not a valid API name ("can contain only underscores and alphanumeric
    characters, … begin with a letter, not include spaces, not end with an underscore, and
    not contain two consecutive underscores"), or None."""
    if not name or len(name) > limit:
        return f"The {what} name {name!r} must have 1 to {limit} characters"
    if not name[0].isalpha() or not all(ch.isalnum() or ch == "_" for ch in name) or \
            name.endswith("_") or "__" in name or not name.isascii():
        return (f"The {what} name {name!r} can only contain underscores and alphanumeric "
                "characters. It must begin with a letter, not include spaces, not end with "
                "an underscore, and not contain two consecutive underscores.")
    return None


def checked(root: Node | None, kind: Spec) -> Node:
    """A component's root element, checked against its type."""
    if root is None:
        raise Problem(f"Error parsing file: no {kind.name} element")
    check(root, kind)
    return root


def named(node: Node, name: str, what: str, label_tag: str, limit: int,
          name_limit: int = 80) -> str:
    """The label (`label_tag` of `node`) of a component named `name`, after checking the
    name's rules and the label's length."""
    label = node.get(label_tag) or ""
    why = developer_name_problem(name, what, name_limit)
    if why:
        raise node.problem(why)
    if len(label) > limit:
        raise node.problem(f"{label_tag}: data value too large: the {what} {label_tag} "
                           f"{label!r} is longer than {limit} characters")
    return label
