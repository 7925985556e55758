"""What a run tells people: progress on a terminal, plain lines under cron, JSON for
log collectors. Every line goes through secret redaction first."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from connector.secrets import redact

LogFormat = Literal["auto", "plain", "json"]


class RunLog:
    """Stage-by-stage reporting for `crm-kpi run`, in the format the caller wants."""

    def __init__(self, fmt: LogFormat = "auto", stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        interactive = self.stream.isatty()
        self.fmt: LogFormat = ("plain" if not interactive else "auto") if fmt == "auto" else fmt
        self.console = Console(file=self.stream, highlight=False)
        self._progress: Progress | None = None
        self._task: Any = None
        self.run_id: str | None = None

    def start(self, run_id: str, stages: int) -> None:
        """A run begins; on a terminal, show a progress bar over its stages."""
        self.run_id = run_id
        if self.fmt == "auto":
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                console=self.console, transient=True,
            )  # fmt: skip
            self._progress.start()
            self._task = self._progress.add_task(f"run {run_id}", total=stages)
        self.event("run", f"run {run_id} started")

    def advance(self) -> None:
        """One stage finished."""
        if self._progress is not None:
            self._progress.advance(self._task)

    def event(self, stage: str, message: str, **fields: Any) -> None:
        """One thing worth telling: a stage began or ended, a source made progress."""
        message = redact(message)
        if self.fmt == "json":
            record = {
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "run_id": self.run_id, "stage": stage, "message": message,
                **fields,
            }  # fmt: skip
            # Values are redacted one by one, so a short secret can never break the keys.
            clean = {k: _clean(v) for k, v in record.items()}
            self.stream.write(json.dumps(clean, default=lambda o: redact(str(o))) + "\n")
            self.stream.flush()
        elif self._progress is not None:
            self._progress.update(self._task, description=f"{stage}: {message}")
            if fields.get("important"):
                self._progress.console.print(f"{stage}: {message}")
        else:
            stamp = dt.datetime.now().strftime("%H:%M:%S")
            self.stream.write(f"{stamp} {stage}: {message}\n")
            self.stream.flush()

    def finish(self) -> None:
        """Stop the progress display."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def print(self, text: str, **fields: Any) -> None:
        """A block of text for people (the closing summary); JSON mode prints it as one
        event instead, with `fields` (counts, exit code) for log pipelines to read."""
        if self.fmt == "json":
            self.event("summary", text, event="summary", **fields)
        elif self.fmt == "plain":
            # Log collectors and greps read whole lines: never wrap them.
            self.stream.write(redact(text) + "\n")
            self.stream.flush()
        else:
            self.console.print(redact(text), markup=False, soft_wrap=True)


def _clean(value: Any) -> Any:
    """`value` with every string in it redacted, keys kept (a short secret that is also a
    key name must not break the JSON)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
