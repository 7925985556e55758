"""Fixtures for the Salesforce source and writer: sandbox orgs and stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses
from sf_mock import INSTANCE, LOGIN, SECRET, TOKEN_URL

from connector.crms.salesforce.config import SalesforceConfig
from connector.store import Store
from crm_sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A small fresh org per test (tests mutate it)."""
    with Sandbox(seed=7, scale=0.01) as sb:
        yield sb


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:") as st:
        yield st


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> SalesforceConfig:
    monkeypatch.setenv("SF_REFRESH", SECRET)
    return SalesforceConfig.model_validate({
        "name": "sf", "type": "salesforce", "login_url": LOGIN,
        "auth": {"method": "refresh_token", "client_id": "cid", "refresh_token": "${SF_REFRESH}"},
        "http": {"initial_backoff_seconds": 0.001, "max_backoff_seconds": 1, "max_attempts": 3},
    })  # fmt: skip


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            TOKEN_URL,
            json={"access_token": "access-token-0001", "instance_url": INSTANCE},
        )
        yield mock
