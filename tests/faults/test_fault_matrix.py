"""The fault invariant, as a matrix: for each fault the sandbox injects, in each stage that
talks to a CRM, on both CRMs, a run either ends with every record read and every KPI
written (exit 0), or exits non-zero naming what stopped it; the next run without the
fault converges to a clean run's CRM state, with no KPI record twice."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fault_crms import crm_state, kpi_keys, org, secrets, unread, write_config

from connector.cli import main
from crm_sandbox import Sandbox

pytestmark = pytest.mark.e2e

# Stages by the requests they make (regex on the URL path).
SF_LIST = r"(?<!jobs)/query(/|$)"  # REST query and its next pages, alone or in composite
SF_BULK = r"/jobs/query"
SF_DESCRIBE = r"/describe$"
SF_COMPOSITE = r"/composite$"  # the request carrying the first pages of every stream
SF_SETUP = r"/tooling/sobjects/"
SF_PUSH = r"/composite/sobjects"
# Listing every record: a full pull searches in id order; goals and archives are list pages.
HS_LIST = r"^/crm/v3/objects/(companies|deals|contacts|line_items|\w+)(/search)?$"
HS_SEARCH = r"/search$"
HS_EXPORT = r"^/(crm/v3/exports|hubspot-exports)/"
EXPORTS = {"exports": True, "export_poll_seconds": 0}
HS_ASSOC = r"/associations/"
HS_SETUP = r"^/crm/v3/(properties|schemas)"
HS_PUSH = r"/batch/(create|update|upsert)$"


@dataclass(frozen=True)
class Case:
    crm: str
    stage: str
    fault: dict[str, Any]
    exit: int  # what the faulted command must end with
    says: tuple[str, ...] = ()  # what its error output must name
    oauth: bool = False  # HubSpot through OAuth (an access token that can be renewed)
    pull: dict[str, Any] = field(default_factory=dict)  # pull settings of this case

    @property
    def id(self) -> str:
        f = self.fault
        what = f["kind"] + (f"-{f['status']}" if "status" in f else "")
        what += f"-{f['error_code']}" if "error_code" in f else ""
        times = f"p{f['probability']}" if "probability" in f else f.get("count", "always")
        how = "-oauth" * self.oauth + "-exports" * bool(self.pull)
        return f"{self.crm}{how}-{self.stage}-{what}-{times}"


def sf(stage: str, path: str, exit: int = 0, *says: str, **fault: Any) -> Case:
    return Case("salesforce", stage, {"path": path, **fault}, exit, says)


def hs(stage: str, path: str, exit: int = 0, *says: str, **fault: Any) -> Case:
    return Case("hubspot", stage, {"path": path, **fault}, exit, says)


# One case per stage and kind of fault. A transient 5xx takes the transport's path of a
# dropped connection or a 429 (all retried; the statuses themselves are covered by each
# transport's tests, test_sf_unit_transport.py and test_hubspot_transport_logic.py), so
# a stage with a `drop` or a 429 case has no `status 503, count 2` case of its own.
CASES = [
    sf("list", SF_LIST, kind="status", status=503, count=2),
    sf("list", SF_LIST, kind="status", status=429, retry_after=0.1, count=2),
    sf("list", SF_COMPOSITE, kind="drop", count=1),
    sf("list", SF_LIST, kind="slow", delay=0.2, count=2),
    sf("list", SF_LIST, kind="expire_session", after=1, count=1),
    sf("list", SF_LIST, kind="record_error", after=3, count=2),  # malformed 2xx pages
    sf("list", SF_LIST, 4, "records its query counted", kind="short_page", count=1),
    sf("list", SF_LIST, 4, "REQUEST_LIMIT_EXCEEDED", kind="limit", after=2),
    sf("list", SF_LIST, 4, "kept failing", kind="status", status=503),
    sf("bulk", SF_BULK, kind="drop", count=1),
    sf("bulk", SF_BULK, 4, "REQUEST_LIMIT_EXCEEDED", kind="limit", after=2),
    sf("describe", SF_DESCRIBE, kind="status", status=500, count=1),
    sf("setup", SF_SETUP, kind="status", status=503, count=2),
    sf("setup", SF_SETUP, 4, "REQUEST_LIMIT_EXCEEDED", kind="limit", after=5),
    sf("push", SF_PUSH, kind="drop", count=1),
    sf("push", SF_PUSH, kind="expire_session", count=1),
    sf("push", SF_PUSH, kind="record_error", count=3),  # UNABLE_TO_LOCK_ROW: retried
    sf("push", SF_PUSH, 1, "FAILED", "Scope is locked", kind="record_error", probability=0.3,
       error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message="Scope is locked"),
    sf("push", SF_PUSH, 4, "REQUEST_LIMIT_EXCEEDED", kind="limit", after=1),
    hs("list", HS_LIST, kind="status", status=429, form="category", policy="SECONDLY",
       count=2),
    hs("list", HS_LIST, kind="drop", count=1),
    hs("list", HS_LIST, kind="record_error", after=2, count=1),  # a malformed 2xx page
    hs("list", HS_LIST, kind="stamps_without_ms"),
    hs("list", HS_LIST, 4, "daily API limit", kind="limit", after=2),
    hs("list", HS_LIST, 4, "kept failing", kind="status", status=503),
    hs("search", HS_SEARCH, kind="status", status=502, count=2),
    hs("search", HS_SEARCH, kind="record_error", count=1),  # a malformed 2xx page
    hs("search", HS_SEARCH, kind="search_lag", count=2),
    hs("search", HS_SEARCH, kind="stamps_without_ms"),
    replace(hs("bulk", HS_EXPORT, kind="drop", count=1), pull=EXPORTS),
    replace(hs("bulk", HS_EXPORT, kind="status", status=500), pull=EXPORTS),  # falls back
    hs("associations", HS_ASSOC, kind="drop", count=1),
    hs("setup", HS_SETUP, kind="status", status=503, count=2),
    hs("setup", HS_SETUP, 4, "daily API limit", kind="limit", after=3),
    replace(hs("list", HS_LIST, kind="expire_session", after=2, count=1), oauth=True),
    replace(hs("push", HS_PUSH, kind="expire_session", count=1), oauth=True),
    hs("push", HS_PUSH, kind="status", status=429, form="category", count=1),
    hs("push", HS_PUSH, kind="record_error", count=3),  # UNABLE_TO_LOCK_ROW: retried
    hs("push", HS_PUSH, 1, "FAILED", "Scope is locked", kind="record_error", probability=0.3,
       error_code="VALIDATION_ERROR", message="Scope is locked"),
    hs("push", HS_PUSH, 4, "daily API limit", kind="limit", after=1),
]


def command(case: Case, config: Path) -> list[str]:
    if case.stage == "setup":
        return ["setup", case.crm, "--config", str(config)]
    return ["run", "--config", str(config), "--log-format", "plain"]


def faulted(case: Case, sb: Sandbox, config: Path, capsys: pytest.CaptureFixture[str]) -> int:
    """Run the case's command with its fault on; check its exit code and output."""
    if case.stage != "setup":
        assert main(["setup", case.crm, "--config", str(config)]) == 0
    sb.faults.add(dict(case.fault))
    capsys.readouterr()
    code = main(command(case, config))
    out, err = capsys.readouterr()
    fired = sb.stats()["faults"].get(case.fault["kind"], 0)
    sb.faults.clear()
    assert fired >= 1, f"the fault never fired: {case.fault}"
    assert code == case.exit, err[-3000:]
    assert "Traceback" not in out + err
    assert not [s for s in secrets() if s in out + err], "a credential in the output"
    for word in case.says:
        assert word in err, err[-3000:]
    return code


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_faulted_run_finishes_or_says_so_and_the_next_run_converges(
    case: Case, reference: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with org(case.crm, monkeypatch) as sb:
        config = write_config(case.crm, sb, tmp_path, case.oauth, case.pull)
        code = faulted(case, sb, config, capsys)
        if code != 0 or case.stage == "setup":
            assert main(command(case, config)) == 0, capsys.readouterr().err[-3000:]
            if case.stage == "setup":
                assert main(["run", "--config", str(config)]) == 0
        assert unread(config, case.crm, sb) == {}, "every record read"
        keys = kpi_keys(sb)
        assert keys, "KPI records written"
        assert len(keys) == len(set(keys)), "no KPI record twice"
        assert crm_state(sb) == reference[case.crm]
