"""`crm-kpi card hubspot`: the HubSpot developer project of the Sales KPIs card, written
for one portal's config, ready for `hs project upload`.

The project is the shipped one (`card.PROJECT`) with three files made for the portal:
`cardConfig.js` (from config.yaml and the mapping), the app's `app-hsmeta.json` (its
support contact from the command's options) and the card's `package.json` (its
dependencies only: the card's tests stay with crm-kpi). A marker file lists what was
written with each file's digest, so a later run rewrites its own output, never a folder
it did not write, nor a file someone changed since, unless told to (`--force`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from connector import __version__
from connector.crms.hubspot.card import PROJECT, SETTINGS_FILE, card_settings, settings_js
from connector.crms.hubspot.mapping import PushMapping
from connector.errors import ConfigError
from connector.resources import shipped
from connector.settings import Reporting

COMMAND = "crm-kpi card hubspot"
APP_META = "src/app/app-hsmeta.json"
PACKAGE = "src/app/cards/package.json"
SOURCES = (
    "hsproject.json",
    "src/app/cards/sales-kpis-hsmeta.json",
    "src/app/cards/SalesKpis.jsx",
    "src/app/cards/SalesKpisCard.jsx",
    "src/app/cards/kpiData.js",
)
"""The shipped files copied as they are."""
MARKER = ".crm-kpi-card.json"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,}$")


@dataclass(frozen=True)
class Support:
    """The app's support contact, which HubSpot shows to whoever installs the app."""

    email: str | None = None
    url: str | None = None
    documentation_url: str | None = None
    phone: str | None = None

    def given(self) -> dict[str, str]:
        """The fields given, by HubSpot's names (`support` of app-hsmeta.json)."""
        return {_SUPPORT_KEYS[k]: v for k, v in asdict(self).items() if v}

    def problems(self) -> list[str]:
        """What HubSpot would refuse, named by the option that gave it."""
        out = []
        for field, value in asdict(self).items():
            option = f"--support-{field}" if field != "documentation_url" else "--documentation-url"
            if not value:
                continue
            if field == "email" and not _EMAIL.match(value):
                out.append(f"{option} {value!r}: not an e-mail address")
            elif field.endswith("url") and not value.startswith("https://"):
                out.append(f"{option} {value!r}: not an https:// address")
            elif field == "phone" and not _PHONE.match(value):
                out.append(f"{option} {value!r}: not a phone number (like +1 555 0100)")
        return out

    @classmethod
    def of(cls, given: dict[str, str]) -> Support:
        """A contact from HubSpot's names (an earlier run's marker)."""
        names = {v: k for k, v in _SUPPORT_KEYS.items()}
        return cls(**{names[k]: v for k, v in given.items() if k in names})

    def over(self, earlier: Support) -> Support:
        """This contact, with the earlier run's where this one gives nothing."""
        mine, theirs = asdict(self), asdict(earlier)
        return Support(**{k: mine[k] or theirs[k] for k in mine})


_SUPPORT_KEYS = {"email": "supportEmail", "url": "supportUrl",
                 "documentation_url": "documentationUrl", "phone": "supportPhone"}  # fmt: skip


@dataclass
class Written:
    """What a run wrote, and what the person running it should know."""

    out: Path
    files: list[str]
    removed: list[str]
    settings: dict[str, Any]
    notes: list[str]


def project_files(reporting: Reporting, push: PushMapping, support: Support) -> dict[str, bytes]:
    """The project's files by path: the shipped sources and those made for this portal."""
    folder = shipped(PROJECT)
    files = {name: (folder / name).read_bytes() for name in SOURCES}
    files[SETTINGS_FILE] = settings_js(card_settings(reporting, push)).encode()
    files[APP_META] = _json(app_meta(json.loads((folder / APP_META).read_text()), support))
    files[PACKAGE] = _json(package_json(json.loads((folder / PACKAGE).read_text())))
    return files


def app_meta(shipped_meta: dict[str, Any], support: Support) -> dict[str, Any]:
    """The app's configuration with this support contact (only the fields given)."""
    config = {k: v for k, v in shipped_meta["config"].items() if k != "support"}
    if support.given():
        config["support"] = support.given()
    return {**shipped_meta, "config": config}


def package_json(shipped_package: dict[str, Any]) -> dict[str, Any]:
    """The card's package.json as uploaded: its runtime dependencies, no test tooling."""
    kept = {k: v for k, v in shipped_package.items() if k not in ("devDependencies", "scripts")}
    return kept


def _json(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def previous_output(out: Path) -> dict[str, Any] | None:
    """The marker of an earlier run in `out`, or None when `out` holds none."""
    marker = out / MARKER
    if not marker.is_file():
        return None
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("files"), dict) else None


def _changed(out: Path, before: dict[str, Any]) -> list[str]:
    """Files an earlier run wrote that were changed since (a deleted one is not)."""
    return sorted(
        name for name, digest in before["files"].items()
        if (out / name).is_file() and _digest((out / name).read_bytes()) != digest
    )  # fmt: skip


def check_target(out: Path, *, force: bool) -> dict[str, Any] | None:
    """Refuse a folder this command did not write, or whose files were changed since,
    unless forced; the earlier run's marker when there is one."""
    if out.exists() and not out.is_dir():
        raise ConfigError([f"{out}: not a folder; give a new or empty folder to --out"])
    before = previous_output(out) if out.is_dir() else None
    if force or not out.is_dir():
        return before
    if before is None and any(out.iterdir()):
        raise ConfigError([f"{out} is not empty and was not written by `{COMMAND}`: give a "
                           "new or empty folder to --out, or --force to write the card's "
                           "files into it (files of the same name are replaced)"])  # fmt: skip
    changed = _changed(out, before) if before else []
    if changed:
        raise ConfigError([f"{out / name}: changed since `{COMMAND}` wrote it; the card's "
                           "files are made from config.yaml and the mapping, so edit those "
                           "and write again (--force replaces the changed files)"
                           for name in changed])  # fmt: skip
    return before


def _write(path: Path, content: bytes) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(content)
    os.replace(part, path)


def write_project(
    out: Path,
    files: dict[str, bytes],
    *,
    force: bool = False,
    support: Support | None = None,
    config_path: Path | None = None,
) -> tuple[list[str], list[str]]:
    """Write the project into `out`: (files written, files of an earlier run removed)."""
    before = check_target(out, force=force)
    for name, content in sorted(files.items()):
        _write(out / name, content)
    stale = sorted(set(before["files"]) - set(files)) if before else []
    for name in stale:
        (out / name).unlink(missing_ok=True)
    digests = {name: _digest(content) for name, content in sorted(files.items())}
    marker = {"written_by": COMMAND, "crm_kpi": __version__,
              "config": str(config_path) if config_path else None,
              "support": (support or Support()).given(), "files": digests}  # fmt: skip
    _write(out / MARKER, _json(marker))
    return sorted(files), stale


README = "README.md"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def readme(config_path: Path | None) -> str:
    """What the folder is and the steps left, for whoever finds it."""
    source = f" from {config_path}" if config_path else ""
    return f"""# The Sales KPIs card for HubSpot

Written by `{COMMAND}` (crm-kpi {__version__}){source}. The card's settings
(`{SETTINGS_FILE}`) follow that config and its mapping: change those and run the
command again, which rewrites this folder; do not edit the files here.

Deploy with the HubSpot CLI (Node 20+), from this folder:

    npm install -g @hubspot/cli
    hs account auth          # once: a personal access key of the portal
    hs project upload        # builds and deploys the app and its card

Then install the app in the portal and add the "Sales KPIs" card to the deal, company
and contact record layouts: crm-kpi's docs/hubspot.md, "The Sales KPIs card".
"""


def describe(settings: dict[str, Any]) -> str:
    """The settings in one line, as the command reports them."""
    return (f"{settings['currency']}, {settings['periodType']} periods, fiscal year from "
            f"{_MONTHS[settings['fiscalYearStartMonth'] - 1]}, time zone "
            f"{settings['timeZone']}, object {settings['kpiObject']}, "
            f"{len(settings['kpis'])} KPIs, "
            f"{len(settings['companyFigures'])} company figures")  # fmt: skip


def write_card(
    out: Path,
    reporting: Reporting,
    push: PushMapping,
    support: Support,
    *,
    force: bool = False,
    config_path: Path | None = None,
) -> Written:
    """Write the card's project for this portal into `out`; a support contact not given
    is the earlier run's."""
    before = previous_output(out) if out.is_dir() else None
    if before is not None:
        support = support.over(Support.of(before.get("support") or {}))
    if problems := support.problems():
        raise ConfigError(problems)
    files = project_files(reporting, push, support)
    files[README] = readme(config_path).encode()
    written, removed = write_project(out, files, force=force, support=support,
                                     config_path=config_path)  # fmt: skip
    notes = []
    if not support.email:
        notes.append(f"{out / APP_META} has no support contact (HubSpot shows it to whoever "
                     "installs the app): give --support-email, and --support-url, "
                     "--documentation-url, --support-phone if you have them, and write again "
                     "before `hs project upload`")  # fmt: skip
    return Written(out, written, removed, card_settings(reporting, push), notes)
