"""Helpers for the HubSpot tests: sandbox surfaces, source and app configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connector.config import Config
from connector.crms.hubspot.config import HubSpotConfig
from crm_sandbox import Sandbox

SCALE = 0.01
TOKEN_ENV = "CRM_KPI_TEST_HUBSPOT_TOKEN"


def hubspot_surface(sb: Sandbox) -> Any:
    """The sandbox's HubSpot surface (mounted here when the Sandbox does not mount it)."""
    for surface in sb.app.surfaces:
        if getattr(surface, "name", "") == "hubspot":
            return surface
    from crm_sandbox.hubspot.surface import HubSpotSurface

    surface = HubSpotSurface(sb.org, sb.faults)
    sb.app.mount(surface)
    return surface


def hubspot_info(sb: Sandbox) -> dict[str, Any]:
    surface = hubspot_surface(sb)
    info = sb.info.get("hubspot") or surface.info(sb.info["base_url"])
    return dict(info)


def unlimited(sb: Sandbox) -> None:
    """Switch the sandbox's rate limits off (tests that are not about limits run fast)."""
    hubspot_surface(sb).limits.configure(per_ten_seconds=None, search_per_second=None)


def source_config(sb: Sandbox, **changes: Any) -> HubSpotConfig:
    """A `type: hubspot` source for the sandbox; fast limits unless `limits` is given."""
    info = hubspot_info(sb)
    data: dict[str, Any] = {
        "name": "hs",
        "type": "hubspot",
        "host": info["host"],
        "ca_file": sb.info["ca_file"],
        "auth": {"method": "private_app", "access_token": "${" + TOKEN_ENV + "}"},
        "limits": {"requests_per_window": 10_000, "search_requests_per_second": 1_000},
        "http": {"initial_backoff_seconds": 0.05, "max_backoff_seconds": 2.0},
        "push": {"enabled": True},
        **changes,
    }
    return HubSpotConfig.model_validate(data)


def app_config(store_path: Path, sources: list[dict[str, Any]]) -> Config:
    return Config.model_validate(
        {
            "reporting": {"currency": "USD", "timezone": "UTC"},
            "store": {"path": str(store_path)},
            "sources": sources,
        }
    )
