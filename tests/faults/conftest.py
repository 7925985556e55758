"""The clean reference run of each CRM, computed once: what every faulted case must
converge to."""

from __future__ import annotations

from typing import Any

import pytest
from fault_crms import crm_state, org, unread, write_config

from connector.cli import main


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Per CRM, the CRM state after setup and one clean run (no fault anywhere)."""
    states: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as mp:
        for crm in ("salesforce", "hubspot"):
            with org(crm, mp) as sb:
                config = write_config(crm, sb, tmp_path_factory.mktemp(f"clean-{crm}"))
                assert main(["setup", crm, "--config", str(config)]) == 0
                assert main(["run", "--config", str(config)]) == 0
                assert unread(config, crm, sb) == {}
                states[crm] = crm_state(sb)
                assert sb.stats()["faults"] == {}
    return states
