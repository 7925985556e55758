"""A typo in a shipped mapping is reported at its own line, whatever the line.

The mappings' cross-field checks (contact methods of value maps, KPI keys of the
writer's fields) used to raise from the model as a whole, so pydantic placed them at
the model's first key: "a typo on line 24 is reported at line 13". Every line of the
shipped mappings that such a check reads is broken here in turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connector.crms.config import shipped_mapping
from connector.crms.files.mapping import FilesMapping
from connector.crms.hubspot.mapping import load_mapping as load_hubspot
from connector.crms.salesforce.mapping import load_mapping as load_salesforce
from connector.errors import ConfigError
from connector.schema import CONTACT_METHODS
from connector.yamlfile import load_model

LOADERS: dict[str, Callable[[Path], Any]] = {
    "salesforce.yaml": load_salesforce,
    "hubspot.yaml": load_hubspot,
    "files.yaml": lambda path: load_model(path, FilesMapping),
}
METHOD_LINE = re.compile(rf"^(\s+[^#:]+): ({'|'.join(CONTACT_METHODS)})\s*(#.*)?$")
KPI_FIELD_LINE = re.compile(r"^(\s+)(total_revenue|closing_ratio|avg_sales_cycle_days)(: \w+__c)")


def _lines(name: str, pattern: re.Pattern[str]) -> list[tuple[str, int]]:
    text = shipped_mapping(name).read_text(encoding="utf-8").splitlines()
    return [(name, number) for number, line in enumerate(text, 1) if pattern.match(line)]


def _broken(tmp_path: Path, name: str, number: int, fix: Callable[[str], str]) -> Path:
    lines = shipped_mapping(name).read_text(encoding="utf-8").splitlines()
    lines[number - 1] = fix(lines[number - 1])
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _messages(name: str, path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        LOADERS[name](path)
    return caught.value.messages


METHOD_LINES = [case for name in LOADERS for case in _lines(name, METHOD_LINE)]


def test_the_shipped_mappings_have_contact_method_lines_to_break() -> None:
    assert {name for name, _ in METHOD_LINES} == set(LOADERS)
    assert ("salesforce.yaml", 24) in METHOD_LINES  # Trade Show: event


@pytest.mark.parametrize(("name", "number"), METHOD_LINES)
def test_a_contact_method_typo_is_reported_at_its_line(
    tmp_path: Path, name: str, number: int
) -> None:
    path = _broken(tmp_path, name, number, lambda line: METHOD_LINE.sub(r"\1: evnt", line))
    messages = _messages(name, path)
    assert messages
    assert all(m.startswith(f"{name}:{number} ") for m in messages), messages
    assert "'evnt' is not a contact method (phone, email" in messages[0]


@pytest.mark.parametrize(
    ("name", "number"), _lines("salesforce.yaml", KPI_FIELD_LINE), ids=lambda v: str(v)
)
def test_a_kpi_key_typo_in_the_writer_fields_is_reported_at_its_line(
    tmp_path: Path, name: str, number: int
) -> None:
    path = _broken(tmp_path, name, number, lambda line: KPI_FIELD_LINE.sub(r"\1\2x\3", line))
    messages = _messages(name, path)
    assert len(messages) == 1
    assert messages[0].startswith(f"{name}:{number} push.")
    assert "x' is not a KPI key; did you mean " in messages[0]


def test_several_problems_each_at_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "salesforce.yaml"
    path.write_text(
        "value_maps:\n"
        "  m:\n"
        "    Call: phone\n"
        "    Fax: telefax\n"
        "streams:\n"
        "  - entity: activities\n"
        "    object: Task\n"
        "    fields:\n"
        "      method: {field: TaskSubtype, values: m}\n"
        "      colour: Color__c\n"
    )
    assert _messages("salesforce.yaml", path) == [
        "salesforce.yaml:4 value_maps.m.Fax: 'telefax' is not a contact method "
        "(phone, email, in_person, event, web, referral, social, other)",
        "salesforce.yaml:8 streams[0].fields: fields.occurred_at is required by activities",
        "salesforce.yaml:10 streams[0].fields.colour: colour is not a field of activities "
        "(account_id, lead_id, method, occurred_at, opportunity_id, owner_id)",
    ]
