"""`crm-kpi discover salesforce|hubspot`: read the org of one configured source and
propose a mapping for it (`crms/<crm>/discover.py`), written to a new file or shown, or
shown as what it changes in the mapping in use.

Never writes over a file: `--out` naming an existing one is refused (exit 2) before any
API call. The store, when there is one, lends its cached metadata (Salesforce describes
revalidated with If-Modified-Since).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from connector.config import Config, crm_of, load_config
from connector.crms.config import SourceConfig
from connector.crms.proposal import Proposal, unified_diff
from connector.errors import ConfigError, LockedError
from connector.store import Store
from connector.yamlfile import salvaging

Say = Callable[[str], None]


def discover(config_path: Path, named: str, out: Path | None, say: Say) -> Proposal:
    """The proposal for the source `named` (its type or name), written to `out` if
    given; what discovery found is said through `say`."""
    config = _config(config_path, say)
    source = _source(config, named)
    if out is not None and out.exists():
        raise ConfigError([f"{out}: already exists: discover never writes over a file (name "
                           "another --out, or compare with --diff)"])  # fmt: skip
    read = crm_of(source).discover
    assert read is not None  # `_source` chose a CRM that discovers
    proposal = _read(read, source, config)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("x", encoding="utf-8") as file:  # "x": never over a file
            file.write(proposal.text)
    for line in _summary(source, proposal, out):
        say(line)
    return proposal


def diff(proposal: Proposal, out: Path | None) -> str:
    """What the proposal changes in the mapping in use (`diff -u`)."""
    return unified_diff(proposal.current, proposal.text, str(out or "proposed"))


def _config(path: Path, say: Say) -> Config:
    """The config; its sound part, said so, when it has problems elsewhere."""
    try:
        return load_config(path)
    except ConfigError as exc:
        try:
            with salvaging(drop_items=True):
                config = load_config(path)
        except ConfigError:
            raise exc from None
        say(f"note: {path.name} has {len(exc.messages)} problem(s) (crm-kpi validate lists "
            "them): discovering with what is sound in it")  # fmt: skip
        return config


def _source(config: Config, named: str) -> SourceConfig:
    able = [s for s in config.sources if crm_of(s).discover is not None]
    chosen = [s for s in able if named in (s.type, s.name)]
    if len(chosen) == 1:
        return chosen[0]
    name = config.config_path.name
    if not chosen:
        known = ", ".join(f"{s.name} ({s.type})" for s in able) or "none"
        raise ConfigError([f"{name}: no source named or of type {named!r} that discover reads "
                           f"(sources of Salesforce or HubSpot: {known})"])  # fmt: skip
    names = ", ".join(s.name for s in chosen)
    raise ConfigError([f"{name}: {len(chosen)} sources of type {named} ({names}): name one"])


def _read(
    read: Callable[[SourceConfig, Store | None], Proposal], source: SourceConfig, config: Config
) -> Proposal:
    """The CRM's discovery, with the store's cached metadata when the store exists and
    no run holds it."""
    path = config.store.path
    if not path.is_file():
        return read(source, None)
    try:
        store = Store(path)
    except LockedError:
        return read(source, None)
    with store:
        return read(source, store)


def _summary(source: SourceConfig, proposal: Proposal, out: Path | None) -> list[str]:
    lines = [*proposal.said]
    if proposal.lacks:
        lines.append(f"the org lacks {len(proposal.lacks)} thing(s) the mapping needs; the "
                     "proposal's header says how to add each:")  # fmt: skip
        lines += [f"  {lack.what}" for lack in proposal.lacks]
    lines += [f"the proposal keeps a problem of {proposal.current.name}: {p}"
              for p in proposal.problems]  # fmt: skip
    where = f"written to {out}" if out is not None else "printed"
    lines.append(f"{source.name}: {proposal.api_calls} API calls; the proposal {where}")
    return lines
