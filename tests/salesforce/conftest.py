"""Fixtures for the Salesforce source and writer: sandbox orgs and stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
