"""One mapping language for every CRM and the CSV exports: last release's files read as
this release's (a note per old key, at its line), `init --upgrade-mapping` rewriting them
in place with their comments, and the same fingerprints in the store either way.

`tests/previous_mappings/` holds the mappings the previous release shipped, as an admin
upgrading would have them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connector.cli import main
from connector.crms.config import shipped_mapping
from connector.crms.files.mapping import FilesMapping, load_files_mapping
from connector.crms.files.read import FilesSource
from connector.crms.hubspot.mapping import HubSpotMapping
from connector.crms.hubspot.mapping import load_mapping as hubspot_mapping
from connector.crms.hubspot.records import StageMeta
from connector.crms.hubspot.records import shape as hubspot_shape
from connector.crms.language import MappingRules
from connector.crms.salesforce.mapping import SalesforceMapping
from connector.crms.salesforce.mapping import load_mapping as salesforce_mapping
from connector.crms.salesforce.records import shape as salesforce_shape
from connector.crms.upgrade import mapping_model, upgrade_mapping
from connector.errors import ConfigError
from connector.store.shapes import fingerprint
from connector.yamlfile import load_yaml

PREVIOUS = Path(__file__).parent / "previous_mappings"
NAMES = ("salesforce.yaml", "hubspot.yaml", "files.yaml")
LOADERS: dict[str, Callable[[Path], MappingRules]] = {
    "salesforce.yaml": salesforce_mapping,
    "hubspot.yaml": hubspot_mapping,
    "files.yaml": load_files_mapping,
}
ZONE = "Europe/Berlin"
# The fingerprints the previous release's code recorded for its shipped mappings (its
# records.shape / FilesSource, run on tests/previous_mappings/, time zone Europe/Berlin).
PREVIOUS_FINGERPRINTS = {
    "salesforce.yaml": ["b67b31845af23627", "a29bf7271bb0fb94", "cb9c3b1e2d2223cd",
                        "8ba24098786574bc", "ff6db3b82165088a", "499437fdb44c626a",
                        "7f12466cac6f46ad", "ddb63f48c03bf3ff", "e18ec44c92694dcb",
                        "a998c428ddc0117b"],
    "hubspot.yaml": ["cc87f6e9ac74eb24", "a468e7de4c1ee12d", "38e9544abe810507",
                     "1947d1d3167efe2d", "2ce24ab3c4a93fdc", "ad59ae873e5cf15b",
                     "2dcc2dbfa469ae72", "66bf3b40b95f7e57", "9ce3173af6703f53"],
    "files.yaml": ["80ffe3111f456a12"],
}  # fmt: skip


def fingerprints(name: str, mapping: Any) -> list[str]:
    """What the store records of each stream the mapping derives."""
    if isinstance(mapping, SalesforceMapping):
        return [fingerprint(salesforce_shape(s, mapping, ZONE)) for s in mapping.streams]
    if isinstance(mapping, HubSpotMapping):
        return [fingerprint(hubspot_shape(s, StageMeta(), ZONE, mapping.value_maps))
                for s in mapping.streams]  # fmt: skip
    source = FilesSource("csv", Path("."), mapping, ZONE)
    return [fingerprint(source.shape(s)) for s in mapping.streams]


def upgraded(name: str, folder: Path) -> Path:
    path = folder / name
    shutil.copy(PREVIOUS / name, path)
    upgrade_mapping(path)
    return path


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line]


@pytest.mark.parametrize("name", NAMES)
def test_last_releases_file_reads_as_its_upgraded_twin(name: str, tmp_path: Path) -> None:
    old = LOADERS[name](PREVIOUS / name)
    new = LOADERS[name](upgraded(name, tmp_path))
    assert old.model_dump() == new.model_dump()
    assert old.deprecations()
    assert not new.deprecations()


@pytest.mark.parametrize("name", NAMES)
def test_the_shipped_mapping_is_last_releases_upgraded(name: str) -> None:
    old = LOADERS[name](PREVIOUS / name)
    shipped = LOADERS[name](shipped_mapping(name))
    assert shipped.deprecations() == []
    assert shipped.model_dump() == old.model_dump()


@pytest.mark.parametrize("name", NAMES)
def test_an_upgrade_changes_no_fingerprint_of_the_store(name: str, tmp_path: Path) -> None:
    """Neither the upgraded file nor this release's code derives anything again."""
    old = LOADERS[name](PREVIOUS / name)
    new = LOADERS[name](upgraded(name, tmp_path))
    assert fingerprints(name, old) == fingerprints(name, new) == PREVIOUS_FINGERPRINTS[name]


@pytest.mark.parametrize("name", NAMES)
def test_the_upgrade_keeps_every_comment_and_a_backup(name: str, tmp_path: Path) -> None:
    path = upgraded(name, tmp_path)
    before = (PREVIOUS / name).read_text(encoding="utf-8")
    assert (tmp_path / f"{name}.bak").read_text(encoding="utf-8") == before
    after = path.read_text(encoding="utf-8")
    kept = comments(after)
    # The shipped files' comment that shows an old spelling is the only one a person
    # would rewrite; every other comment is there, in its order.
    assert [c for c in comments(before) if c in kept] == [
        c for c in kept if c in comments(before)]
    assert len(set(comments(before)) - set(kept)) == 0


def test_the_upgrade_keeps_comments_beside_the_keys_it_moves(tmp_path: Path) -> None:
    path = tmp_path / "salesforce.yaml"
    path.write_text(
        "streams:\n"
        "  - entity: costs   # spend\n"
        "    object: Campaign\n"
        "    fields:\n"
        "      period_start: StartDate\n"
        "      period_end: EndDate\n"
        "      amount: {field: ActualCost, default: '0'}   # empty: nothing spent\n"
        "      category: {const: marketing}   # every campaign\n"
        "  # a stream kept for later:\n"
        "  # - entity: owners\n"
        "\n"
        "# the end\n",
        encoding="utf-8",
    )
    upgrade_mapping(path)
    # (ruamel.yaml keeps an end-of-line comment at its column)
    text = re.sub(r"(\S) +#", r"\1   #", path.read_text(encoding="utf-8"))
    assert text == (
        "streams:\n"
        "  - entity: costs   # spend\n"
        "    object: Campaign\n"
        "    fields:\n"
        "      period_start: StartDate\n"
        "      period_end: EndDate\n"
        "      amount: ActualCost   # empty: nothing spent\n"
        "    constants:\n"
        "      category: marketing   # every campaign\n"
        "    defaults:\n"
        "      amount: '0'\n"
        "  # a stream kept for later:\n"
        "  # - entity: owners\n"
        "\n"
        "# the end\n"
    )


@pytest.mark.parametrize("name", NAMES)
def test_a_deprecation_names_the_old_key_the_new_one_and_the_line(name: str) -> None:
    notes = LOADERS[name](PREVIOUS / name).deprecations()
    lines = (PREVIOUS / name).read_text(encoding="utf-8").splitlines()
    for note in notes[:-1]:
        found = re.match(rf"{name}:(\d+) (\S+): deprecated spelling (.+); the mapping "
                         r"language now says (.+) \(docs/mappings.md\)$", note)  # fmt: skip
        assert found, note
        line = lines[int(found[1]) - 1]
        old_key = found[2].rsplit(".", 1)[-1]
        assert line.strip().startswith(f"{old_key}:"), (note, line)
    assert notes[-1].endswith(f"`crm-kpi init --upgrade-mapping {name}` rewrites it, "
                              "comments kept")  # fmt: skip


def test_the_salesforce_notes_name_each_new_key() -> None:
    notes = salesforce_mapping(PREVIOUS / "salesforce.yaml").deprecations()
    assert notes[0] == (
        "salesforce.yaml:71 streams[2].fields.contact_method: deprecated spelling {field, "
        "values, default}; the mapping language now says fields.contact_method, "
        "values.contact_method, defaults.contact_method (docs/mappings.md)"
    )
    assert "(6 more old spellings)" in notes[-1]


def test_hubspot_and_csv_notes_name_each_new_key() -> None:
    hubspot = hubspot_mapping(PREVIOUS / "hubspot.yaml").deprecations()
    assert hubspot[0] == ("hubspot.yaml:38 streams[0].properties: deprecated spelling "
                          "properties; the mapping language now says fields (docs/mappings.md)")
    files = load_files_mapping(PREVIOUS / "files.yaml").deprecations()
    assert files[:2] == [
        "files.yaml:16 entities: deprecated spelling entities: {<entity>: ...}; the mapping "
        "language now says streams: [{entity: <entity>, ...}] (docs/mappings.md)",
        "files.yaml:19 entities.opportunities.columns: deprecated spelling columns; the "
        "mapping language now says fields (streams[0].fields) (docs/mappings.md)",
    ]


def test_an_error_in_an_old_file_is_at_its_own_line(tmp_path: Path) -> None:
    text = (PREVIOUS / "files.yaml").read_text(encoding="utf-8")
    path = tmp_path / "files.yaml"
    path.write_text(text.replace("      type: Type\n", "      kind: Type\n"), encoding="utf-8")
    line = text.splitlines().index("      type: Type") + 1
    with pytest.raises(ConfigError) as err:
        load_files_mapping(path)
    assert err.value.messages[0].startswith(
        f"files.yaml:{line} streams[0].fields.kind: kind is not a field of opportunities")


@pytest.mark.parametrize("name", NAMES)
def test_the_model_of_each_file_is_told_by_its_keys(name: str) -> None:
    for folder in (PREVIOUS, shipped_mapping(name).parent):
        data, _ = load_yaml(folder / name)
        expected = {"salesforce.yaml": SalesforceMapping, "hubspot.yaml": HubSpotMapping,
                    "files.yaml": FilesMapping}[name]  # fmt: skip
        assert mapping_model(data) is expected


def test_init_upgrade_mapping_and_its_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hubspot.yaml"
    shutil.copy(PREVIOUS / "hubspot.yaml", path)
    assert main(["init", "--upgrade-mapping", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  hubspot.yaml:189 push.company_properties: company_properties → account_fields" in out
    assert f"to undo: mv {path}.bak {path}" in out
    assert main(["init", "--upgrade-mapping", str(path)]) == 2
    assert capsys.readouterr().err == ("hubspot.yaml:1 already in this release's mapping "
                                       "language: nothing to upgrade (docs/mappings.md)\n")
    broken = tmp_path / "files.yaml"
    broken.write_text("entities:\n  leads:\n    columns: {colour: Colour}\n", encoding="utf-8")
    assert main(["init", "--upgrade-mapping", str(broken)]) == 2
    assert capsys.readouterr().err.startswith("files.yaml:3 streams[0].fields.colour: colour "
                                              "is not a field of leads")  # fmt: skip
    assert broken.read_text(encoding="utf-8").startswith("entities:")
    assert not (tmp_path / "files.yaml.bak").exists()
    again = tmp_path / "again" / "hubspot.yaml"
    again.parent.mkdir()
    shutil.copy(PREVIOUS / "hubspot.yaml", again)
    (again.parent / "hubspot.yaml.bak").write_text("mine", encoding="utf-8")
    assert main(["init", "--upgrade-mapping", str(again)]) == 2
    assert "hubspot.yaml.bak already exists" in capsys.readouterr().err
    assert again.read_text(encoding="utf-8") == (PREVIOUS / "hubspot.yaml").read_text("utf-8")


def test_init_upgrade_mapping_takes_the_crm_its_keys_do_not_tell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "portal.yaml"
    text = ("# a HubSpot mapping without a key only HubSpot has\nstreams:\n"
            "  - entity: opportunities\n    object: deals\n    fields:\n"
            "      amount: amount\n      close_date: closedate\npush:\n  account_fields:\n"
            "    revenue_this_year: {property: kpi_revenue_this_year, take_over: true}\n")
    path.write_text(text, encoding="utf-8")
    assert main(["init", "--upgrade-mapping", str(path)]) == 2
    assert capsys.readouterr().err.endswith(
        "portal.yaml: read as a salesforce mapping, as its keys tell; if it is another "
        "CRM's, say so: --crm hubspot|files\n")
    assert path.read_text(encoding="utf-8") == text
    assert main(["init", "--upgrade-mapping", str(path), "--crm", "hubspot"]) == 0
    assert "upgraded " in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == text.replace("{property:", "{field:")
    assert main(["init", "--upgrade-mapping", str(path), "--crm", "pipedrive"]) == 2
    assert "--crm pipedrive: not a CRM whose mapping upgrades" in capsys.readouterr().err


def test_validate_says_the_deprecation_without_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "accounts.csv").write_text(
        "id,Account Name,owner_id,created_at\n1,Acme,u1,2026-01-05\n", encoding="utf-8")
    (tmp_path / "files.yaml").write_text(
        "delimiter: ','\nentities:\n  accounts:\n    columns: {name: Account Name}\n",
        encoding="utf-8")  # fmt: skip
    config = tmp_path / "config.yaml"
    config.write_text("reporting: {currency: USD, timezone: UTC}\nsources:\n  - {name: csv, "
                      "type: files, path: exports, mapping: files.yaml}\n")  # fmt: skip
    assert main(["validate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert ("note: files.yaml:4 entities.accounts.columns: deprecated spelling columns; "
            "the mapping language now says fields (streams[0].fields)") in out


def test_csv_exports_give_the_same_store_under_either_spelling(tmp_path: Path) -> None:
    """The demo's exports (Salesforce report headers), pulled under last release's
    files.yaml and under this release's, then the upgraded file over the first store:
    the same records, and the upgrade notes no mapping change."""
    from remap_helpers import content, differences, notes

    from connector.resources import shipped
    from connector.store import Store

    exports = shipped("demo/data/exports")
    stores = {}
    for name, path in (("old", PREVIOUS / "files.yaml"), ("new", shipped_mapping("files.yaml"))):
        source = FilesSource("csv", exports, load_files_mapping(path), "America/New_York")
        with Store(tmp_path / f"{name}.duckdb") as store:
            said = notes(source.pull(store))
            stores[name] = content(store)
        assert not any("mapping changed" in n for n in said)
    assert stores["old"]["opportunities"]
    assert differences(stores["old"], stores["new"]) == []
    upgraded_path = upgraded("files.yaml", tmp_path)
    again = FilesSource("csv", exports, load_files_mapping(upgraded_path), "America/New_York")
    with Store(tmp_path / "old.duckdb") as store:
        assert not any("mapping changed" in n for n in notes(again.pull(store)))
        assert differences(content(store), stores["old"]) == []


def test_an_unknown_key_is_told_the_key_it_may_mean(tmp_path: Path) -> None:
    path = tmp_path / "hubspot.yaml"
    path.write_text(
        "streams:\n"
        "  - entity: leads\n"
        "    object: contacts\n"
        "    propertys: {created_at: createdate}\n"
        "    fields: {owner_id: hubspot_owner_id}\n"
        "    properties: {status: hs_lead_status}\n"
        "    defualts: {status: open}\n"
        "push:\n"
        "  acount_fields: {}\n"
        "value_map: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        hubspot_mapping(path)
    assert err.value.messages == [
        "hubspot.yaml:4 streams[0].propertys: extra inputs are not permitted; did you mean "
        "'fields'?",
        "hubspot.yaml:6 streams[0].properties: extra inputs are not permitted: properties is "
        "last release's name of fields, which is given too: keep one",
        "hubspot.yaml:7 streams[0].defualts: extra inputs are not permitted; did you mean "
        "'defaults'?",
        "hubspot.yaml:9 push.acount_fields: extra inputs are not permitted; did you mean "
        "'account_fields'?",
        "hubspot.yaml:10 value_map: extra inputs are not permitted; did you mean 'value_maps'?",
    ]
