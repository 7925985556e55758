"""crm-kpi's nightly job as an Airflow DAG (Airflow 2.7+ and 3): one task that runs
`crm-kpi run` and acts on its exit code (`crm-kpi --help` lists them):

- 0 done, 1 partial: success (on 1 crm-kpi sent its own alert; the task logs a warning);
- 3 locked, 4 try again later, 143 stopped by SIGTERM: the task fails and is retried
  (`retries`, 30 minutes apart); the next run resumes where this one stopped;
- 2 your files, 5 a person must act, 70 a crm-kpi bug, 130 Ctrl-C: the task fails at
  once without a retry (AirflowFailException); the log and crm-kpi's alert say why.

The DuckDB store (state, sync cursors, the run lease) must persist between runs: put
store.path on a volume every worker mounts (a lease not renewed for
store.lock_lease_seconds is taken over by a run on any worker).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess

from airflow.exceptions import AirflowException, AirflowFailException

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
try:
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2 without the standard provider
    from airflow.operators.python import PythonOperator

CRM_KPI = os.environ.get("CRM_KPI", "/opt/crm-kpi/.venv/bin/crm-kpi")
CONFIG = os.environ.get("CRM_KPI_CONFIG", "/etc/crm-kpi/config.yaml")

SUCCESS = {0, 1}
RETRY = {3, 4, 143}  # everything else fails without a retry
STOP_SECONDS = 120

log = logging.getLogger(__name__)


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


def run_crm_kpi() -> int:
    """`crm-kpi run`, its JSON log in the task's log; the exit code decides the rest."""
    code = run_crm_kpi_command([CRM_KPI, "run", "--config", CONFIG, "--log-format", "json"])
    if code in SUCCESS:
        if code == 1:
            log.warning("crm-kpi finished, but left something out (exit 1): see its "
                        "summary above and `crm-kpi problems --config %s --run last`", CONFIG)
        return code
    if code in RETRY:
        raise AirflowException(f"crm-kpi exited {code}: try again later (retried)")
    raise AirflowFailException(f"crm-kpi exited {code}: a person must act (not retried); "
                               "its last log line and alert say what to do")


with DAG(
    dag_id="crm_kpi_nightly",
    schedule="15 2 * * *",
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=30)},
    tags=["crm-kpi"],
) as dag:
    PythonOperator(task_id="crm_kpi_run", python_callable=run_crm_kpi,
                   execution_timeout=dt.timedelta(hours=4))
