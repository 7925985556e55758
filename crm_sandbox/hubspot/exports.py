"""CRM exports API (scope `crm.export`): start an export, poll its task, download its file.

Shapes per HubSpot's exports guide and reference, and hubspot-api-client 12.0.0's
`crm.exports` models (`TaskLocator`, `ActionResponseWithSingleResultURI`):

- `POST /crm/v3/exports/export/async` → 202 `{"id": "<taskId>", "links": {"status": …}}`.
- `GET /crm/v3/exports/export/async/tasks/{taskId}/status` → `status` PENDING,
  PROCESSING, COMPLETE (or CANCELED), `requestedAt`, `startedAt`, `completedAt` (both
  required by the client's model: until known they repeat the time before them) and, once
  COMPLETE, `result`: a download URL that needs no token and expires five minutes after
  that status request; each status request makes a new one. A task id that is not a
  number answers 400 "Unable to parse value for path parameter: taskId"; an unknown one
  403 "Permission to get export file cannot be granted for exportId … and portalId …"
  (both recorded answers).
- One export at a time per portal, the others queued (PENDING), as the guide says. The
  queue moves with the org's clock, not with polls (HubSpot works on exports whether
  asked or not): each export takes `processing_seconds` (HubSpot publishes no figure; the
  sandbox's default, 0.5 s, is kind to small exports), starting when the one before it
  finished. At most 30 exports in a rolling 24 hours (the guide's limit; the answer beyond
  it, 429 `RATE_LIMITS`, is the sandbox's).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from ..http import Endpoint, Request, Response, json_response
from ..org import Org
from .errors import HsError
from .export_files import ExportSpec, ExportWriter, file_stem, parse_spec
from .props import iso_ms
from .registry import Registry
from .request import json_body

TASK_BASE = 478_000_000_000  # task ids are int64 (the reference's `integer<int64>`)
DOWNLOADS = "/hubspot-exports"
EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
           b"<Message>Request has expired</Message></Error>")


@dataclass
class ExportLimits:
    per_day: int | None = 30  # exports started in a rolling 24 hours (None: no limit)
    url_seconds: int = 300  # how long a download URL lives
    processing_seconds: float = 0.5  # how long each export takes once it starts


@dataclass
class Task:
    """One export and where it stands."""

    id: int
    spec: ExportSpec
    requested: dt.datetime
    state: str = "PENDING"
    started: dt.datetime | None = None
    completed: dt.datetime | None = None
    path: Path | None = None


class Exports:
    """The exports endpoints, the portal's export queue and the files it made."""

    def __init__(self, org: Org, registry: Registry, folder: Path) -> None:
        self.org, self.registry, self.folder = org, registry, folder
        self.writer = ExportWriter(org, registry)
        self.limits = ExportLimits()
        self._lock = threading.Lock()
        self._tasks: dict[int, Task] = {}
        self._urls: dict[str, tuple[int, dt.datetime]] = {}

    def endpoints(self) -> list[Endpoint]:
        base = "/crm/v3/exports/export/async"
        return [
            Endpoint("POST", rf"{base}/?", "exportStart", self.start),
            Endpoint("GET", rf"{base}/tasks/(?P<task>[^/]+)/status/?", "exportStatus",
                     self.status),
            Endpoint("GET", rf"{DOWNLOADS}/(?P<token>[^/]+)/(?P<file>[^/]+)", "exportDownload",
                     self.download),
        ]

    def start(self, req: Request) -> Response:
        """Queue an export: 202 with the task's id."""
        spec = parse_spec(self.registry, json_body(req))
        now = self.org.clock.now()
        with self._lock:
            recent = [t for t in self._tasks.values()
                      if t.requested > now - dt.timedelta(hours=24)]
            if self.limits.per_day is not None and len(recent) >= self.limits.per_day:
                raise HsError(429, "RATE_LIMITS", f"You have reached the limit of "
                              f"{self.limits.per_day} exports in a rolling 24 hours.")
            task = Task(TASK_BASE + len(self._tasks) + 1, spec, now)
            self._tasks[task.id] = task
        link = f"{origin(req)}/crm/v3/exports/export/async/tasks/{task.id}/status"
        return json_response({"id": str(task.id), "links": {"status": link}}, 202)

    def status(self, req: Request) -> Response:
        """Where a task stands (moving the queue one step first)."""
        raw = req.params["task"]
        if not raw.isdigit():
            raise HsError(400, "", "Unable to parse value for path parameter: taskId")
        with self._lock:
            task = self._tasks.get(int(raw))
            if task is None:
                raise HsError(403, "", f"Permission to get export file cannot be granted for "
                              f"exportId {raw} and portalId {self.registry.portal_id}")
            self.step()
            body = self.render(task, req)
        return json_response(body)

    def step(self) -> None:
        """Bring the queue up to the org's now: one export at a time, in order, each
        `processing_seconds` long from when the one before it finished."""
        now = self.org.clock.now()
        took = dt.timedelta(seconds=self.limits.processing_seconds)
        free: dt.datetime | None = None  # when the export before finished
        for task in sorted(self._tasks.values(), key=lambda t: t.id):
            if task.state == "COMPLETE":
                free = task.completed
                continue
            begin = max(task.requested, free) if free is not None else task.requested
            if begin > now:
                return
            task.state, task.started = "PROCESSING", begin
            if begin + took > now:
                return
            task.path = self.writer.write(task.spec, self.folder,
                                          f"{file_stem(task.spec.name)}-{task.id}")
            task.state, task.completed = "COMPLETE", begin + took
            free = task.completed

    def render(self, task: Task, req: Request) -> dict[str, object]:
        """ActionResponseWithSingleResultURI; a fresh download URL once complete."""
        started = task.started or task.requested
        body: dict[str, object] = {
            "status": task.state, "requestedAt": iso_ms(task.requested),
            "startedAt": iso_ms(started), "completedAt": iso_ms(task.completed or started),
            "links": {}}
        if task.state == "COMPLETE" and task.path is not None:
            token = secrets.token_urlsafe(24)
            expires = self.org.clock.now() + dt.timedelta(seconds=self.limits.url_seconds)
            self._urls[token] = (task.id, expires)
            body["result"] = f"{origin(req)}{DOWNLOADS}/{token}/{task.path.name}"
        return body

    def download(self, req: Request) -> Response:
        """The file behind a download URL; no token needed, 403 once the URL expired."""
        with self._lock:
            found = self._urls.get(req.params["token"])
            task = self._tasks.get(found[0]) if found else None
        path = task.path if task else None
        if found is None or path is None or path.name != req.params["file"] \
                or self.org.clock.now() >= found[1]:
            return Response(403, EXPIRED, {"Content-Type": "application/xml"})
        kind = "application/zip" if path.suffix == ".zip" else "text/csv; charset=UTF-8"
        return Response(200, path.read_bytes(), {
            "Content-Type": kind, "Content-Disposition": f'attachment; filename="{path.name}"'})


def origin(req: Request) -> str:
    """https://host:port of the request (status links and download URLs are absolute)."""
    return f"https://{req.headers.get('host', '127.0.0.1')}"
