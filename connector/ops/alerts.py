"""Alerts: a webhook (crm-kpi's JSON, Slack's or Teams' format) or an e-mail per
destination, for the events it wants.

A message names the run, the source and stage, the reason, what a person can do, and
the `crm-kpi problems` command that shows more; every text goes through secret
redaction. Delivery is bounded by `observability.alert_timeout_seconds` per destination;
an alert that cannot be delivered is logged by the caller and never changes the run's
outcome (`send_alerts` returns what failed rather than raising).
"""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import requests

from connector.errors import EXIT_CODES
from connector.ops.facts import RunFacts
from connector.ops.settings import Alert, Event, SmtpSettings
from connector.secrets import SecretRef, redact, register_secret

# What a person does, by exit code, when the reason itself does not say more.
_FIXES = {
    2: "fix the file and key the reason names, then run crm-kpi validate",
    3: "nothing if another run is going; crm-kpi status shows it",
    4: "nothing: the next run resumes where this one stopped; if it repeats, check the "
    "CRM's status and API limits",
    5: "the reason says what to change (a credential, a permission, the disk); the run "
    "after the change resumes",
    70: "report it with the crash file the reason names; the next run starts from the "
    "last checkpoint",
    143: "nothing if the scheduler stopped it on purpose; the next run resumes",
}


def events_of(facts: RunFacts) -> list[Event]:
    """The events a run raises, in a fixed order."""
    found: list[Event] = []
    if facts.exit_code >= 2:
        found.append("failure")
    elif facts.exit_code == 1:
        found.append("partial")
    if facts.excluded_over_threshold:
        found.append("excluded")
    if facts.stale_hours is not None:
        found.append("stale")
    return found


@dataclass(frozen=True)
class Message:
    """One alert, as a title and lines of text, and as fields for JSON."""

    title: str
    lines: list[str]
    fields: dict[str, Any]

    @property
    def text(self) -> str:
        """Title and lines as plain text."""
        return "\n".join([self.title, *self.lines])


def problems_command(facts: RunFacts) -> str:
    """The command that lists what the run set aside."""
    config = f" --config {facts.config_path}" if facts.config_path else ""
    return f"crm-kpi problems{config} --run {facts.run_id}"


def compose(facts: RunFacts, events: Sequence[Event]) -> Message:
    """The message of `events` about `facts`, secrets redacted."""
    meaning = next((e.meaning for e in EXIT_CODES if e.code == facts.exit_code), "")
    title = f"crm-kpi {facts.command} {facts.outcome.upper()} (exit {facts.exit_code}: {meaning})"
    source = _source_of(facts)
    lines = [f"run {facts.run_id}, events: {', '.join(events)}"]
    if source or facts.stage:
        lines.append(f"source: {source or 'all'} · stage: {facts.stage or 'whole run'}")
    if facts.reason:
        lines.append(f"reason: {facts.reason}")
    fix = facts.fix or _FIXES.get(facts.exit_code)
    lines += [f"left out: {item}" for item in facts.left_out]
    lines += [f"fix: {e.fix}" for e in facts.exclusions if facts.excluded_over_threshold]
    if fix and facts.exit_code >= 2:
        lines.append(f"fix: {fix}")
    if facts.stale_hours is not None:
        lines.append(f"stale: no successful run for {facts.stale_hours:.1f} hours")
    command = problems_command(facts)
    lines.append(f"more: {command} (and crm-kpi status)")
    fields = {
        "events": list(events), "run_id": facts.run_id, "outcome": facts.outcome,
        "exit_code": facts.exit_code, "source": source, "stage": facts.stage,
        "reason": facts.reason, "fix": fix, "left_out": facts.left_out,
        "exclusions": [{**asdict(e), "share": round(e.share, 4)} for e in facts.exclusions],
        "stale_hours": facts.stale_hours, "problems_command": command,
        "finished_at": dt.datetime.fromtimestamp(facts.finished_at, dt.UTC).isoformat(),
    }  # fmt: skip
    clean = json.loads(redact(json.dumps(fields)))
    return Message(redact(title), [redact(line) for line in lines], clean)


def _source_of(facts: RunFacts) -> str:
    stage = facts.stage or ""
    for prefix in ("pull ", "push "):
        if stage.startswith(prefix):
            return stage.removeprefix(prefix)
    return ""


def webhook_body(message: Message, fmt: str) -> dict[str, Any]:
    """The JSON body for a webhook in `fmt`: json, slack or teams."""
    if fmt == "slack":
        # An incoming webhook's `text` (shown in notifications) and one mrkdwn section;
        # both are parsed as mrkdwn, where &, < and > are control characters (Slack's
        # "Formatting text for app surfaces": escape them as HTML entities).
        body = "\n".join(slack_escape(line) for line in message.lines)
        return {"text": slack_escape(message.title), "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},
        ]}  # fmt: skip
    if fmt == "teams":
        # A Workflows webhook ("post to a channel when a webhook request is received")
        # takes an Adaptive Card as a message attachment.
        blocks = [{"type": "TextBlock", "text": message.title, "weight": "Bolder",
                   "wrap": True}]  # fmt: skip
        blocks += [{"type": "TextBlock", "text": line, "wrap": True} for line in message.lines]
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard", "version": "1.4", "body": blocks}  # fmt: skip
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
             "content": card}]}  # fmt: skip
    return {"title": message.title, "text": message.text, **message.fields}


def slack_escape(text: str) -> str:
    """`text` shown as written in Slack's mrkdwn: &, < and > as entities, nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send_webhook(alert: Alert, message: Message, timeout: float) -> None:
    """POST the message; raises on anything but a 2xx answer."""
    webhook = alert.webhook
    url = webhook.resolve("alerts: webhook") if isinstance(webhook, SecretRef) else str(webhook)
    register_secret(url)  # its path is often the token: never in a log line
    response = requests.post(url, json=webhook_body(message, alert.format), timeout=timeout,
                             allow_redirects=False)  # fmt: skip
    if not 200 <= response.status_code < 300:
        raise OSError(f"the webhook answered {response.status_code}")


def send_email(alert: Alert, smtp: SmtpSettings | None, message: Message) -> None:
    """Send the message as a plain-text e-mail through `smtp`."""
    if smtp is None:
        raise OSError("no smtp: section in the config to send e-mail alerts through")
    mail = EmailMessage()
    mail["Subject"], mail["From"] = message.title, smtp.sender
    mail["To"] = ", ".join(alert.email or [])
    # RFC 5322 wants both; smtplib adds neither, and some providers refuse mail without a
    # Message-ID.
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[1])
    mail.set_content(message.text + "\n")
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    client: smtplib.SMTP = (
        smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context)
        if smtp.ssl else smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    )  # fmt: skip
    with client:
        if smtp.starttls and not smtp.ssl:
            client.starttls(context=context)
        if smtp.user is not None and smtp.password is not None:
            client.login(smtp.user.resolve("smtp.user"), smtp.password.resolve("smtp.password"))
        client.send_message(mail)


def send_alerts(
    alerts: Sequence[Alert],
    smtp: SmtpSettings | None,
    facts: RunFacts,
    *,
    timeout: float,
    log: Callable[[str], None],
    only: Sequence[Event] | None = None,
) -> list[str]:
    """Send each destination the events it wants (of `only`, when given); a line per
    delivery is logged. The destinations that could not be reached, each with why
    (empty when all were)."""
    raised = [e for e in events_of(facts) if only is None or e in only]
    failed: list[str] = []
    for alert in alerts:
        wanted = [event for event in raised if event in alert.on]
        if not wanted:
            continue
        message = compose(facts, wanted)
        try:
            if alert.email is not None:
                send_email(alert, smtp, message)
            else:
                send_webhook(alert, message, timeout)
        except Exception as exc:  # any failure to deliver is reported, never raised
            why = redact(f"{type(exc).__name__}: {exc}")
            failed.append(f"{alert.name}: {why}")
            log(f"alert ({', '.join(wanted)}) to {alert.name} could not be delivered: {why}")
            continue
        log(f"alert ({', '.join(wanted)}) sent to {alert.name}")
    return failed
