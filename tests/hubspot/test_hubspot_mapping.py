"""The mapping file and the record → row logic, without HTTP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from connector.crms.config import shipped_mapping
from connector.crms.hubspot.api import split_properties
from connector.crms.hubspot.mapping import Stream, load_mapping
from connector.crms.hubspot.records import StageMeta, derivation, raw_fields, raw_rows
from connector.errors import ConfigError
from connector.store import ParseOptions, Store
from connector.store.derive import derive
from connector.store.raw import raw_stream, upsert_raw

PIPELINES: list[dict[str, Any]] = [
    {
        "id": "default",
        "stages": [
            {
                "id": "s1",
                "label": "Closed Won",
                "metadata": {"isClosed": "false", "probability": "0.2"},
            },
            {
                "id": "s2",
                "label": "Negotiation",
                "metadata": {"isClosed": "true", "probability": "1.0"},
            },
            {
                "id": "s3",
                "label": "Anything",
                "metadata": {"isClosed": "true", "probability": "0.0"},
            },
        ],
    },
    {
        "id": "other",
        "stages": [{"id": "x1", "metadata": {"isClosed": "true", "probability": "1.0"}}],
    },
]


def _deals_stream(**changes: Any) -> Stream:
    mapping = load_mapping(shipped_mapping("hubspot.yaml"))
    stream = next(s for s in mapping.streams if s.entity == "opportunities")
    return stream.model_copy(update=changes)


def _deal(i: str, stage: str, **props: str) -> dict[str, Any]:
    created = {"createdate": "2024-01-02T10:00:00Z", "closedate": "2024-03-31T00:00:00Z"}
    return {"id": i, "properties": {"dealstage": stage, "pipeline": "default", **created,
                                    **props}}  # fmt: skip


def derived(
    stream: Stream, records: list[dict[str, Any]], stages: StageMeta,
    links: dict[str, dict[str, list[str]]] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The records as the store derives them from their raw rows (live ones, by id)."""
    with Store(":memory:") as store:
        raw = raw_stream(store, source="hs", stream=stream.key, entity=stream.entity,
                         key="hs_object_id", cursor=stream.cursor, fields=raw_fields(stream))
        upsert_raw(store, raw, raw_fields(stream), raw_rows(stream, records, links or {}))
        derive(store, raw, derivation(stream, stages, {}), ParseOptions())
        rows = store.con.execute(f"SELECT * FROM {stream.entity} WHERE NOT is_deleted "
                                 "ORDER BY id")  # fmt: skip
        names = [d[0] for d in rows.description]
        return [dict(zip(names, row, strict=True)) for row in rows.fetchall()]


def test_the_shipped_mapping_is_valid() -> None:
    mapping = load_mapping(shipped_mapping("hubspot.yaml"))
    assert {s.entity for s in mapping.streams} >= {
        "opportunities",
        "leads",
        "accounts",
        "line_items",
        "activities",
        "survey_responses",
    }


def test_won_and_lost_come_from_stage_metadata_not_labels() -> None:
    stream = _deals_stream()
    stages = StageMeta.from_pipelines(PIPELINES, [])
    records = [_deal("1", "s1"), _deal("2", "s2"), _deal("3", "s3")]
    flags = [(r["is_closed"], r["is_won"]) for r in derived(stream, records, stages)]
    assert flags == [(False, False), (True, True), (True, False)]


def test_unknown_stages_fall_back_to_the_mapped_flags() -> None:
    stream = _deals_stream()
    record = _deal("9", "closedlegacy", hs_is_closed="true", hs_is_closed_won="false")
    (row,) = derived(stream, [record], StageMeta.from_pipelines(PIPELINES, []))
    assert (row["is_closed"], row["is_won"]) == (True, False)


def test_pipelines_outside_the_mapping_are_excluded() -> None:
    stream = _deals_stream()
    assert stream.deal_stages is not None
    cfg = stream.deal_stages.model_copy(update={"pipelines": ["default"]})
    stream = stream.model_copy(update={"deal_stages": cfg})
    records = [
        _deal("1", "s2"),
        {"id": "2", "properties": {"dealstage": "x1", "pipeline": "other",
                                   "createdate": "2024-01-02T10:00:00Z"}},
    ]
    rows = derived(stream, records, StageMeta.from_pipelines(PIPELINES, ["default"]))
    assert [r["id"] for r in rows] == ["1"]


def test_associations_take_the_lowest_id_and_dates_drop_midnight_utc() -> None:
    stream = _deals_stream()
    record = _deal(
        "5", "s2", closedate="2024-03-31T00:00:00.000Z", createdate="2024-01-02T10:00:00Z"
    )
    links = {"companies": {"5": ["300", "29", "1000"]}}
    (row,) = derived(stream, [record], StageMeta.from_pipelines(PIPELINES, []), links)
    assert row["account_id"] == "29"
    assert row["close_date"] == dt.date(2024, 3, 31)
    assert row["created_at"] == dt.datetime(2024, 1, 2, 10)
    assert row["contact_method"] == "other"  # the mapped default for an empty lead source


def test_mapping_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "hubspot.yaml"
    path.write_text(
        "streams:\n"
        "  - entity: opportunities\n"
        "    object: deals\n"
        "    properties:\n"
        "      amountt: amount\n"
        "  - entity: planets\n"
        "    object: x\n"
    )
    with pytest.raises(ConfigError) as info:
        load_mapping(path)
    text = str(info.value)
    assert "hubspot.yaml:5 streams[0].fields.amountt: amountt is not a field" in text
    assert "hubspot.yaml:6 streams[1].entity" in text


def test_long_property_lists_are_split_under_the_url_budget() -> None:
    props = ["hs_object_id"] + [f"custom_property_number_{i:04d}" for i in range(400)]
    head, rest = split_properties(props, 2000)
    assert head[0] == "hs_object_id"
    assert sorted(head + rest) == sorted(props)
    assert sum(len("&properties=") + len(p) for p in head) + 200 <= 2000
    assert split_properties(props[:5], 2000) == (props[:5], [])


def test_costs_and_rates_come_from_mapping_rows_or_csv(tmp_path: Path) -> None:
    from connector.crms.hubspot.extras import load_tables
    from connector.store import ParseOptions, Store

    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate_to_reporting,valid_from\nEUR,1.08,2024-01-01\n")
    (tmp_path / "hubspot.yaml").write_text(
        "streams:\n  - entity: accounts\n    object: companies\n"
        "files:\n  exchange_rates: rates.csv\n"
        "rows:\n  costs:\n"
        "    - {period_start: 2024-01-01, period_end: 2024-01-31, amount: 5000,\n"
        "       category: marketing, channel: Webinar}\n"
    )
    mapping = load_mapping(tmp_path / "hubspot.yaml")
    with Store(":memory:") as store:
        results = load_tables(store, "hs", mapping, ParseOptions())
        assert sorted((r.entity, r.loaded) for r in results) == [
            ("costs", 1),
            ("exchange_rates", 1),
        ]
        row = store.con.execute("SELECT amount, category FROM costs").fetchall()
        assert row == [(5000.0, "marketing")]


def test_a_company_property_a_stream_reads_is_never_written(tmp_path: Path) -> None:
    text = shipped_mapping("hubspot.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    revenue_this_year: crm_kpi_revenue_this_year",
        "    revenue_this_year: {property: territory, take_over: true}",
    )
    path = tmp_path / "hubspot.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    revenue_this_year: {property: territory, take_over: true}")
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    assert err.value.messages == [
        f"hubspot.yaml:{line + 1} push.account_fields.revenue_this_year: the writer never "
        "writes a property it reads: companies.territory is read by streams[2] (accounts from "
        "companies)"
    ]
