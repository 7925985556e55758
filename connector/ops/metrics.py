"""Prometheus metrics of a run: a text file for node-exporter's textfile collector
(written whole: a scrape never reads half a file) and, optionally, a Pushgateway push.

Every gauge is named `crm_kpi_*`; per-source gauges carry a `source` label, stage
durations a `stage` label. The file is rewritten by every run (including failed ones,
which keep the last success time), so a scrape always sees the last run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest, push_to_gateway
from prometheus_client.parser import text_string_to_metric_families

from connector.ops.facts import RunFacts

OUTCOMES = ("succeeded", "partial", "failed", "stopped")
METRICS_MODE = 0o644  # counts and names of sources only: node-exporter must read it
JOB = "crm_kpi"


def registry_of(facts: RunFacts) -> CollectorRegistry:
    """The run's gauges in a registry of their own."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"crm_kpi_{name}", doc, labels, registry=registry)

    outcome = gauge("run_outcome", "1 for how the last run ended", ("outcome",))
    for name in OUTCOMES:
        outcome.labels(name).set(1 if facts.outcome == name else 0)
    gauge("run_exit_code", "Exit code of the last run").set(facts.exit_code)
    gauge("run_success", "1 when the last run finished (exit 0 or 1)").set(int(facts.succeeded))
    gauge("run_started_timestamp_seconds", "When the last run started").set(facts.started_at)
    gauge("run_finished_timestamp_seconds", "When the last run ended").set(facts.finished_at)
    gauge("run_duration_seconds", "How long the last run took").set(
        max(facts.finished_at - facts.started_at, 0.0)
    )
    if facts.last_success is not None:
        gauge("last_success_timestamp_seconds", "When a run last finished (exit 0 or 1)").set(
            facts.last_success
        )
    stage = gauge("stage_duration_seconds", "Duration of each stage of the last run", ("stage",))
    for name, seconds in facts.stage_seconds.items():
        stage.labels(name).set(seconds)
    _source_gauges(facts, gauge)
    return registry


def _source_gauges(facts: RunFacts, make: Callable[[str, str, tuple[str, ...]], Gauge]) -> None:
    per_source = {
        "records_read": "Records the last run read from the source",
        "records_written": "KPI values the last run wrote into the source's CRM",
        "records_quarantined": "Rows the last run set aside (not loaded)",
        "records_excluded": "Records left out of a KPI (no exchange rate, quarantined)",
        "records_failed": "Records the CRM refused in the last run",
        "api_calls": "CRM API calls the last run made",
    }
    for name, doc in per_source.items():
        found = make(name, doc, ("source",))
        for source in facts.sources:
            value = getattr(source, name.removeprefix("records_"))
            found.labels(source.name).set(value)
    remaining = make("api_daily_remaining", "Daily API calls the CRM said were left",
                     ("source",))  # fmt: skip
    for source in facts.sources:
        if source.api_remaining is not None:
            remaining.labels(source.name).set(source.api_remaining)


def write_metrics_file(path: Path, facts: RunFacts) -> None:
    """Write the run's metrics to `path` whole, readable by node-exporter (0644). A run
    that could not read the store (another run held it) keeps the last success time the
    file had, so an alert on its age never sees the series vanish."""
    if facts.last_success is None:
        facts = replace(facts, last_success=_last_success_in(path))
    text = generate_latest(registry_of(facts))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
        os.chmod(name, METRICS_MODE)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _last_success_in(path: Path) -> float | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "crm_kpi_last_success_timestamp_seconds":
                return float(sample.value)
    return None


def push_metrics(gateway: str, facts: RunFacts, timeout: float,
                 labels: dict[str, str] | None = None) -> None:  # fmt: skip
    """Push the run's metrics to a Prometheus Pushgateway (job crm_kpi, grouped by
    `labels` too): a PUT, replacing what the group held."""
    push_to_gateway(gateway, job=JOB, registry=registry_of(facts), timeout=timeout,
                    grouping_key=labels or {})  # fmt: skip
