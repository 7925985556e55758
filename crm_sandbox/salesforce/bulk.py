"""Bulk API 2.0: query jobs (CSV pages with Sforce-Locator) and ingest jobs (CSV in/out).

Query results are CSV lines rendered by DuckDB and streamed page by page (the job's
snapshot is the stream's transaction); ingest jobs run in a worker thread through the
same record writers as sObject Collections.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..ids import sf_id
from .bulk_jobs import Job, ingest_rows, result_csv
from .context import SF_TS, Context, V
from .errors import SfError, not_found
from .streams import Stream

DEFAULT_PAGE = 50_000


class Bulk:
    """jobs/query and jobs/ingest handlers and their worker threads."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.folder = ctx, ctx.folder / "bulk"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.threads: list[threading.Thread] = []
        self._seq = 0

    def endpoints(self) -> list[Endpoint]:
        """Bulk API 2.0 query and ingest endpoints."""
        q, i, j = rf"{V}/jobs/query", rf"{V}/jobs/ingest", r"/(?P<job>750\w+)"
        return [
            Endpoint("POST", rf"{q}/?", "bulk.query.create", self.create_query),
            Endpoint("GET", rf"{q}{j}/?", "bulk.query.get", self.get_job),
            Endpoint("PATCH", rf"{q}{j}/?", "bulk.query.state", self.set_state),
            Endpoint("DELETE", rf"{q}{j}/?", "bulk.query.delete", self.delete_job),
            Endpoint("GET", rf"{q}{j}/results/?", "bulk.query.results", self.results),
            Endpoint("POST", rf"{i}/?", "bulk.ingest.create", self.create_ingest),
            Endpoint("GET", rf"{i}{j}/?", "bulk.ingest.get", self.get_job),
            Endpoint("PATCH", rf"{i}{j}/?", "bulk.ingest.state", self.set_state),
            Endpoint("DELETE", rf"{i}{j}/?", "bulk.ingest.delete", self.delete_job),
            Endpoint("PUT", rf"{i}{j}/batches/?", "bulk.ingest.upload", self.upload),
            Endpoint("GET", rf"{i}{j}/(?P<kind>successfulResults|failedResults|"
                     r"(?i:unprocessedrecords))/?", "bulk.ingest.results", self.ingest_results),
        ]

    def new_job(self, info: dict[str, Any], req: Request) -> Job:
        """Register a job of the session's user with the job-info fields Salesforce
        answers."""
        version, viewer = req.params["v"], self.ctx.viewer(req)
        with self._lock:
            self._seq += 1
            job_id = sf_id("750", self._seq)
        now = self.ctx.org.clock.now().strftime(SF_TS)
        info = {"id": job_id, **info, "createdById": viewer.user_id, "createdDate": now,
                "systemModstamp": now, "concurrencyMode": "Parallel", "contentType": "CSV",
                "apiVersion": float(version), "lineEnding": info.get("lineEnding") or "LF",
                "columnDelimiter": "COMMA", "numberRecordsProcessed": 0,
                "numberRecordsFailed": 0, "retries": 0, "totalProcessingTime": 0}
        job = Job(job_id, info, self.folder / job_id, viewer=viewer)
        with self._lock:
            self.jobs[job_id] = job
        return job

    def job(self, req: Request) -> Job:
        with self._lock:
            job = self.jobs.get(req.params["job"])
        if job is None:
            raise not_found()
        return job

    def spawn(self, target: Any, *args: Any) -> None:
        t = threading.Thread(target=target, args=args, daemon=False, name="sandbox-bulk")
        with self._lock:
            self.threads = [th for th in self.threads if th.is_alive()]
            self.threads.append(t)
        t.start()

    # ---- query jobs ------------------------------------------------------------------
    def create_query(self, req: Request) -> Response:
        """POST jobs/query: compile the SOQL now (errors answer at once), run later."""
        body = req.json() or {}
        op = body.get("operation", "query")
        if op not in ("query", "queryAll") or (body.get("columnDelimiter") or "COMMA") != "COMMA":
            raise SfError(400, "INVALIDJOB", "operation must be query or queryAll with COMMA")
        compiled = self.ctx.queries.compile(str(body.get("query") or ""), req.params["v"],
                                           op == "queryAll", self.ctx.viewer(req))
        if compiled.count_only:
            raise SfError(400, "INVALIDJOB", "COUNT() is not supported by Bulk API 2.0 queries")
        job = self.new_job({"operation": op, "object": compiled.obj.name,
                            "state": "UploadComplete", "lineEnding": body.get("lineEnding")},
                           req)
        job.compiled = compiled
        self.spawn(self.run_query, job)
        return json_response(job.snapshot())

    def run_query(self, job: Job) -> None:
        """Worker: count the records and open the result stream."""
        c = job.compiled
        assert c is not None
        job.set(state="InProgress")
        try:
            total = self.ctx.queries.count(c)
            # Pages are only read in order (or re-read after a retry), so the stream needs
            # no ORDER BY: an unordered scan streams in bounded memory.
            job.stream = Stream(self.ctx.org, c.csv_sql(), c.params, total, resumable=False)
            job.set(state="JobComplete", numberRecordsProcessed=total)
        except Exception as exc:  # a failed job reports its error, whatever it was
            job.set(state="Failed", errorMessage=str(exc))
        finally:
            self.ctx.org.release_cursor()

    def results(self, req: Request) -> Response:
        """GET results: one CSV page, with Sforce-Locator and Sforce-NumberOfRecords."""
        job = self.job(req)
        if job.info["state"] != "JobComplete" or job.stream is None or job.compiled is None:
            raise SfError(400, "API_ERROR", "the job is not complete")
        try:
            start = int(base64.b64decode(req.arg("locator") or "MA==").decode() or 0)
        except ValueError as exc:
            raise SfError(400, "INVALIDLOCATOR", "invalid locator") from exc
        size = int(req.arg("maxRecords") or DEFAULT_PAGE)
        rows = job.stream.page(start, size)
        end = start + len(rows)
        more = end < job.stream.total
        locator = base64.b64encode(str(end).encode()).decode() if more else "null"
        eol = "\r\n" if job.info["lineEnding"] == "CRLF" else "\n"
        text = eol.join([job.compiled.csv_header, *rows]) + eol
        return Response(200, text.encode(), {"Content-Type": "text/csv",
                                             "Sforce-Locator": locator,
                                             "Sforce-NumberOfRecords": str(len(rows))})

    # ---- ingest jobs -----------------------------------------------------------------
    def create_ingest(self, req: Request) -> Response:
        """POST jobs/ingest: an Open job for one object and operation."""
        body = req.json() or {}
        obj = self.ctx.registry.get(str(body.get("object") or ""))
        op = body.get("operation")
        if obj is None or not self.ctx.viewer(req).can_read(obj):
            raise SfError(400, "INVALIDJOB", f"Unable to find object: {body.get('object')}")
        if op not in ("insert", "update", "upsert", "delete", "hardDelete"):
            raise SfError(400, "INVALIDJOB", f"Invalid operation: {op}")
        if op == "upsert" and not body.get("externalIdFieldName"):
            raise SfError(400, "INVALIDJOB", "External ID was blank for upsert")
        job = self.new_job({"operation": op, "object": obj.name, "state": "Open",
                            "externalIdFieldName": body.get("externalIdFieldName"),
                            "lineEnding": body.get("lineEnding"),
                            "contentUrl": f"services/data/v{req.params['v']}/jobs/ingest/"},
                           req)
        job.info["contentUrl"] += f"{job.id}/batches"
        return json_response(job.snapshot())

    def upload(self, req: Request) -> Response:
        job = self.job(req)
        if job.info["state"] != "Open":
            raise SfError(400, "INVALIDJOB", "the job is not open for uploads")
        job.append(req.body)
        return Response(201)

    def set_state(self, req: Request) -> Response:
        """PATCH: UploadComplete starts processing; Aborted stops it."""
        job, state = self.job(req), str((req.json() or {}).get("state"))
        if state == "Aborted":
            job.set(state="Aborted")
        elif state == "UploadComplete" and job.info["state"] == "Open":
            job.set(state="UploadComplete")
            self.spawn(ingest_rows, self.ctx, job, req.path)
        else:
            raise SfError(400, "INVALIDJOB", f"cannot move the job to state {state}")
        return json_response(job.snapshot())

    def get_job(self, req: Request) -> Response:
        return json_response(self.job(req).snapshot())

    def delete_job(self, req: Request) -> Response:
        job = self.job(req)
        with self._lock:
            self.jobs.pop(job.id, None)
        self.drop(job)
        return Response(204)

    def ingest_results(self, req: Request) -> Response:
        job = self.job(req)
        kind = req.params["kind"].replace("unprocessedRecords", "unprocessedrecords")
        return Response(200, result_csv(job, kind).encode(), {"Content-Type": "text/csv"})

    def drop(self, job: Job) -> None:
        if job.stream is not None:
            job.stream.close()
        job.remove_files()

    def close(self) -> None:
        for t in list(self.threads):
            t.join()
        for job in list(self.jobs.values()):
            self.drop(job)
