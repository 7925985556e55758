"""`Sandbox`: the org, its surfaces and the HTTPS server, started and stopped as one."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from .app import App
from .clock import Clock
from .faults import Fault, FaultSet
from .hubspot import HubSpotSurface
from .hubspot.tier import Tier, tier_of
from .org import Org
from .salesforce.access_tables import SYSTEM_ADMINISTRATOR
from .salesforce.surface import SalesforceSurface
from .salesforce.usage import DEFAULT_DAILY_LIMIT
from .server import TLSServer
from .stats import Stats
from .tls import make_tls, require


class Sandbox:
    """A loopback HTTPS CRM emulator serving one generated org.

    `with Sandbox(seed=7, scale=1.0) as sb:` starts it on a free port; `sb.info` holds
    what clients need to connect; `sb.faults`, `sb.stats()`, `sb.org` drive and observe it.
    `integration_profile` is the Salesforce profile of the integration user whose session
    `info` hands out first (System Administrator; e.g. "Minimum Access - API Only
    Integrations" to meet what a least-privilege integration user meets).
    """

    def __init__(self, seed: int = 7, scale: float = 1.0, port: int = 0,
                 faults: list[Fault | dict[str, Any] | str] | None = None,
                 daily_api_limit: int = DEFAULT_DAILY_LIMIT, now: dt.datetime | None = None,
                 memory_limit: str = "512MB", hubspot_daily_remaining: int | None = None,
                 hubspot_tier: str = "enterprise",
                 integration_profile: str = SYSTEM_ADMINISTRATOR) -> None:
        self.seed, self.scale, self.port = seed, scale, port
        self.hubspot_tier: Tier = tier_of(hubspot_tier)
        self.integration_profile = integration_profile
        self.hubspot_daily_remaining = hubspot_daily_remaining
        self.daily_api_limit, self.memory_limit = daily_api_limit, memory_limit
        self.clock = Clock(now)
        self.faults = FaultSet(seed, faults)
        self._stats = Stats()
        self._dir: Path | None = None
        self._server: TLSServer | None = None
        self._thread: threading.Thread | None = None
        self.info: dict[str, Any] = {}

    def start(self) -> Sandbox:
        """Make the certificates, generate the org, then serve; returns self once ready.

        Raises `tls.MissingDependency` (before any work) when the `sandbox` extra is absent.
        """
        require("graphql", "graphql-core")
        self._dir = Path(tempfile.mkdtemp(prefix="crm-kpi-sandbox-"))
        try:
            ctx, ca_file = make_tls(self._dir)
            self.org = Org(self._dir / "org.duckdb", self.seed, self.scale, self.clock,
                           self.memory_limit)
            self.app = App(self.faults, self._stats)
            self._server = TLSServer(self.port, self.app, ctx, self.org.release_cursor)
            base = f"https://127.0.0.1:{self._server.server_address[1]}"
            self.salesforce = SalesforceSurface(self.org, self.faults, self._dir, base,
                                                self.daily_api_limit, self.integration_profile)
            self.app.mount(self.salesforce)
            self.hubspot = HubSpotSurface(self.org, self.faults, tier=self.hubspot_tier)
            if self.hubspot_daily_remaining is not None:
                self.hubspot.limits.set_daily_remaining(self.hubspot_daily_remaining)
            self.app.mount(self.hubspot)
        except BaseException:
            self.stop()
            raise
        self.info = self._info(ca_file, base)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, name="sandbox-server")
        self._thread.start()
        return self

    def _info(self, ca_file: Path, base: str) -> dict[str, Any]:
        return {"ca_file": str(ca_file), "base_url": base, "salesforce": self.salesforce.info(),
                "hubspot": self.hubspot.info(base)}

    def stop(self) -> None:
        """Stop serving, close every connection, thread and file; remove the temp dir."""
        self.faults.release_all()  # a held request's thread would keep the server open
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if hasattr(self, "app"):
            self.app.close()
        if hasattr(self, "org"):
            self.org.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def stats(self) -> dict[str, Any]:
        """Calls served per endpoint, per status, and faults fired."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
