"""Metadata API deploys: queued by `deploy()`, advanced by each `checkDeployStatus()`.

As the Metadata API Developer Guide's deploy() page describes: "Issue a deploy() call to
start the asynchronous deployment. An AsyncResult object is returned. … Issue a
checkDeployStatus() call in a loop until the done field of the returned DeployResult
contains true". Here the first check finds the deploy `InProgress` (nothing saved yet) and
the next one runs it to its end. DeployOptions are honoured as the DeployOptions page
defines them: `checkOnly` saves nothing, `rollbackOnError` saves nothing unless every
component succeeds (else the ones that succeed are saved and the status is
`SucceededPartial`), `ignoreWarnings` lets a deploy with warnings succeed. Delete
manifests (`md_destructive`) delete before (`destructiveChanges.xml`,
`destructiveChangesPre.xml`) or after (`destructiveChangesPost.xml`) the package's
components are saved, in the same transaction.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..ids import parse_sf_id, sf_id
from . import md_destructive
from .catalog import Catalog
from .context import Context
from .errors import SfError
from .md_package import Package, read
from .md_soap import SoapFault
from .md_types import Item, Plan, TypeHandler
from .md_xml import Problem

CHECK_ORDER = ("LightningComponentBundle", "FlexiPage", "CustomObject", "CustomTab",
               "ReportFolder", "DashboardFolder", "Report", "Dashboard", "PermissionSet",
               "SharingRules")
APPLY_ORDER = ("CustomObject", "LightningComponentBundle", "FlexiPage", "CustomTab",
               "ReportFolder", "DashboardFolder", "Report", "Dashboard", "PermissionSet",
               "SharingRules")
TS = "%Y-%m-%dT%H:%M:%S.000Z"


@dataclass
class DeployJob:
    """One deploy: what was sent, by whom, and how far it got."""

    id: str
    user_id: str
    user_name: str
    created: dt.datetime
    options: dict[str, bool]
    data: bytes
    version: str  # the endpoint's API version
    checks: int = 0
    result: dict[str, Any] | None = None
    started: dt.datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Deployer:
    """Deploy jobs of the org and the type handlers that read and save components."""

    def __init__(self, ctx: Context, catalog: Catalog, handlers: Iterable[TypeHandler]) -> None:
        self.ctx, self.catalog = ctx, catalog
        self.handlers = {h.type: h for h in handlers}
        self._jobs: dict[str, DeployJob] = {}
        self._lock = threading.Lock()
        self._seq = 0

    def start(self, zip_b64: str, options: dict[str, bool], version: str,
              user_id: str) -> DeployJob:
        """A queued deploy of the base64 zip."""
        try:
            data = base64.b64decode(zip_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SoapFault("INVALID_TYPE", "ZipFile is not base64: " + str(exc)) from exc
        with self._lock:
            self._seq += 1
            job = DeployJob(sf_id("0Af", self._seq), user_id, self.user_name(user_id),
                            self.ctx.org.clock.now(), options, data, version)
            self._jobs[job.id] = job
        return job

    def user_name(self, user_id: str) -> str:
        parsed = parse_sf_id(user_id)
        row = self.ctx.org.cursor().execute(
            "SELECT concat_ws(' ', first_name, last_name) FROM users WHERE n = ?",
            [parsed[1] if parsed else -1]).fetchone()
        return str(row[0]) if row else ""

    def job(self, job_id: str) -> DeployJob:
        with self._lock:
            found = self._jobs.get(job_id) or next(
                (j for i, j in self._jobs.items() if i[:15] == job_id[:15]), None)
        if found is None:
            raise SoapFault("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        return found

    def status(self, job_id: str, details: bool) -> dict[str, Any]:
        """The DeployResult one more check sees: in progress first, then the outcome."""
        job = self.job(job_id)
        with job.lock:
            job.checks += 1
            if job.result is None and job.checks == 1:
                job.started = self.ctx.org.clock.now()
                return self.result(job, "InProgress", [], [], details, total=None)
            if job.result is None:
                job.result = self.run(job)
            out = dict(job.result)
        if not details:
            out["details"] = {}
        return out

    # ---- running ------------------------------------------------------------------------
    def run(self, job: DeployJob) -> dict[str, Any]:
        try:
            pkg = read(job.data, job.options["singlePackage"], job.version)
        except Problem as exc:
            fail = failure("", "package.xml", exc.file_name or "package.xml", exc, job.created)
            return self.result(job, "Failed", [], [fail], True, total=0)
        plan = Plan(self.ctx, self.catalog, float(pkg.version), job.user_id)
        self.read_all(pkg, plan)
        for kind in CHECK_ORDER:
            for item in self.of_type(plan, kind):
                self.guarded(self.handlers[kind].check, item, plan)
        md_destructive.check(pkg, plan)
        return self.finish(job, pkg, plan)

    def read_all(self, pkg: Package, plan: Plan) -> None:
        for comp in pkg.components:
            item = Item(comp, None)
            try:
                item.value = self.handlers[comp.type].parse(comp, plan)
            except Problem as exc:
                item.problem = exc
            plan.items[(comp.type, comp.full_name)] = item

    @staticmethod
    def of_type(plan: Plan, kind: str) -> list[Item]:
        return [i for (k, _), i in plan.items.items() if k == kind and i.problem is None]

    @staticmethod
    def guarded(step: Any, item: Item, plan: Plan) -> None:
        try:
            step(item, plan)
        except Problem as exc:
            item.problem = exc

    def finish(self, job: DeployJob, pkg: Package, plan: Plan) -> dict[str, Any]:
        opts, now = job.options, job.created
        warnings = [failure(t, n, p.file_name or n, p, now, "Warning", opts["ignoreWarnings"])
                    for t, n, p in pkg.warnings]
        blocked = bool(pkg.failures) or any(i.problem for i in plan.items.values()) or (
            bool(warnings) and not opts["ignoreWarnings"])
        if not opts["checkOnly"] and not (blocked and opts["rollbackOnError"]):
            blocked = not self.save(pkg, plan, opts["rollbackOnError"]) or blocked
        good = [i for i in plan.items.values() if i.problem is None]
        failures = [failure(t, n, p.file_name or "package.xml", p, now)
                    for t, n, p in pkg.failures]
        failures += [failure(i.comp.type, i.comp.full_name, i.comp.file_name, i.problem, now)
                     for i in plan.items.values() if i.problem is not None]
        if not blocked:
            status = "Succeeded"
        elif good and not opts["rollbackOnError"] and not opts["checkOnly"]:
            status = "SucceededPartial"
        else:
            status = "Failed"
        saved = status != "Failed" and not opts["checkOnly"]
        successes = [success("", "package.xml", "package.xml", None, False, now)] + [
            success(i.comp.type, i.comp.full_name, i.comp.file_name, i.result_id,
                    i.created and saved, now) for i in good]
        gone = [d for d in pkg.deletions if d.found]
        successes += [success(d.type, d.full_name, d.manifest, None, False, now, deleted=saved)
                      for d in gone]
        return self.result(job, status, successes, failures + warnings, True,
                           total=len(plan.items) + len(pkg.failures) + len(pkg.deletions),
                           errors=len(failures) + (0 if opts["ignoreWarnings"] else
                                                   len(warnings)),
                           deployed=len(good) + len(gone))

    def save(self, pkg: Package, plan: Plan, rollback: bool) -> bool:
        """Delete what the pre manifest names, save the components that passed in
        dependency order, delete what the post manifest names; a component the org still
        refuses fails alone, or (rollbackOnError) undoes every change: whether all saved."""
        good = [i for i in plan.items.values() if i.problem is None]
        kept = self.catalog.snapshot()
        try:
            with self.ctx.org.atomic():
                md_destructive.delete(pkg, "pre", plan)
                for kind in APPLY_ORDER:
                    for item in (i for i in good if i.comp.type == kind):
                        try:
                            item.result_id, item.created = self.handlers[kind].apply(item,
                                                                                     plan)
                        except (SfError, Problem) as exc:
                            item.problem = exc if isinstance(exc, Problem) else \
                                Problem(exc.message)
                            if rollback:
                                raise
                md_destructive.delete(pkg, "post", plan)
        except (SfError, Problem):
            self.catalog.restore(kept)  # the org's rows were undone by atomic()
            for step in reversed(plan.undo):
                step()
        return all(i.problem is None for i in good)

    def result(self, job: DeployJob, status: str, successes: list[dict[str, Any]],
               failures: list[dict[str, Any]], details: bool, *, total: int | None,
               errors: int = 0, deployed: int = 0) -> dict[str, Any]:
        """A DeployResult (its elements by name; md_soap writes them in WSDL order)."""
        now, done = self.ctx.org.clock.now(), status not in ("Pending", "InProgress")
        return {
            "checkOnly": job.options["checkOnly"], "completedDate": now.strftime(TS) if done
            else None, "createdBy": job.user_id[:15], "createdByName": job.user_name,
            "createdDate": job.created.strftime(TS),
            "details": {"componentFailures": failures, "componentSuccesses": successes}
            if details else {},
            "done": done, "id": job.id, "ignoreWarnings": job.options["ignoreWarnings"],
            "lastModifiedDate": now.strftime(TS), "numberComponentErrors": errors,
            "numberComponentsDeployed": deployed if done else 0,
            "numberComponentsTotal": total if total is not None else 0,
            "numberTestErrors": 0, "numberTestsCompleted": 0, "numberTestsTotal": 0,
            "rollbackOnError": job.options["rollbackOnError"], "runTestsEnabled": False,
            "startDate": (job.started or now).strftime(TS), "status": status,
            "success": status == "Succeeded",
        }


def failure(kind: str, name: str, file_name: str, problem: Problem, when: dt.datetime,
            problem_type: str = "Error", ignored: bool = False) -> dict[str, Any]:
    """A componentFailures DeployMessage (an ignored warning's `success` is true)."""
    return {"changed": False, "columnNumber": problem.column, "componentType": kind,
            "created": False, "createdDate": when.strftime(TS), "deleted": False,
            "fileName": problem.file_name or file_name, "fullName": name,
            "lineNumber": problem.line, "problem": problem.message,
            "problemType": problem_type, "success": ignored}


def success(kind: str, name: str, file_name: str, record_id: str | None, created: bool,
            when: dt.datetime, deleted: bool = False) -> dict[str, Any]:
    """A componentSuccesses DeployMessage."""
    return {"changed": True, "componentType": kind, "created": created,
            "createdDate": when.strftime(TS), "deleted": deleted, "fileName": file_name,
            "fullName": name, "id": record_id, "success": True}
