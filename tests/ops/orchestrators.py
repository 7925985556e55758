"""Run inside a venv holding Airflow or Dagster (not crm-kpi's): load the recipe with
the orchestrator's own loader, then run its task against a fake `crm-kpi` exiting with
each code, and print one JSON line of what the orchestrator made of each."""

import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

DEPLOY = Path(sys.argv[2])
FAKE = sys.argv[3]
CODES = [0, 1, 2, 3, 4, 5, 70, 143]


class TaskStopped(Exception):
    """What the orchestrator raises in a task it stops (a timeout, a kill)."""


def stopped_mid_run(task: Callable[[], object]) -> bool:
    """Stop `task` a second into a crm-kpi that waits: whether crm-kpi got SIGTERM."""
    os.environ["FAKE_EXIT"] = "wait"

    def stop(*_: object) -> None:
        raise TaskStopped

    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    with contextlib.suppress(TaskStopped):
        task()
    return Path(os.environ["FAKE_TERMED"]).exists()


def airflow() -> dict[str, object]:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.exceptions import AirflowException, AirflowFailException

    bag = DagBag(dag_folder=str(DEPLOY / "airflow"))
    dag = bag.dags["crm_kpi_nightly"]
    task = dag.tasks[0]
    outcome: dict[str, str] = {}
    for code in CODES:
        os.environ["FAKE_EXIT"] = str(code)
        try:
            task.python_callable()
            outcome[str(code)] = "success"
        except AirflowFailException:
            outcome[str(code)] = "fail"
        except AirflowException:
            outcome[str(code)] = "retry"
    return {"errors": {str(k): str(v) for k, v in bag.import_errors.items()},
            "dags": list(bag.dags), "retries": task.retries,
            "max_active_runs": dag.max_active_runs, "outcome": outcome,
            "sigterm_on_stop": stopped_mid_run(task.python_callable)}


def dagster() -> dict[str, object]:
    from dagster import DagsterEventType, materialize

    sys.path.insert(0, str(DEPLOY / "dagster"))
    import crm_kpi_dagster as recipe

    recipe.RETRY_WAIT_SECONDS = 0
    outcome: dict[str, str] = {}
    for code in CODES:
        os.environ["FAKE_EXIT"] = str(code)
        result = materialize([recipe.crm_kpis], raise_on_error=False)
        kinds = {event.event_type for event in result.all_events}
        outcome[str(code)] = ("success" if result.success else "retry"
                              if DagsterEventType.STEP_UP_FOR_RETRY in kinds else "fail")
    job = recipe.defs.get_job_def("crm_kpi_nightly")
    return {"job": job.name, "schedules": [s.cron_schedule for s in recipe.defs.schedules or []],
            "outcome": outcome, "sigterm_on_stop": stopped_mid_run(
                lambda: recipe.run_crm_kpi_command([os.environ["CRM_KPI"], "run"]))}


if __name__ == "__main__":
    os.environ["CRM_KPI"] = FAKE
    found = airflow() if sys.argv[1] == "airflow" else dagster()
    print("RESULT " + json.dumps(found), flush=True)
