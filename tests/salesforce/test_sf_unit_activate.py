"""`push.activate_pages`: which of setup's pages become the org default, from the
objects' overrides as readMetadata gives them (read stubbed: the e2e test reads them)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.crms.salesforce import activate as module
from connector.crms.salesforce.activate import activate
from connector.crms.salesforce.activate import pending as activation_pending
from connector.crms.salesforce.bundle import Archive
from connector.crms.salesforce.mapping import PushMapping, load_mapping
from connector.resources import shipped

SHIPPED = load_mapping(shipped("mappings/salesforce.yaml")).push
CLASSIC = {"actionName": "View", "type": "Default"}
STOCK = [CLASSIC, {"actionName": "View", "formFactor": "Large", "type": "Default"}]
OURS = {"actionName": "View", "content": "CRM_KPI_Account_Record", "formFactor": "Large",
        "skipRecordTypeSelect": "false", "type": "Flexipage"}


def push(**changes: Any) -> PushMapping:
    return PushMapping.model_validate({**SHIPPED.model_dump(), **changes})


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The objects each readMetadata call named; the org's overrides in `ORG`."""
    calls: list[list[str]] = []

    def read(_client: object, sobjects: list[str]) -> dict[str, list[dict[str, str]]]:
        calls.append(sobjects)
        return {s: ORG.get(s, STOCK) for s in sobjects}

    monkeypatch.setattr(module, "read_overrides", read)
    ORG.clear()
    return calls


ORG: dict[str, list[dict[str, str]]] = {}


def test_off_by_default_nothing_is_read_or_activated(reads: list[list[str]]) -> None:
    archive = Archive("62.0")
    done = activate(None, SHIPPED, archive)  # type: ignore[arg-type]
    assert (reads, archive.files, done.lines()) == ([], {}, [])


def test_only_account_and_opportunity_pages_are_activated_in_one_read(
    reads: list[list[str]],
) -> None:
    archive = Archive("62.0")
    done = activate(None, push(activate_pages=True), archive)  # type: ignore[arg-type]
    assert reads == [["Account", "Opportunity"]]  # never Home or User
    assert done.activated == ["account", "opportunity"]
    assert archive.members == {"CustomObject": ["Account", "Opportunity"]}
    account = archive.files["objects/Account.object"].decode()
    assert account.index("<actionName>View</actionName>\n        <type>Default</type>") \
        < account.index("<content>CRM_KPI_Account_Record</content>")  # Classic's kept
    assert "<formFactor>Large</formFactor>\n        <skipRecordTypeSelect>false" in account


def test_a_page_an_admin_activated_stays_and_a_rerun_deploys_the_same(
    reads: list[list[str]],
) -> None:
    first = Archive("62.0")
    activate(None, push(activate_pages=True, pages=["account"]), first)  # type: ignore[arg-type]
    ORG["Account"] = [CLASSIC, OURS]
    ORG["Opportunity"] = [{"actionName": "View", "content": "Deals", "formFactor": "Large",
                           "type": "Flexipage"}]
    again = Archive("62.0")
    done = activate(None, push(activate_pages=True), again)  # type: ignore[arg-type]
    assert again.files["objects/Account.object"] == first.files["objects/Account.object"]
    assert "objects/Opportunity.object" not in again.files
    assert done.kept == {"Opportunity": "Deals"}
    assert done.lines()[1].startswith("Opportunity record pages stay 'Deals', which the org "
                                      "has activated: setup activates its pages only where "
                                      "none is")


def test_pages_not_asked_for_are_not_activated(reads: list[list[str]]) -> None:
    archive = Archive("62.0")
    activate(None, push(activate_pages=True, pages=["home", "user"]), archive)  # type: ignore[arg-type]
    assert (reads, archive.files) == ([], {})


def test_validate_lists_the_pages_setup_would_activate(reads: list[list[str]]) -> None:
    asked = push(activate_pages=True)
    assert activation_pending(None, asked) == [  # type: ignore[arg-type]
        "activate the Lightning page CRM_KPI_Account_Record as the org default Account "
        "record page (push.activate_pages)",
        "activate the Lightning page CRM_KPI_Opportunity_Record as the org default "
        "Opportunity record page (push.activate_pages)"]
    ORG["Account"] = [CLASSIC, OURS]
    ORG["Opportunity"] = [{"actionName": "View", "content": "Deals", "formFactor": "Large",
                           "type": "Flexipage"}]
    assert activation_pending(None, asked) == []  # type: ignore[arg-type]
    assert activation_pending(None, SHIPPED) == []  # type: ignore[arg-type]
