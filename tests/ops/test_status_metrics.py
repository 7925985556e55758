"""Machine-readable state: `status --format json`, `status --check`, Prometheus metrics
(a textfile and a Pushgateway push), and the JSON log's summary fields."""

from __future__ import annotations

import io
import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from connector.cli import main
from connector.config import load_config
from connector.errors import ConfigError
from connector.run import run_nightly
from connector.runlog import RunLog
from connector.store import Store

from .conftest import Receiver, write_config, write_exports

# Twelve won EUR deals without a rate: more than excluded_min_records (10) and 5 %.
EUR_DEALS = "".join(f"e{i},u1,2025-01-05,2025-01-20,true,true,100,EUR\n" for i in range(12))


def status(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["status", "--config", str(config), *args])
    return code, capsys.readouterr().out


def test_status_json_lists_runs_with_outcome_exit_code_reasons_and_counts(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_nightly(load_config(config_path), RunLog("plain", io.StringIO()))
    code, out = status(config_path, capsys, "--format", "json")
    assert code == 0
    (run,) = json.loads(out)
    assert (run["outcome"], run["exit_code"], run["reasons"]) == ("succeeded", 0, [])
    assert run["counts"]["pulled"] == 7
    assert run["counts"]["kpi_rows"] > 0
    assert run["sources"]["exports"]["read"] == 7
    assert set(run["stage_seconds"]) == {"pull exports", "compute"}


def test_excluded_deals_make_the_run_partial_and_say_so_everywhere(
    tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, yaml.safe_dump({"alerts": [
        {"webhook": receiver.url, "on": ["partial", "excluded"]}]}))  # fmt: skip
    write_exports(tmp_path / "exports", EUR_DEALS)
    assert main(["run", "--config", str(config), "--log-format", "json"]) == 1
    summary = [json.loads(line) for line in capsys.readouterr().err.splitlines()][-1]
    assert summary["event"] == "summary"
    assert summary["status"] == "partial"
    assert summary["exit_code"] == 1
    assert summary["records_excluded"] == 12
    said = "12 of 18 won deals of exports (67%) left out of revenue and every money KPI: " \
           "no exchange rate for EUR"
    assert summary["left_out"] == [said]
    assert f"  left out: {said}\n  fix: add the missing exchange rates" in summary["message"]
    (alert,) = receiver.bodies
    assert alert["events"] == ["partial", "excluded"]
    assert alert["left_out"] == [said]
    code, out = status(config, capsys, "--format", "json")
    assert json.loads(out)[0]["reasons"] == [said]
    code, out = status(config, capsys, "--check")
    assert code == 1
    assert out.startswith("WARNING: the last run")
    assert main(["validate", "--config", str(config)]) == 1
    assert said in capsys.readouterr().out


def test_check_is_ok_after_a_success_and_critical_after_a_failure_or_when_stale(
    config_path: Path, capsys: pytest.CaptureFixture[str], receiver: Receiver
) -> None:
    code, out = status(config_path, capsys, "--check")
    assert code == 3
    assert out.startswith("UNKNOWN:")
    run_nightly(load_config(config_path), RunLog("plain", io.StringIO()))
    code, out = status(config_path, capsys, "--check")
    assert code == 0
    assert out.startswith("OK: the last run")
    with Store(config_path.parent / "store.duckdb") as store:
        store.execute("UPDATE runs SET started_at = started_at - INTERVAL 30 HOUR, "
                      "finished_at = finished_at - INTERVAL 30 HOUR")  # fmt: skip
    config_path.write_text(config_path.read_text() + yaml.safe_dump(
        {"alerts": [{"webhook": receiver.url, "on": ["stale"]}]}))  # fmt: skip
    code, out = status(config_path, capsys, "--check")
    assert code == 2
    assert "no run finished for 30.0 hours (more than 26)" in out
    assert receiver.bodies[0]["events"] == ["stale"]
    assert status(config_path, capsys, "--check")[0] == 2  # a monitor polling again...
    assert len(receiver.bodies) == 1  # ...pages nobody twice for the same stale spell
    code, out = status(config_path, capsys, "--check", "--max-age-hours", "48")
    assert code == 0
    (config_path.parent / "exports" / "owners.csv").write_bytes(b"")  # an empty export: exit 2
    assert main(["run", "--config", str(config_path)]) == 2
    stale = receiver.bodies[-1]  # the failed run checked it too
    assert (len(receiver.bodies), stale["events"], stale["exit_code"]) == (2, ["stale"], 2)
    assert stale["stale_hours"] == pytest.approx(30, abs=0.2)
    assert stale["stage"] == "pull exports"
    code, out = status(config_path, capsys, "--check", "--max-age-hours", "48")
    assert code == 2
    assert "CRITICAL: the last run" in out
    assert "failed" in out


def test_metrics_file_holds_every_gauge_per_source_written_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = tmp_path / "textfile" / "crm_kpi.prom"
    config = write_config(tmp_path, yaml.safe_dump({"observability": {
        "metrics_file": str(metrics)}}))  # fmt: skip
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 0
    assert stat.S_IMODE(metrics.stat().st_mode) == 0o644
    assert [p.name for p in metrics.parent.iterdir()] == ["crm_kpi.prom"]  # no temp file left
    samples = read_metrics(metrics)
    assert samples[("crm_kpi_run_exit_code", ())] == 0
    assert samples[("crm_kpi_run_outcome", (("outcome", "succeeded"),))] == 1
    assert samples[("crm_kpi_run_outcome", (("outcome", "failed"),))] == 0
    assert samples[("crm_kpi_records_read", (("source", "exports"),))] == 7
    assert samples[("crm_kpi_records_quarantined", (("source", "exports"),))] == 0
    assert ("crm_kpi_stage_duration_seconds", (("stage", "compute"),)) in samples
    success = samples[("crm_kpi_last_success_timestamp_seconds", ())]
    (config.parent / "exports" / "owners.csv").write_bytes(b"")
    assert main(["run", "--config", str(config)]) == 2
    after = read_metrics(metrics)
    assert after[("crm_kpi_run_exit_code", ())] == 2
    assert after[("crm_kpi_last_success_timestamp_seconds", ())] == success  # kept
    from connector.lock import RunLock
    from connector.run import lock_path

    with RunLock(lock_path(load_config(config)), "another-run"):  # the store unread
        assert main(["run", "--config", str(config)]) == 3
    locked = read_metrics(metrics)
    assert locked[("crm_kpi_run_exit_code", ())] == 3
    assert locked[("crm_kpi_last_success_timestamp_seconds", ())] == success


def read_metrics(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(path.read_text())
            for s in family.samples}  # fmt: skip


@pytest.fixture
def pushgateway() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    pushed: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            pushed.append(("PUT", self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pushed
    finally:
        server.shutdown()
        server.server_close()


def test_metrics_are_pushed_to_a_pushgateway(
    tmp_path: Path, pushgateway: tuple[str, list[tuple[str, str, bytes]]]
) -> None:
    url, pushed = pushgateway
    config = write_config(tmp_path, yaml.safe_dump({"observability": {"pushgateway": url}}))
    run_nightly(load_config(config), RunLog("plain", io.StringIO()))
    ((method, path, body),) = pushed
    assert (method, path) == ("PUT", "/metrics/job/crm_kpi")
    assert b"crm_kpi_run_exit_code 0.0" in body
    # Two configs (business units) on one gateway: each its own group, none replaced.
    unit = write_config(tmp_path / "emea", yaml.safe_dump({"observability": {
        "pushgateway": url, "pushgateway_labels": {"unit": "emea"}}}))  # fmt: skip
    run_nightly(load_config(unit), RunLog("plain", io.StringIO()))
    assert pushed[1][:2] == ("PUT", "/metrics/job/crm_kpi/unit/emea")
    bad = write_config(tmp_path / "bad", yaml.safe_dump({"observability": {
        "pushgateway": url, "pushgateway_labels": {"business-unit": "emea"}}}))  # fmt: skip
    with pytest.raises(ConfigError, match="pushgateway_labels"):
        load_config(bad)


def test_json_log_has_one_stage_end_event_per_stage_with_its_figures(config_path: Path) -> None:
    out = io.StringIO()
    run_nightly(load_config(config_path), RunLog("json", out))
    ends = [r for r in map(json.loads, out.getvalue().splitlines()) if r.get("event") ==
            "stage_end"]  # fmt: skip
    assert [e["stage"] for e in ends] == ["pull exports", "compute"]
    assert ends[0]["records_read"] == 7
    assert ends[0]["source"] == "exports"
    assert ends[1]["kpi_rows"] > 0
    assert all(isinstance(e["seconds"], float) for e in ends)
