"""`crm-kpi demo`: the whole nightly job against both sandbox CRMs, leaving nothing running."""

from __future__ import annotations

import shlex
import threading
from pathlib import Path

import pytest

from connector.cli import main
from connector.demo.crms import HUBSPOT_TOKEN_ENV
from connector.secrets import known_secrets

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_runs_the_nightly_job_on_both_crms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(HUBSPOT_TOKEN_ENV, raising=False)
    threads_before = set(threading.enumerate())
    workdir = tmp_path / "demo"
    assert main(["demo", "--workdir", str(workdir), "--scale", "0.02"]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out
    assert "KPIs, both CRMs merged" in out
    assert "Sales_KPI__c records" in out
    assert "kpi records" in out
    assert "both sandboxes stopped" in out
    assert "would write" not in out
    assert (workdir / "kpis.html").is_file()
    assert set(threading.enumerate()) <= threads_before
    config = (workdir / "config.yaml").read_text()
    assert "${" + HUBSPOT_TOKEN_ENV + "}" in config
    assert known_secrets(), "the run resolved the HubSpot token"
    for secret in known_secrets():
        assert secret not in out
        assert secret not in config
    import os

    assert HUBSPOT_TOKEN_ENV not in os.environ, "the demo leaves the environment as it was"
    # The commands it suggests work as printed, the sandboxes stopped (they read the store).
    suggested = out.split("\nTry:\n")[1].split("\n\n")[0].split("\n")
    assert len(suggested) == 3
    for line in suggested:
        words = shlex.split(line)  # crm-kpi, .venv/bin/crm-kpi or python -m connector.cli
        start = next(i for i, w in enumerate(words) if w in ("status", "problems", "compute"))
        assert main(words[start:]) == 0, line
