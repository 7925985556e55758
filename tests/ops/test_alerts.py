"""Alerts: a webhook (JSON, Slack, Teams) and e-mail over STARTTLS, for the events each
destination wants; never a secret; an undeliverable alert never changes the outcome."""

from __future__ import annotations

import io
import socket
import time
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import yaml

from connector.cli import main
from connector.config import load_config
from connector.errors import ConfigError
from connector.ops.alerts import compose, send_alerts
from connector.ops.facts import RunFacts
from connector.run import run_nightly
from connector.runlog import RunLog
from connector.secrets import register_secret

from .conftest import SMTP_PASSWORD, SMTP_USER, Mailbox, Receiver, write_config


def broken_run(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the pull of the config's exports fail as a CRM would: a limit (exit 4)."""
    from connector.errors import LimitExceededError

    def refuse(*_: object, **__: object) -> None:
        raise LimitExceededError("the CRM's daily API allowance is spent (token tok-123-secret)")

    register_secret("tok-123-secret")
    from connector.crms.files.read import FilesSource

    monkeypatch.setattr(FilesSource, "pull", refuse)


def test_a_failed_run_posts_each_format_naming_source_stage_reason_fix_and_problems(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    alerts = [{"webhook": receiver.url, "format": fmt, "on": ["failure"]}
              for fmt in ("json", "slack", "teams")]  # fmt: skip
    config = write_config(tmp_path, yaml.safe_dump({"alerts": alerts}))
    broken_run(config, monkeypatch)
    assert main(["run", "--config", str(config), "--log-format", "plain"]) == 4
    err = capsys.readouterr().err
    assert err.count("alert (failure) sent to webhook 127.0.0.1") == 3
    plain, slack, teams = receiver.bodies
    assert plain["events"] == ["failure"]
    assert plain["exit_code"] == 4
    assert (plain["source"], plain["stage"]) == ("exports", "pull exports")
    assert "daily API allowance is spent" in plain["reason"]
    assert "the next run resumes" in plain["fix"]
    command = f"crm-kpi problems --config {config} --run {plain['run_id']}"
    assert plain["problems_command"] == command
    assert slack["text"].startswith("crm-kpi run FAILED (exit 4: try again later")
    assert "stage: pull exports" in slack["blocks"][1]["text"]["text"]
    card = teams["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert any("crm-kpi problems" in block["text"] for block in card["body"])
    everything = str(receiver.bodies) + err
    assert "tok-123-secret" not in everything
    assert "secret-path" not in err  # a webhook's path is its token: logged by host only


def test_a_destination_gets_only_the_events_it_wants(
    tmp_path: Path, receiver: Receiver
) -> None:
    config = write_config(tmp_path, yaml.safe_dump({"alerts": [
        {"webhook": receiver.url, "on": ["failure"]}]}))  # fmt: skip
    summary = run_nightly(load_config(config), RunLog("plain", io.StringIO()))
    assert summary.exit_code == 0
    assert receiver.bodies == []


def test_an_undeliverable_alert_is_logged_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A port nobody listens on, and a server that accepts but never answers.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused = closed.getsockname()[1]
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        config = write_config(tmp_path, yaml.safe_dump({
            "alerts": [{"webhook": f"http://127.0.0.1:{refused}/x", "on": ["failure"]},
                       {"webhook": f"http://127.0.0.1:{silent.getsockname()[1]}/x",
                        "on": ["failure"]}],
            "observability": {"alert_timeout_seconds": 0.5}}))  # fmt: skip
        broken_run(config, monkeypatch)
        out = io.StringIO()
        started = time.monotonic()
        with pytest.raises(Exception, match="daily API allowance"):
            run_nightly(load_config(config), RunLog("plain", out))
        took = time.monotonic() - started
    finally:
        silent.close()
    said = out.getvalue()
    assert said.count("could not be delivered") == 2
    assert "ConnectionError" in said
    assert "Timeout" in said
    assert took < 5  # each delivery is bounded by alert_timeout_seconds


def test_an_email_alert_goes_over_starttls_with_credentials_from_the_environment(
    tmp_path: Path, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_USER", SMTP_USER)
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    config = write_config(tmp_path, yaml.safe_dump({
        "alerts": [{"email": "ops@example.com", "on": ["failure"]}],
        "smtp": {"host": "127.0.0.1", "port": mailbox.port, "user": "${SMTP_USER}",
                 "password": "${SMTP_PASSWORD}", "sender": "crm-kpi@example.com",
                 "ca_file": str(mailbox.ca_file)}}))  # fmt: skip
    broken_run(config, monkeypatch)
    out = io.StringIO()
    with pytest.raises(Exception, match="allowance"):
        run_nightly(load_config(config), RunLog("plain", out))
    assert "alert (failure) sent to e-mail to ops@example.com" in out.getvalue()
    (envelope,) = mailbox.messages
    assert mailbox.tls_used == [True]
    assert mailbox.logins == [SMTP_USER]
    assert envelope.rcpt_tos == ["ops@example.com"]
    mail = message_from_bytes(envelope.original_content or b"")
    assert str(mail["Subject"]).startswith("crm-kpi run FAILED (exit 4")
    assert str(mail["Message-ID"]).endswith("@example.com>")
    assert parsedate_to_datetime(str(mail["Date"])).tzinfo is not None
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "stage: pull exports" in body
    assert "crm-kpi problems --config" in body
    assert SMTP_PASSWORD not in body
    assert "tok-123-secret" not in body


def test_an_email_alert_without_smtp_settings_is_a_config_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "alerts:\n  - {email: ops@example.com, on: [failure]}\n")
    with pytest.raises(ConfigError, match=r"config.yaml:\d+ alerts\[0\].email: an e-mail alert "
                       "needs the smtp: section"):  # fmt: skip
        load_config(config)


@pytest.mark.parametrize(("alert", "message"), [
    ({"webhook": "hooks.example/x"}, "not an http(s) URL"),
    ({"webhook": "https://h.example/x", "email": "a@b.example"}, "one destination"),
    ({"email": "not-an-address"}, "not an e-mail address"),
    ({"webhook": "https://h.example/x", "on": ["sometimes"]}, "alerts[0].on[0]"),
])  # fmt: skip
def test_a_wrong_alert_is_named_at_its_line(tmp_path: Path, alert: dict[str, object],
                                            message: str) -> None:  # fmt: skip
    smtp = {"smtp": {"host": "localhost"}}
    config = write_config(tmp_path, yaml.safe_dump({"alerts": [alert], **smtp}))
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert message in str(err.value)
    assert "config.yaml:" in str(err.value)


def test_a_stale_and_excluded_message_says_what_was_left_out_and_the_fix() -> None:
    from connector.ops.facts import Exclusion

    excluded = Exclusion("hubspot", "won deals", 50, 176,
                         "left out of revenue and every money KPI: no exchange rate for "
                         "CAD, EUR, GBP, JPY", "add the missing exchange rates")  # fmt: skip
    facts = RunFacts(run_id="r1", command="run", outcome="partial", exit_code=1,
                     started_at=0, finished_at=60, config_path="/etc/crm-kpi/config.yaml",
                     left_out=[excluded.sentence()], exclusions=[excluded],
                     excluded_over_threshold=True, stale_hours=30.0)  # fmt: skip
    message = compose(facts, ["partial", "excluded", "stale"])
    assert "left out: 50 of 176 won deals of hubspot (28%) left out of revenue" in message.text
    assert "fix: add the missing exchange rates" in message.text
    assert "stale: no successful run for 30.0 hours" in message.text
    assert message.fields["exclusions"][0]["share"] == pytest.approx(0.2841, abs=1e-4)
    sent: list[str] = []
    assert send_alerts([], None, facts, timeout=1, log=sent.append) == []


def test_slack_bodies_escape_mrkdwn_control_characters_and_teams_is_a_workflows_card() -> None:
    """Slack reads &, < and > in `text` and mrkdwn as markup (<url|link>, <!channel>):
    a reason holding them is shown as written; the other formats carry it unchanged."""
    from connector.ops.alerts import webhook_body

    facts = RunFacts(run_id="r1", command="run", outcome="failed", exit_code=4,
                     started_at=0.0, finished_at=1.0, stage="pull crm",
                     reason="the CRM answered <!channel> & <html>")  # fmt: skip
    message = compose(facts, ["failure"])
    slack = webhook_body(message, "slack")
    section = slack["blocks"][1]["text"]["text"]
    assert "reason: the CRM answered &lt;!channel&gt; &amp; &lt;html&gt;" in section
    assert "<" not in section + slack["text"]
    assert slack["blocks"][0]["text"]["type"] == "plain_text"  # shown as is, not parsed
    teams = webhook_body(message, "teams")
    (attachment,) = teams["attachments"]
    assert (teams["type"], attachment["contentType"], attachment["contentUrl"]) == (
        "message", "application/vnd.microsoft.card.adaptive", None)  # fmt: skip
    assert any("<!channel> & <html>" in b["text"] for b in attachment["content"]["body"])
    assert webhook_body(message, "json")["reason"] == "the CRM answered <!channel> & <html>"


def test_an_email_alert_goes_over_implicit_tls_on_port_465_style_servers(tmp_path: Path) -> None:
    """`ssl: true`: TLS from the first byte (SMTPS), the server's certificate checked
    against `ca_file`; an untrusted certificate is a delivery failure, said and returned."""
    import ssl

    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session

    from connector.ops.settings import Alert, SmtpSettings

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    got: list[Envelope] = []

    class Handler:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            got.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        facts = RunFacts(run_id="r1", command="run", outcome="failed", exit_code=5,
                         started_at=0.0, finished_at=1.0, reason="token revoked")  # fmt: skip
        alert = Alert.model_validate({"email": "ops@example.com", "on": ["failure"]})
        smtp = SmtpSettings.model_validate({"host": "127.0.0.1", "port": port, "ssl": True,
                                            "ca_file": str(tmp_path / "ca.pem")})  # fmt: skip
        said: list[str] = []
        assert send_alerts([alert], smtp, facts, timeout=5, log=said.append) == []
        assert len(got) == 1
        untrusted = smtp.model_copy(update={"ca_file": None})
        (failed,) = send_alerts([alert], untrusted, facts, timeout=5, log=said.append)
        assert "CERTIFICATE_VERIFY_FAILED" in failed
        assert len(got) == 1
    finally:
        controller.stop()
