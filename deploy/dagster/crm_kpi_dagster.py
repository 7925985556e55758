"""crm-kpi's nightly job as a Dagster asset with a schedule: it runs `crm-kpi run` and
acts on its exit code (`crm-kpi --help` lists them):

- 0 done, 1 partial: materialized (on 1 crm-kpi sent its own alert; the event log
  gets a warning and the exit code as metadata);
- 3 locked, 4 try again later, 143 stopped by SIGTERM: RetryRequested (2 retries, 30
  minutes apart); the next run resumes where this one stopped;
- 2 your files, 5 a person must act, 70 a crm-kpi bug, 130 Ctrl-C: Failure, no retry.

The DuckDB store (state, sync cursors, the run lease) must persist between runs.
Load with `dagster dev -f crm_kpi_dagster.py` or a code location pointing here. (No
`from __future__ import annotations`: Dagster reads the context annotation at runtime.)
"""

import os
import subprocess

from dagster import (
    AssetExecutionContext,
    Definitions,
    Failure,
    MaterializeResult,
    RetryRequested,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

CRM_KPI = os.environ.get("CRM_KPI", "/opt/crm-kpi/.venv/bin/crm-kpi")
CONFIG = os.environ.get("CRM_KPI_CONFIG", "/etc/crm-kpi/config.yaml")

SUCCESS = {0, 1}
RETRY = {3, 4, 143}  # everything else fails without a retry
STOP_SECONDS = 120
RETRY_WAIT_SECONDS = 1800


def run_crm_kpi_command(command: list[str]) -> int:
    """Run crm-kpi and return its exit code. When the task itself is stopped (its
    timeout, a kill from the UI), crm-kpi gets SIGTERM and up to STOP_SECONDS to save
    its state and release its lease, as systemd and Kubernetes give it, rather than the
    SIGKILL subprocess.run would send (the lease would then block runs until it expires)."""
    with subprocess.Popen(command) as process:
        try:
            return process.wait()
        except BaseException:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
            raise


@asset(description="The 14 sales KPIs, computed and written back into the CRMs")
def crm_kpis(context: AssetExecutionContext) -> MaterializeResult:
    code = run_crm_kpi_command([CRM_KPI, "run", "--config", CONFIG, "--log-format", "json"])
    if code in SUCCESS:
        if code == 1:
            context.log.warning("crm-kpi finished, but left something out (exit 1): "
                                f"crm-kpi problems --config {CONFIG} --run last")
        return MaterializeResult(metadata={"exit_code": code})
    if code in RETRY:
        raise RetryRequested(max_retries=2, seconds_to_wait=RETRY_WAIT_SECONDS)
    raise Failure(description=f"crm-kpi exited {code}: a person must act (not retried); "
                  "its last log line and alert say what to do",
                  metadata={"exit_code": code}, allow_retries=False)


crm_kpi_job = define_asset_job("crm_kpi_nightly", selection=[crm_kpis])

defs = Definitions(
    assets=[crm_kpis],
    jobs=[crm_kpi_job],
    schedules=[ScheduleDefinition(job=crm_kpi_job, cron_schedule="15 2 * * *")],
)
