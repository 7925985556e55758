"""The HTTPS server: threaded, keep-alive, TLS (certificates from `tls.make_tls`).

One thread per connection (clients keep connections alive, so threads are few), the
TLS handshake done in that thread so a slow client never stalls `accept`. Stopping
shuts down every open connection, so no thread outlives the sandbox.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import App
from .http import Request, Response, json_response

MAX_URI = 16_384  # Salesforce REST answers 414 above this many bytes of URI


class Handler(BaseHTTPRequestHandler):
    """Turns HTTP/1.1 exchanges into `Request`s for the App."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small answers must not wait for delayed ACKs
    server: TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox reports through its stats, not stderr."""

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
            self.close_connection = True

    def _any(self) -> None:
        if len(self.path) > MAX_URI:
            self.send_bytes(self.server.app_uri_too_long())
            return
        req = Request(self.command, self.path,
                      {k.lower(): v for k, v in self.headers.items()}, self.read_body())
        resp = self.server.app.dispatch(req)
        if resp.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_bytes(resp)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _any

    def read_body(self) -> bytes:
        """The request body (Content-Length or chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_bytes(self, resp: Response) -> None:
        """Write a Response in one write (status, headers, body): no extra round trip.
        A surface that keeps an org clock sets `Date` itself; else it is the wall clock."""
        reason = self.responses.get(resp.status, ("",))[0]
        headers = {"Date": self.date_time_string(), **resp.headers}
        lines = [f"{self.protocol_version} {resp.status} {reason}",
                 f"Date: {headers.pop('Date')}", "Server: crm-kpi-sandbox",
                 *(f"{k}: {v}" for k, v in headers.items()),
                 f"Content-Length: {len(resp.body)}"]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + resp.body)


class TLSServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that wraps each accepted socket in TLS in its own thread."""

    daemon_threads = False
    block_on_close = True
    request_queue_size = 128

    def __init__(self, port: int, app: App, ctx: ssl.SSLContext,
                 on_thread_end: Callable[[], None] | None = None) -> None:
        self.app, self.ctx, self.on_thread_end = app, ctx, on_thread_end
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Handler)

    def app_uri_too_long(self) -> Response:
        return json_response([{"message": f"The request URI exceeds {MAX_URI} bytes",
                               "errorCode": "URI_TOO_LONG"}], 414)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """TLS handshake in the connection's own thread, then serve it."""
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.shutdown_request(request)
            return
        with self._open_lock:
            self._open.add(tls)
        try:
            super().process_request_thread(tls, client_address)
        finally:
            with self._open_lock:
                self._open.discard(tls)
            if self.on_thread_end is not None:
                self.on_thread_end()

    def close_connections(self) -> None:
        """Cut every open connection so that idle keep-alive threads end now."""
        with self._open_lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
