"""A Salesforce listing over several REST pages meets a 2xx page that is no page (no
`done`, no `nextRecordsUrl`): it is fetched again, never taken for the end of the list."""

from __future__ import annotations

import pytest
from fault_crms import org, source

from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.mapping import load_mapping
from connector.crms.salesforce.read import SalesforceSource
from connector.store import Store

pytestmark = pytest.mark.e2e


def test_a_malformed_page_is_retried_and_every_record_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with org("salesforce", monkeypatch, scale=0.06) as sb:  # Tasks: 3 pages of 2,000
        data = source("salesforce", sb)
        data["pull"]["bulk_threshold"] = 100_000  # every stream over REST pages
        config = SalesforceConfig.model_validate(data)
        pulled = SalesforceSource("sf", config, load_mapping(config.mapping_path), "UTC")
        sb.faults.add({"kind": "record_error", "path": "/query/01g", "count": 1})
        with Store(":memory:") as store:
            pulled.pull(store)
            assert sb.stats()["faults"]["record_error"] == 1
            assert store.count("activities", source="sf") == sb.org.count("activities") > 4000
            assert sb.stats()["endpoints"]["salesforce.queryMore"] >= 3, "the page fetched again"
