"""What `crm-kpi discover` proposes, for every CRM: the current mapping, read with its
comments kept (ruamel.yaml's round trip), adjusted to what the org has, each change
said in a comment beside it.

Shared here: the contact method a picklist value's words suggest (or `other`, marked
for review), the org's field that names or types suggest for a normalized field (NPS
score, cost, territory, team, …), and how the proposal is written and compared.
"""

from __future__ import annotations

import difflib
import io
import re
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from connector.crms.language import MappingRules, read_mapping
from connector.crms.oldkeys import modernize
from connector.crms.valuemaps import nearest, suggestion, unmatched
from connector.errors import ConfigError

Kind = Literal["text", "number", "date", "boolean", "reference", "other"]

# The words of a picklist value that suggest a contact method, most telling first.
METHOD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("other", ("direct mail", "postal", "purchased", "list purchase", "other", "unknown")),
    ("social", ("social", "linkedin", "linked in", "facebook", "twitter", "instagram",
                "tiktok", "youtube", "paid social")),
    ("referral", ("referral", "referred", "partner", "word of mouth", "recommend",
                  "affiliate")),
    ("event", ("trade show", "tradeshow", "conference", "event", "webinar", "seminar", "expo",
               "summit", "fair", "workshop", "meetup", "roadshow")),
    ("in_person", ("in person", "meeting", "visit", "walk in", "face to face", "onsite",
                   "on site", "door to door")),
    ("phone", ("phone", "call", "telephone", "telemarketing", "sms", "text message")),
    ("email", ("email", "e mail", "newsletter", "mailing", "mail")),
    ("web", ("web", "website", "online", "organic", "seo", "search", "ppc", "adwords",
             "landing", "form", "chat", "direct traffic", "inbound", "ads")),
)  # fmt: skip


def guess_method(value: str) -> tuple[str, str]:
    """(contact method, the comment that says why) for one CRM value; `other` with
    "review" when nothing in its words names a method."""
    words = _words(value)
    for method, phrases in METHOD_WORDS:
        for phrase in phrases:
            if re.search(rf"(?<![a-z]){re.escape(phrase)}", words):
                return method, f'guessed from "{phrase}"'
    return "other", f"review: nothing in {value!r} names a contact method"


def _words(value: str) -> str:
    """``ListEmail`` → ``list email``; ``EMAIL_MARKETING`` → ``email marketing``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", value)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", spaced.lower()).split())


def fill_value_map(
    listed: CommentedMap, values: Sequence[str], *, methods: bool,
    labels: dict[str, str] | None = None,
) -> tuple[int, int]:  # fmt: skip
    """A key for every value the map lacks: a guessed contact method (`methods`) or the
    value itself, to review; (guessed, to review). `labels`: what the CRM shows for a
    value, when that is not the value (HubSpot's option labels)."""
    present = {str(key).strip().lower() for key in listed}
    guessed = review = 0
    for value in [v for v in values if v.strip().lower() not in present]:
        label = (labels or {}).get(value, value)
        method, why = guess_method(label) if methods else (value, f"review: {value!r} as it is")
        if label != value:
            why = f"{label}: {why}"
        listed[value] = method
        note(listed, value, why)
        review += "review" in why
        guessed += "review" not in why
    return guessed, review


def stale_keys(
    listed: CommentedMap, values: Sequence[str], held: set[str], where: str, what: str
) -> list[str]:
    """Keys that match no value nor record left out (a key records hold is noted and
    kept); what was said of each."""
    said = []
    for key in unmatched([str(k) for k in listed], values):
        if key.strip().lower() in held:
            note(listed, key, "not a value of the field today, but records hold it")
            continue
        del listed[key]
        said.append(f"{where}.{key} left out: no value of {what} nor any record is "
                    f"{key!r}{suggestion(key, values)}")  # fmt: skip
    return said


def correct_items(
    container: CommentedMap, key: str, values: Sequence[str], held: set[str], where: str
) -> list[str]:
    """The items of `container[key]` (exclusions) that match no value nor record: the
    nearest value in their place, or left out (the key too, once empty); what was said."""
    listed = container[key]
    said = []
    for value in unmatched([str(v) for v in listed], values):
        if value.strip().lower() in held:
            continue
        close = nearest(value, values)
        position = [str(v) for v in listed].index(value)
        if close:
            listed[position] = close[0]
            note(container, key, f"was {value!r}, which no value nor record is: the nearest")
        else:
            del listed[position]
        said.append(f"{where}: {value!r} matches nothing; "
                    + (f"{close[0]!r} in its place" if close else "left out"))
    if not listed:
        del container[key]
    return said


@dataclass(frozen=True)
class OrgField:
    """One field (property) the org has, in the words every CRM shares."""

    name: str
    label: str
    kind: Kind
    custom: bool = False
    references: tuple[str, ...] = ()


# The normalized fields worth proposing an org field for: the words its name or label
# may hold, and the kinds of field that can fill it.
HINTS: dict[str, tuple[tuple[str, ...], tuple[Kind, ...]]] = {
    "territory": (("territor", "region", "area", "zone", "district", "geo"), ("text",)),
    "team": (("team", "department", "division", "squad", "pod", "role"), ("text",)),
    "cost": (("cost", "cogs", "expense"), ("number",)),
    "unit_cost": (("cost", "cogs"), ("number",)),
    "churned_at": (("churn", "cancel", "terminat", "lost"), ("date",)),
    "score": (("nps", "score", "rating", "recommend"), ("number",)),
    "responded_at": (("respon", "submi", "survey", "answer"), ("date",)),
    "type": (("type", "kind", "category"), ("text",)),
    "contact_method": (("lead source", "source", "channel", "origin"), ("text",)),
}
REFERENCES = {"account_id": ("Account", "companies"), "contact_id": ("Contact", "contacts")}


def propose_field(
    normalized: str, fields: Sequence[OrgField], taken: Iterable[str] = (), was: str = ""
) -> tuple[OrgField, str] | None:
    """The org field that names or types suggest for `normalized` (not one `taken`), and
    why; else the field nearest to `was`, a name the org lacks (a typo)."""
    taken = {name.lower() for name in taken}
    free = [f for f in fields if f.name.lower() not in taken]
    if normalized in REFERENCES:
        wanted = REFERENCES[normalized]
        lookups = [f for f in free if f.kind == "reference" and set(f.references) & set(wanted)]
        if lookups:
            return lookups[0], f"a lookup of {lookups[0].references[0]}"
    hint = HINTS.get(normalized)
    if hint is not None:
        words, kinds = hint
        ranked = sorted(
            (f for f in free if f.kind in kinds and _names_any(f, words)),
            key=lambda f: (not _names_any(f, words, label=False), not f.custom, f.name),
        )
        if ranked:
            return ranked[0], f"its name suggests {normalized.replace('_', ' ')}"
    if was:
        close = nearest(was, [f.name for f in free])
        if close:
            return next(f for f in free if f.name == close[0]), f"the nearest name to {was}"
    return None


def _names_any(f: OrgField, words: tuple[str, ...], *, label: bool = True) -> bool:
    text = _words(f.name) + (" " + _words(f.label) if label else "")
    return any(re.search(rf"(?<![a-z]){re.escape(w)}", text) for w in words)


@dataclass
class Lack:
    """Something the mapping needs that the org lacks, and how to add it."""

    what: str
    how: str
    left_out: str = ""  # what the proposal leaves out meanwhile


@dataclass
class Proposal:
    """A proposed mapping: its text, what it started from, what the org lacks."""

    text: str
    current: Path
    api_calls: int
    lacks: list[Lack] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # what discovery found, for stderr
    problems: list[str] = field(default_factory=list)  # the current mapping's, kept


def round_trip() -> YAML:
    """The YAML reader and writer of proposals: comments, anchors and flow styles kept,
    indented as the shipped mappings are."""
    yaml = YAML()
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_document(path: Path) -> Any:
    """A mapping file as an editable document (a CommentedMap), in the mapping language
    of this release whatever the file's spelling (`oldkeys`)."""
    document = round_trip().load(path.read_text(encoding="utf-8"))
    modernize(document)
    return document


def dump_document(document: Any, header: Sequence[str]) -> str:
    """The document as text, after `header` (comment lines)."""
    out = io.StringIO()
    round_trip().dump(document, out)
    lines = [f"# {line}".rstrip() for line in header]
    return "\n".join(lines) + ("\n\n" if lines else "") + out.getvalue()


def note(container: CommentedMap | CommentedSeq, key: Any, comment: str) -> None:
    """A comment at the end of `key`'s line, after the one it has (whose blank lines
    after it stay)."""
    old = container.ca.items.get(key)
    token = old[2] if old and len(old) > 2 else None
    tail = ""
    if token is not None:
        first, newline, rest = str(token.value).partition("\n")
        comment = f"{first.lstrip('#').strip()}; {comment}"
        tail = rest if newline else ""
    container.yaml_add_eol_comment(comment, key)
    if tail:
        new = container.ca.items[key][2]
        new.value = str(new.value).rstrip("\n") + "\n" + tail


def header(crm: str, where: str, current: Path, lacks: Sequence[Lack],
           found: Sequence[str]) -> list[str]:  # fmt: skip
    """The proposal's opening comment: what it is, what the org lacks and how to add it,
    and what discovery found."""
    lines = textwrap.wrap(
        f"Proposed by `crm-kpi discover {crm}` from {where}, starting from {current.name}. "
        'Review every line marked "review" or "guessed", then name this file as the '
        "source's mapping: in config.yaml and run `crm-kpi validate`.", width=88)
    if lacks:
        lines += ["", f"What the mapping needs that the org lacks ({len(lacks)}):"]
        for lack in lacks:
            lines += _item(f"{lack.what}: {lack.how}")
            if lack.left_out:
                lines += _item(f"meanwhile left out: {lack.left_out}", "    ")
    if found:
        lines += ["", "What the org has, and what this proposal changed:"]
        lines += [wrapped for line in found for wrapped in _item(line)]
    return lines


def _item(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(f"{indent}- {text}", width=86, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False)  # fmt: skip


def modern_text(text: str) -> tuple[str, int]:
    """A mapping's text in this release's language, comments and layout kept (as
    `crm-kpi init --upgrade-mapping` writes it), and how many old spellings it had
    (0: `text` itself)."""
    yaml = round_trip()
    document = yaml.load(text)
    done = modernize(document)
    if not done.respelled:
        return text, 0
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue(), len(done.respelled)


def unified_diff(current: Path, proposed: str, proposed_name: str) -> str:
    """What the proposal changes in the current mapping, as `diff -u` shows it; a
    mapping in last release's spelling as its upgrade writes it, so that the diff shows
    what the org changes, not the respellings (said in the diff's first line)."""
    text, respelled = modern_text(current.read_text(encoding="utf-8"))
    name = str(current)
    if respelled:
        name += (f" (its {respelled} old spellings as `crm-kpi init --upgrade-mapping` "
                 "rewrites them)")  # fmt: skip
    old, new = text.splitlines(keepends=True), proposed.splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, name, proposed_name))


def static_problems(text: str, model: type[MappingRules], name: str) -> list[str]:
    """What loading the proposal as a mapping would say (nothing, when it is valid)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        try:
            read_mapping(path, model)
        except ConfigError as exc:
            return exc.messages
    return []
