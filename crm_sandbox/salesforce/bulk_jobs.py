"""Bulk API 2.0 job state and ingest processing."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compile import Compiled
from .context import Context
from .errors import SfError
from .model import SObject
from .ops import create, delete, update, upsert
from .rights import Viewer
from .streams import Stream
from .writes import Result

CHUNK = 2000


@dataclass
class Job:
    """One job: its info (the JSON answered), uploaded data and per-record outcomes."""

    id: str
    info: dict[str, Any]
    folder: Path
    compiled: Compiled | None = None
    stream: Stream | None = None
    header: list[str] = field(default_factory=list)
    outcomes: list[tuple[dict[str, str], dict[str, Any] | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    viewer: Viewer | None = None  # the user who created the job: its writes are theirs

    def set(self, **values: Any) -> None:
        with self.lock:
            self.info.update(values)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {k: v for k, v in self.info.items() if v is not None}

    def append(self, data: bytes) -> None:
        """Add an uploaded CSV part (later parts' header lines are dropped)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "upload.csv"
        if path.exists():  # later uploads repeat the header line: keep the rows only
            data = data.split(b"\n", 1)[1] if b"\n" in data else b""
        with path.open("ab") as fh:
            fh.write(data)

    def remove_files(self) -> None:
        for p in self.folder.glob("*"):
            p.unlink()
        if self.folder.exists():
            self.folder.rmdir()


def record_from_csv(row: dict[str, str]) -> dict[str, Any]:
    """Bulk semantics: empty cells leave fields alone, #N/A sets null."""
    return {k: (None if v == "#N/A" else v) for k, v in row.items() if k and v != ""}


def ingest_rows(ctx: Context, job: Job, path: str) -> None:
    """Worker: apply the uploaded CSV in chunks; record each row's outcome."""
    job.set(state="InProgress")
    if job.viewer is not None:  # the user's rights as they are now, not at job creation
        job.viewer = ctx.access.viewer(job.viewer.user_n)
    upload = job.folder / "upload.csv"
    text = upload.read_text("utf-8-sig") if upload.exists() else ""
    reader = csv.DictReader(io.StringIO(text))
    job.header = list(reader.fieldnames or [])
    rows = list(reader)
    obj = ctx.registry.get(str(job.info["object"]))
    try:
        assert obj is not None
        for start in range(0, len(rows), CHUNK):
            if job.info["state"] == "Aborted":
                break
            chunk = rows[start:start + CHUNK]
            results = apply_chunk(ctx, job, obj, chunk, path)
            job.outcomes += list(zip(chunk, results, strict=True))
            failed = sum(1 for r in results if not r["success"])
            job.set(numberRecordsProcessed=job.info["numberRecordsProcessed"] + len(chunk),
                    numberRecordsFailed=job.info["numberRecordsFailed"] + failed)
        job.outcomes += [(r, None) for r in rows[len(job.outcomes):]]
        if job.info["state"] != "Aborted":
            job.set(state="JobComplete")
    except (SfError, AssertionError) as exc:
        job.set(state="Failed", errorMessage=str(exc))
    finally:
        ctx.org.release_cursor()


def apply_chunk(ctx: Context, job: Job, obj: SObject, chunk: list[dict[str, str]],
                path: str) -> list[Result]:
    """Apply one chunk of rows with the job's operation."""
    op, w, v = job.info["operation"], ctx.writer, job.viewer
    records = [record_from_csv(r) for r in chunk]
    if op == "insert":
        return create(w, obj, records, False, "PUT", path, v)
    if op == "update":
        return update(w, obj, records, False, "PUT", path, v)
    if op == "upsert":
        ext = obj.get(str(job.info["externalIdFieldName"]))
        if ext is None or (v is not None and not v.can_read_field(obj, ext)):
            raise SfError(400, "INVALIDJOB", "unknown external id field")
        if ext.name == "Id":
            return update(w, obj, records, False, "PUT", path, v)
        return upsert(w, obj, ext, records, False, "PUT", path, v)
    ids = [str(r.get("Id", "")) for r in chunk]
    return delete(w, obj, ids, False, "PUT", path, hard=op == "hardDelete", viewer=v)


def result_csv(job: Job, kind: str) -> str:
    """successfulResults / failedResults / unprocessedrecords as CSV."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    if kind == "successfulResults":
        w.writerow(["sf__Id", "sf__Created", *job.header])
        for row, res in job.outcomes:
            if res and res["success"]:
                new = job.info["operation"] == "insert" or res.get("created")
                created = "true" if new else "false"
                w.writerow([res["id"], created, *(row.get(h, "") for h in job.header)])
    elif kind == "failedResults":
        w.writerow(["sf__Id", "sf__Error", *job.header])
        for row, res in job.outcomes:
            if res and not res["success"]:
                e = res["errors"][0]
                msg = f"{e['statusCode']}:{e['message']}:{','.join(e['fields'])} --"
                w.writerow([res.get("id", ""), msg, *(row.get(h, "") for h in job.header)])
    else:
        w.writerow(job.header)
        for row, res in job.outcomes:
            if res is None:
                w.writerow([row.get(h, "") for h in job.header])
    return out.getvalue()
