"""`crm-kpi compute --engine spark` as a user runs it: its own process, Spark Connect
(`spark.remote`, a local server), the normalized tables read from a Parquet lake
(`spark.lake`) into a store that holds no record, and the same figures as DuckDB's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from connector.cli import main
from connector.config import load_config
from connector.demo.exports import write_demo_config
from connector.pipeline import open_store
from connector.store import Store
from connector.store.parquet import export_parquet

pytestmark = pytest.mark.spark

ARGS = ["compute", "--period", "2026-Q3", "--scope", "all", "--format", "json"]


def _by_key(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    keys = ("kpi", "period", "scope_type", "scope_id")
    return {(*(r[k] for k in keys), json.dumps(r["breakdown"])): r for r in rows}


def test_compute_on_spark_connect_over_a_lake_matches_duckdb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("java") is None:
        pytest.fail("the Spark tests need Java 17+ (Debian: apt-get install default-jre-headless)")
    (tmp_path / "duck").mkdir()
    duck_config = write_demo_config(tmp_path / "duck")
    assert main(["pull", "--config", str(duck_config)]) == 0
    capsys.readouterr()
    assert main([*ARGS, "--config", str(duck_config)]) == 0
    duck = _by_key(json.loads(capsys.readouterr().out))
    with open_store(load_config(duck_config)) as store:
        export_parquet(store, tmp_path / "lake")

    data = yaml.safe_load(duck_config.read_text())
    data["store"] = {"path": str(tmp_path / "spark" / "results.duckdb")}
    data["spark"] = {
        "remote": "local[2]",
        "conf": {"spark.sql.shuffle.partitions": 2},
        "lake": {"path": str(tmp_path / "lake"), "format": "parquet"},
    }
    spark_config = tmp_path / "spark.yaml"
    spark_config.write_text(yaml.safe_dump(data))
    done = subprocess.run(
        [sys.executable, "-m", "connector.cli", *ARGS, "--config", str(spark_config),
         "--engine", "spark"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "spark: kpi_deals in" in done.stderr  # progress, step by step
    on_spark = _by_key(json.loads(done.stdout))

    assert on_spark.keys() == duck.keys()
    assert len(duck) > 900  # every KPI of 2026-Q3 for every scope
    for key, d in duck.items():
        s = on_spark[key]
        for name in ("value", "target", "attainment", "gap", "pace"):
            expected = None if d[name] is None else pytest.approx(d[name], rel=1e-9)
            assert s[name] == expected, (key, name)
        assert s["note"] == d["note"], key
    # the results store got no record and, compute without --save, no result
    with Store(tmp_path / "spark" / "results.duckdb") as store:
        assert store.count("opportunities") == 0
        assert not store.has_table("kpi_results")
