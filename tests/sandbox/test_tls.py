"""trustme is an optional extra: needed only when a sandbox starts, and named when absent."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from crm_sandbox import MissingDependency, Sandbox
from crm_sandbox.cli import add_arguments, run

FIX = "pip install 'crm-kpi[sandbox]'"


@pytest.fixture(autouse=True)
def no_faults() -> None:
    """These tests start no shared sandbox (the package's autouse fixture would)."""


@pytest.fixture
def no_trustme(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `import trustme` fail as it does where the package is not installed."""
    monkeypatch.setitem(sys.modules, "trustme", None)


@pytest.mark.usefixtures("no_trustme")
def test_start_without_trustme_names_the_extra() -> None:
    sb = Sandbox(scale=0.01)
    with pytest.raises(MissingDependency) as info:
        sb.start()
    message = str(info.value)
    assert FIX in message
    assert "trustme" in message
    assert not isinstance(info.value, ImportError)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert sb.info == {}
    assert not hasattr(sb, "org")  # it failed before generating anything


@pytest.mark.usefixtures("no_trustme")
def test_cli_without_trustme_prints_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args(["--scale", "0.01"])) == 1
    err = capsys.readouterr().err
    assert err.startswith("crm-kpi sandbox: ")
    assert FIX in err
    assert "Traceback" not in err


def test_importing_the_sandbox_needs_no_trustme() -> None:
    code = ("import sys; sys.modules['trustme'] = None\n"
            "import crm_sandbox, crm_sandbox.cli, crm_sandbox.server, crm_sandbox.tls\n"
            "assert crm_sandbox.Sandbox is not None")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
