"""Fixtures of the HubSpot end-to-end tests: a sandbox serving HubSpot (helpers live in
hs_helpers.py, so that test modules never import a `conftest` by name)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hs_helpers import SCALE, TOKEN_ENV, hubspot_info, unlimited

from crm_sandbox import Sandbox


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh small sandbox per test (tests change the org), rate limits off."""
    with Sandbox(seed=7, scale=SCALE) as sb:
        monkeypatch.setenv(TOKEN_ENV, hubspot_info(sb)["access_token"])
        unlimited(sb)
        yield sb
