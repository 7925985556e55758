"""`crm-kpi init --upgrade-mapping FILE`: a mapping in last release's spelling rewritten
in place into this release's language (docs/mappings.md, "Upgrading").

The file is rewritten by ruamel.yaml's round trip, so comments, key order, anchors and
flow styles stay; only the old keys move (`crms.oldkeys`). Nothing is written unless
the file validates as it is, and the rewritten text reads as the same rules without a
deprecation note. The file as it was is kept beside it (`<name>.bak`), so undoing is
moving that back.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.crms.files.mapping import FilesMapping
from connector.crms.hubspot.mapping import HubSpotMapping
from connector.crms.language import MappingRules, read_mapping
from connector.crms.oldkeys import modernize
from connector.crms.proposal import modern_text
from connector.crms.salesforce.mapping import SalesforceMapping
from connector.errors import ConfigError
from connector.yamlfile import load_yaml, render_path

BACKUP_SUFFIX = ".bak"
# Keys only a HubSpot or a CSV mapping has, in either spelling.
_HUBSPOT_KEYS = {"owners", "rows", "files"}
_HUBSPOT_STREAM_KEYS = {"properties", "associations", "deal_stages"}
_FILES_KEYS = {"entities", "delimiter", "encoding", "date_format", "timestamp_format"}


MODELS: dict[str, type[MappingRules]] = {
    "salesforce": SalesforceMapping, "hubspot": HubSpotMapping, "files": FilesMapping,
}  # fmt: skip


@dataclass(frozen=True)
class Upgraded:
    """What the upgrade did: the file, its backup, each key it respelled, and the CRM
    whose mapping it was read as (`told`: from its keys, not said by `--crm`)."""

    path: Path
    backup: Path
    changes: list[str]
    crm: str
    told: bool


def upgrade_mapping(path: Path, crm: str | None = None) -> Upgraded:
    """Rewrite the mapping at `path` (of `crm`; None: the CRM its keys tell) in this
    release's language, keeping a backup; `ConfigError` (nothing written) when it is
    already, or does not validate."""
    if crm is not None and crm not in MODELS:
        raise ConfigError([f"--crm {crm}: not a CRM whose mapping upgrades (one of "
                           f"{', '.join(MODELS)})"])  # fmt: skip
    data, lines = load_yaml(path)
    model = MODELS[crm] if crm is not None else mapping_model(data)
    done = modernize(data)
    if not done.respelled:
        raise ConfigError([f"{path.name}:1 already in this release's mapping language: "
                           "nothing to upgrade (docs/mappings.md)"])  # fmt: skip
    kind = next(name for name, m in MODELS.items() if m is model)
    try:
        before = read_mapping(path, model)  # ConfigError: file:line of every problem
    except ConfigError as exc:
        if crm is not None:
            raise
        others = "|".join(name for name in MODELS if name != kind)
        raise ConfigError([*exc.messages, f"{path.name}: read as a {kind} mapping, as its "
                           f"keys tell; if it is another CRM's, say so: --crm {others}"]
                          ) from None  # fmt: skip
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if backup.exists():
        raise ConfigError([f"{path.name}: {backup.name} already exists (an earlier "
                           "upgrade's backup?): move it away first, nothing was written"])
    text, _ = modern_text(path.read_text(encoding="utf-8"))
    _check(path.name, text, model, before)
    backup.write_bytes(path.read_bytes())
    _replace(path, text)
    changes = [f"{path.name}:{lines.line_of(r.at)} {render_path(r.at)}: {r.was} → {r.now}"
               for r in done.respelled]
    return Upgraded(path, backup, changes, kind, told=crm is None)


def mapping_model(data: Any) -> type[MappingRules]:
    """Which CRM's mapping a file is, from the keys only one of them has."""
    if not isinstance(data, Mapping):
        return SalesforceMapping
    streams = [s for s in data.get("streams") or [] if isinstance(s, Mapping)]
    if _FILES_KEYS & set(data) or (streams and not any("object" in s for s in streams)):
        return FilesMapping
    push = data.get("push")
    if (_HUBSPOT_KEYS & set(data) or any(_HUBSPOT_STREAM_KEYS & set(s) for s in streams)
            or (isinstance(push, Mapping) and "company_properties" in push)):  # fmt: skip
        return HubSpotMapping
    return SalesforceMapping


def _check(name: str, text: str, model: type[MappingRules], before: MappingRules) -> None:
    """The rewritten text reads as the same rules, with nothing left to upgrade."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / name
        probe.write_text(text, encoding="utf-8")
        try:
            after = read_mapping(probe, model)
        except ConfigError as exc:
            raise ConfigError([f"{name}: the upgrade would not read back, nothing was "
                               "written (please report it):", *exc.messages]) from None
    if after.deprecations() or after.model_dump() != before.model_dump():
        raise ConfigError([f"{name}: the upgrade would change the rules, nothing was "
                           "written (please report it)"])  # fmt: skip


def _replace(path: Path, text: str) -> None:
    """Write `text` over `path` at once (a crash leaves the old file or the new one)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
