"""`crm-kpi demo`: the whole nightly job against both sandbox CRMs, leaving nothing running."""

from __future__ import annotations

import shlex
import threading
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import load_config
from connector.demo.crms import HUBSPOT_TOKEN_ENV, demo_config
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
    # What one rep sees through their own session: the card and what sharing lets them read.
    assert "opens Home; the Sales KPIs card shows:" in out
    assert "Revenue" in out.split("opens Home")[1]  # the card's first KPI
    assert " of other reps." in out.split("opens Home")[1]
    assert ", and 0 of other reps." in out
    assert "In a real org the card shows once a page carrying it is active" in out
    assert " UTC; " in out.split("opens Home")[1] or " UTC\n" in out.split("opens Home")[1]
    # And on HubSpot: the card's project written for the demo's config, then what a named
    # rep sees on one of their companies (the card's requests, its rows).
    hubspot = out.split("What a HubSpot rep sees")[1].split("dashboard")[0]
    assert "wrote the card's project (USD, month periods" in hubspot
    assert "the Sales KPIs card shows:" in hubspot
    assert "This company: Revenue this year" in hubspot
    assert "(in progress) and" in hubspot
    assert (workdir / "hubspot-card/src/app/cards/cardConfig.js").is_file()
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


def test_the_demo_config_loads_from_a_relative_workdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`crm-kpi demo --workdir demo-crms`: the kept sandbox files are named relative to the
    config's folder, where a config's relative paths are read (not the working folder)."""
    monkeypatch.chdir(tmp_path)
    pem = tmp_path / "x.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    workdir = Path("demo-crms")
    workdir.mkdir()
    salesforce = {"ca_file": str(pem), "salesforce": {
        "login_url": "https://127.0.0.1:1", "consumer_key": "k", "username": "u@example.com",
        "jwt_private_key_file": str(pem)}}  # fmt: skip
    hubspot = {"ca_file": str(pem), "hubspot": {"host": "https://127.0.0.1:2"}}
    monkeypatch.setenv(HUBSPOT_TOKEN_ENV, "token")
    config = load_config(demo_config(workdir, salesforce, hubspot))
    assert (tmp_path / "demo-crms/sandbox/salesforce-ca.pem").exists()
    assert config.sources[0].name == "salesforce"
