"""Fixtures shared by every test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import connector.secrets
from connector.cli import main


@pytest.fixture(autouse=True)
def _own_secret_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own registry of known secrets (the product keeps one per
    process), so that a secret one test resolves never redacts another test's output."""
    monkeypatch.setattr(connector.secrets, "_known", set())


@pytest.fixture
def refused(capsys: pytest.CaptureFixture[str]) -> Callable[[str, Path], str]:
    """`refused(crm, config)`: what `crm-kpi setup <crm>` says when it refuses the
    config, having exited 2 without a traceback; `validate` must say it too (beside
    the steps setup would take)."""

    def run(crm: str, config: Path) -> str:
        assert main(["setup", crm, "--config", str(config)]) == 2
        said = capsys.readouterr().err
        assert main(["validate", "--config", str(config)]) == 2
        assert said in capsys.readouterr().err
        assert "Traceback" not in said
        return said

    return run
