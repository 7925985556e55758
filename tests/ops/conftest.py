"""Running crm-kpi as a service: a files config, a webhook receiver and an SMTP server
(STARTTLS with a trustme certificate, login required), all on loopback."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

OPPORTUNITIES = (
    "id,owner_id,created_at,close_date,is_closed,is_won,amount,currency\n"
    + "".join(f"o{i},u1,2025-01-0{1 + i % 5},2025-01-2{i % 8},true,true,100,USD\n"
              for i in range(6))
)  # fmt: skip


def write_exports(folder: Path, extra_opportunities: str = "") -> None:
    """Sample exports: one rep, six won USD deals, plus `extra_opportunities` lines."""
    folder.mkdir(exist_ok=True)
    (folder / "owners.csv").write_text("id,name,team,email\nu1,Ann Lee,T1,ann@example.com\n")
    (folder / "opportunities.csv").write_text(OPPORTUNITIES + extra_opportunities)


def write_config(folder: Path, extra: str = "") -> Path:
    """A files config with its store beside it, and `extra` YAML appended."""
    folder.mkdir(parents=True, exist_ok=True)
    write_exports(folder / "exports")
    path = folder / "config.yaml"
    path.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "store: {path: store.duckdb, lock_lease_seconds: 30}\n"
        "sources:\n  - {name: exports, type: files, path: exports}\n" + extra
    )
    return path


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@dataclass
class Receiver:
    """A webhook endpoint on loopback that keeps every JSON body posted to it."""

    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            found.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(found.status)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/B000/secret-path"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """What the loopback SMTP server received."""

    port: int
    ca_file: Path
    messages: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls_used: list[bool] = field(default_factory=list)


SMTP_USER, SMTP_PASSWORD = "alerts", "smtp-pass-9f3k2"


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "smtp-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox(port, ca_file)

    class Handler:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            box.messages.append(envelope)
            box.tls_used.append(session.ssl is not None)
            return "250 OK"

    def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     data: object) -> AuthResult:  # fmt: skip
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(), SMTP_PASSWORD.encode())  # fmt: skip
        if ok:
            box.logins.append(SMTP_USER)
        return AuthResult(success=ok)

    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=context,
        require_starttls=True, authenticator=authenticate, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
