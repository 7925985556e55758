"""A HubSpot sandbox per test module and cached hubspot-api-client API objects."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubspot import HubSpot

from connector.sandbox.app import App
from connector.sandbox.clock import Clock
from connector.sandbox.faults import FaultSet
from connector.sandbox.hubspot import HubSpotSurface
from connector.sandbox.org import Org
from connector.sandbox.server import TLSServer, make_tls
from connector.sandbox.stats import Stats


class Clients:
    """hubspot-api-client API objects, cached: each attribute access builds a new pool."""

    def __init__(self, host: str, ca_file: str, token: str | None = None,
                 retry: Any = None) -> None:
        self.hs = HubSpot(access_token=token, host=host, ssl_ca_cert=ca_file, retry=retry)
        self._apis: dict[str, Any] = {}

    def api(self, path: str) -> Any:
        """`api("crm.deals.basic_api")` → the cached API object."""
        if path not in self._apis:
            obj: Any = self.hs
            for part in path.split("."):
                obj = getattr(obj, part)
            self._apis[path] = obj
        return self._apis[path]

    def close(self) -> None:
        for api in self._apis.values():
            api.api_client.rest_client.pool_manager.clear()
            api.api_client.close()
        self._apis.clear()


class Box:
    """The org served by the HubSpot surface alone, with client factories."""

    def __init__(self, scale: float) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="crm-kpi-hubspot-"))
        self.org = Org(self._dir / "org.duckdb", 7, scale, Clock(), "512MB")
        ctx, ca_file = make_tls(self._dir)
        self.faults, self._stats = FaultSet(7), Stats()
        self.app = App(self.faults, self._stats)
        self.server = TLSServer(0, self.app, ctx, self.org.release_cursor)
        self.hs = HubSpotSurface(self.org, self.faults)
        self.app.mount(self.hs)
        host = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.info: dict[str, Any] = {**self.hs.info(host), "ca_file": str(ca_file)}
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()
        self._clients: list[Clients] = []

    def clients(self, token: str | None = None, retry: Any = None) -> Clients:
        c = Clients(self.info["host"], self.info["ca_file"], token or self.info["access_token"],
                    retry)
        self._clients.append(c)
        return c

    def stats(self) -> dict[str, Any]:
        return self._stats.snapshot()

    def advance(self, delta: dt.timedelta) -> None:
        self.org.clock.advance(delta)

    def stop(self) -> None:
        for c in self._clients:
            c.close()
        self.server.shutdown()
        self._thread.join()
        self.server.close_connections()
        self.server.server_close()
        self.app.close()
        self.org.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def start_box(scale: float) -> Iterator[Box]:
    box = Box(scale)
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Box]:
    """Overrides the Salesforce-only fixture of tests/sandbox: 250 deals, 1,000 contacts."""
    yield from start_box(0.05)


@pytest.fixture(scope="module")
def cli(sandbox: Box) -> Clients:
    """Clients with the private-app token (every scope)."""
    return sandbox.clients()


@pytest.fixture(autouse=True)
def default_limits(sandbox: Box) -> Iterator[None]:
    """Every test starts from HubSpot's default limits with empty windows, no faults."""
    sandbox.hs.limits.configure(per_ten_seconds=None, search_per_second=None)
    sandbox.hs.limits.reset()
    yield
    sandbox.faults.clear()
    sandbox.hs.limits.reset()


def status_of(exc: BaseException) -> int:
    return int(getattr(exc, "status", 0))
