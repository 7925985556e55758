"""A Sandbox per test module and cached hubspot-api-client API objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hubspot import HubSpot

from crm_sandbox import Sandbox
from crm_sandbox.hubspot import HubSpotSurface


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
    """A started Sandbox, its HubSpot surface, and client factories."""

    def __init__(self, scale: float) -> None:
        self.sb = Sandbox(seed=7, scale=scale).start()
        self.faults, self.org = self.sb.faults, self.sb.org
        self.hs: HubSpotSurface = self.sb.hubspot
        self.info: dict[str, Any] = {**self.sb.info["hubspot"], "ca_file": self.sb.info["ca_file"]}
        self._clients: list[Clients] = []

    def clients(self, token: str | None = None, retry: Any = None) -> Clients:
        c = Clients(self.info["host"], self.info["ca_file"], token or self.info["access_token"],
                    retry)
        self._clients.append(c)
        return c

    def stats(self) -> dict[str, Any]:
        return self.sb.stats()

    def advance(self, delta: dt.timedelta) -> None:
        self.org.clock.advance(delta)

    def stop(self) -> None:
        for c in self._clients:
            c.close()
        self.sb.stop()


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
