"""`crm-kpi sandbox` through its CLI module: info file, serving, clean exit on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    info_file = tmp_path / "info.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_sandbox.cli", "--scale", "0.02", "--info-file",
         str(info_file), "--fault", "kind=status,status=503,path=/limits,count=1"],
        stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not info_file.exists():
            assert proc.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.1)
        info = json.loads(info_file.read_text())
        sf = info["salesforce"]
        with requests.Session() as s:
            s.verify, s.trust_env = info["ca_file"], False
            url = f"{sf['instance_url']}/services/data/v60.0/limits"
            headers = {"Authorization": f"Bearer {sf['access_token']}"}
            assert s.get(url, headers=headers, timeout=10).status_code == 503
            assert s.get(url, headers=headers, timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "sandbox serving https://127.0.0.1:" in out
    assert not Path(info["ca_file"]).exists()
