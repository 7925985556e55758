"""Fixtures shared by every test."""

from __future__ import annotations

import pytest

import connector.secrets


@pytest.fixture(autouse=True)
def _own_secret_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own registry of known secrets (the product keeps one per
    process), so that a secret one test resolves never redacts another test's output."""
    monkeypatch.setattr(connector.secrets, "_known", set())
