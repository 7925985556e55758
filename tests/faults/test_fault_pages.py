"""A Salesforce listing over several REST pages meets a 2xx page that is no page (no
`done`, no `nextRecordsUrl`): it is fetched again, never taken for the end of the list; a
listing that falls short of its `totalSize` stops the run, and the next run reads it again."""

from __future__ import annotations

import pytest
from fault_crms import org, source

from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.mapping import load_mapping
from connector.crms.salesforce.read import SalesforceSource
from connector.errors import FatalError
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
            # the probes, the window of pages ahead, and the malformed page asked again
            assert sb.stats()["endpoints"]["salesforce.composite"] >= 4


def test_a_listing_short_of_its_total_size_stops_and_the_next_pull_reads_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with org("salesforce", monkeypatch, scale=0.06) as sb, Store(":memory:") as store:
        data = source("salesforce", sb)
        data["pull"]["bulk_threshold"] = 100_000
        config = SalesforceConfig.model_validate(data)
        mapping = load_mapping(config.mapping_path)
        sb.faults.add({"kind": "short_page", "path": "/query/01g", "count": 1})
        with pytest.raises(FatalError, match=r"Task: Salesforce served [\d,]+ of the [\d,]+ rec"):
            SalesforceSource("sf", config, mapping, "UTC").pull(store)
        assert sb.stats()["faults"]["short_page"] == 1
        assert store.count("activities", source="sf") < sb.org.count("activities")
        sb.faults.clear()
        SalesforceSource("sf", config, mapping, "UTC").pull(store)
        assert store.count("activities", source="sf") == sb.org.count("activities")
