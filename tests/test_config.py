"""config.yaml: what loads, and the exact message every kind of mistake gives."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from connector.config import Config, Target, load_config
from connector.crms.config import SourceConfig
from connector.crms.files.config import FilesConfig
from connector.crms.registry import CRMS
from connector.errors import ConfigError
from connector.kpis import HIGHER_IS_BETTER, KPI_KEYS
from connector.settings import target_range

REPO = Path(__file__).resolve().parent.parent

# 20 lines; text appended to it starts at line 21.
GOOD = """\
reporting:
  currency: USD
  timezone: Europe/Paris
  fiscal_year_start_month: 4
store:
  path: ./data/kpi.duckdb
sources:
  - name: exports
    type: files
    path: ./exports
    mapping: mappings/files.yaml
targets:
  - kpi: total_revenue
    period_type: month
    value: 250000
  - kpi: total_revenue
    period_type: month
    value: 90000
    scope_type: team
    scope_id: EMEA
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A config folder with the exports folder and mapping file GOOD points at."""
    (tmp_path / "exports").mkdir()
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "files.yaml").write_text("{}\n")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(folder: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(folder, text))
    return caught.value.messages


def test_good_config_loads_with_defaults(folder: Path) -> None:
    config = load_config(write(folder, GOOD))
    assert config.reporting.currency == "USD"
    assert config.reporting.fiscal_year_start_month == 4
    assert config.kpis.churn_basis == "start"
    assert config.kpis.target_rollup == {}
    assert config.kpis.clv_lifespan_years is None
    assert config.kpis.default_cogs_rate == 0.0
    [source] = config.sources
    assert isinstance(source, FilesConfig)
    assert source.name == "exports"
    assert [t.scope_type for t in config.targets] == ["company", "team"]
    assert config.targets[1].scope_id == "EMEA"


def test_relative_paths_resolve_against_the_config_folder(
    folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    config = load_config(write(folder, GOOD))
    base = folder.resolve()
    assert config.config_path == base / "config.yaml"
    assert config.base_dir == base
    assert config.store.path == base / "data" / "kpi.duckdb"
    source = config.sources[0]
    assert isinstance(source, FilesConfig)
    assert source.path == base / "exports"
    assert source.mapping == base / "mappings" / "files.yaml"


def test_default_store_path_is_next_to_the_config(folder: Path) -> None:
    config = load_config(write(folder, GOOD.replace("store:\n  path: ./data/kpi.duckdb\n", "")))
    assert config.store.path == folder.resolve() / "crm-kpi.duckdb"


def test_absolute_paths_stay_as_given(
    folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    exports = tmp_path_factory.mktemp("abs-exports").resolve()
    config = load_config(write(folder, GOOD.replace("./exports", str(exports))))
    assert isinstance(config.sources[0], FilesConfig)
    assert config.sources[0].path == exports


def test_example_config_is_valid(tmp_path: Path) -> None:
    shutil.copy(REPO / "config.example.yaml", tmp_path / "config.yaml")
    (tmp_path / "exports").mkdir()
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "files.yaml").write_text("{}\n")
    (tmp_path / "targets.csv").write_text("kpi,period_type,period,scope_type,scope,value\n")
    config = load_config(tmp_path / "config.yaml")
    assert {t.kpi for t in config.targets} <= set(KPI_KEYS)
    assert config.sources[0].name == "exports"
    assert config.targets_file == tmp_path / "targets.csv"


def test_target_value_not_a_number(folder: Path) -> None:
    text = GOOD + "  - kpi: nps\n    period_type: quarter\n    value: abc\n"
    assert problems(folder, text) == [
        "config.yaml:23 targets[2].value: input should be a valid number, "
        "unable to parse string as a number"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yes", "input should be a number, not true/false"),
        (".inf", "input should be a finite number"),
        ("[1]", "input should be a valid number"),
    ],
)
def test_target_values_that_are_not_plain_numbers(folder: Path, value: str, message: str) -> None:
    text = GOOD + f"  - kpi: nps\n    period_type: quarter\n    value: {value}\n"
    assert problems(folder, text) == [f"config.yaml:23 targets[2].value: {message}"]


@pytest.mark.parametrize(
    ("kpi", "value", "message"),
    [
        ("closing_ratio", "25", "closing_ratio: a ratio is written as a fraction: 0.25 for 25 %; "
         "25 would be 2,500 %"),
        ("retention_rate", "-0.1", "retention_rate: a ratio is written as a fraction: 0.25 for "
         "25 %, not -0.1"),
        ("sales_growth", "12", "sales_growth: a ratio is written as a fraction: 0.05 for 5 %; "
         "12 would be 1,200 %"),
        ("nps", "130", "nps: NPS runs from -100 to 100, not 130"),
        ("cac", "-8000", "cac: an amount cannot be negative, not -8000"),
        ("avg_sales_cycle_days", "-3", "avg_sales_cycle_days: a number of days cannot be "
         "negative, not -3"),
        ("clv_to_cac", "-3", "clv_to_cac: a multiple cannot be negative, not -3"),
    ],
)  # fmt: skip
def test_targets_that_cannot_be_meant_in_their_kpis_unit(
    folder: Path, kpi: str, value: str, message: str
) -> None:
    text = GOOD + f"  - kpi: {kpi}\n    period_type: quarter\n    value: {value}\n"
    assert problems(folder, text) == [f"config.yaml:23 targets[2].value: {message}"]


def test_sensible_targets_at_the_edges_of_their_range(folder: Path) -> None:
    for kpi, value in [("closing_ratio", 1), ("nps", -100), ("sales_growth", -0.5), ("cac", 0)]:
        text = GOOD + f"  - kpi: {kpi}\n    period_type: quarter\n    value: {value}\n"
        assert load_config(write(folder, text)).targets[2].value == value


def test_unknown_key_is_reported_with_its_line(folder: Path) -> None:
    text = GOOD.replace("  currency: USD", "  curency: USD")
    assert problems(folder, text) == [
        "config.yaml:1 reporting.currency: field required",
        "config.yaml:2 reporting.curency: extra inputs are not permitted",
    ]


def test_wrong_enum_value(folder: Path) -> None:
    assert problems(folder, GOOD + "kpis:\n  churn_basis: lost\n") == [
        "config.yaml:22 kpis.churn_basis: input should be 'acquired' or 'start'"
    ]


def test_missing_required_key_points_at_the_mapping_lacking_it(folder: Path) -> None:
    text = GOOD.replace("    path: ./exports\n", "")
    assert problems(folder, text) == ["config.yaml:8 sources[0].path: field required"]
    assert problems(folder, "store: {}\n") == [
        "config.yaml:1 reporting: field required",
        "config.yaml:1 sources: field required",
    ]


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config\.yaml: file not found"):
        load_config(tmp_path / "config.yaml")


def test_yaml_syntax_error_has_its_line(folder: Path) -> None:
    [message] = problems(folder, GOOD.replace("    value: 90000", "    value: [90000"))
    assert message == (
        "config.yaml:19 invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts at line 18)"
    )


@pytest.mark.parametrize("zone", ["Europe/Pariss", "", "../etc/passwd", "Europe", "UTC+2"])
def test_bad_timezone(folder: Path, zone: str) -> None:
    text = GOOD.replace("Europe/Paris", f'"{zone}"')
    assert problems(folder, text) == [
        f"config.yaml:3 reporting.timezone: unknown time zone {zone}; "
        "use an IANA name like Europe/Paris or UTC"
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "  currency: usd",
            "config.yaml:2 reporting.currency: currency must be an ISO 4217 "
            "code of 3 upper-case letters, like USD",
        ),
        (
            "  fiscal_year_start_month: 0",
            "config.yaml:4 reporting.fiscal_year_start_month: "
            "input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_reporting_values(folder: Path, line: str, expected: str) -> None:
    key = line.split(":")[0]
    lines = [line if text.startswith(key + ":") else text for text in GOOD.splitlines()]
    assert problems(folder, "\n".join(lines) + "\n") == [expected]


@pytest.mark.parametrize(
    ("kpis", "expected"),
    [
        (
            "default_cogs_rate: 1.5",
            "kpis.default_cogs_rate: input should be less than or equal to 1",
        ),
        ("churn_after_days: 0", "kpis.churn_after_days: input should be greater than 0"),
        (
            "churn_after_days: 1.5",
            "kpis.churn_after_days: input should be a valid integer, "
            "got a number with a fractional part",
        ),
        ("clv_lifespan_years: -1", "kpis.clv_lifespan_years: input should be greater than 0"),
        ("growth_basis: yoy", "kpis.growth_basis: input should be 'previous' or 'year_over_year'"),
    ],
)
def test_bad_kpi_settings(folder: Path, kpis: str, expected: str) -> None:
    assert problems(folder, GOOD + f"kpis:\n  {kpis}\n") == [f"config.yaml:22 {expected}"]


def test_duplicate_source_names_name_both_lines(folder: Path) -> None:
    text = GOOD.replace(
        "targets:\n", "  - name: exports\n    type: files\n    path: exports\ntargets:\n"
    )
    assert problems(folder, text) == [
        "config.yaml:12 sources[1].name: duplicate source name: same name as sources[0] at line 8"
    ]


def test_duplicate_targets_name_both_lines(folder: Path) -> None:
    text = GOOD + "  - {kpi: total_revenue, period_type: month, value: 1, scope_type: company}\n"
    assert problems(folder, text) == [
        "config.yaml:21 targets[2]: duplicate target: same kpi, period_type and scope as "
        "targets[0] at line 13"
    ]


def test_same_kpi_in_other_scope_or_period_is_no_duplicate(folder: Path) -> None:
    text = GOOD + "  - {kpi: total_revenue, period_type: quarter, value: 1}\n"
    text += "  - {kpi: total_revenue, period_type: month, value: 1, scope_type: owner, "
    text += "scope_id: EMEA}\n"
    assert len(load_config(write(folder, text)).targets) == 4


def test_scope_id_required_unless_company_and_forbidden_for_company(folder: Path) -> None:
    text = GOOD + "  - kpi: cac\n    period_type: year\n    value: 1\n    scope_type: owner\n"
    text += "  - kpi: nps\n    period_type: year\n    value: 1\n    scope_id: EMEA\n"
    assert problems(folder, text) == [
        "config.yaml:21 targets[2].scope_id: scope_id is required when scope_type is owner",
        "config.yaml:28 targets[3].scope_id: scope_id is not allowed when scope_type is company",
    ]


def test_bad_sources(folder: Path) -> None:
    text = GOOD.replace("./exports", "./nope").replace("files.yaml", "gone.yaml")
    text = text.replace(
        "targets:\n", "  - name: Big CRM\n    type: carrier-pigeon\n  - 7\ntargets:\n"
    )
    base = folder.resolve()
    assert problems(folder, text) == [
        f"config.yaml:10 sources[0].path: folder not found: {base / 'nope'}",
        f"config.yaml:11 sources[0].mapping: file not found: {base / 'mappings' / 'gone.yaml'}",
        "config.yaml:13 sources[1].type: unknown source type; known: "
        + ", ".join(sorted(CRMS)),
        "config.yaml:14 sources[2]: a source must be a mapping with name and type",
    ]


def test_source_name_and_empty_sources(folder: Path) -> None:
    assert problems(folder, GOOD.replace("name: exports", "name: My Exports")) == [
        "config.yaml:8 sources[0].name: source names use only a-z, 0-9, _ and - (lower case)"
    ]
    text = GOOD.split("sources:")[0] + "sources: []\n"
    assert problems(folder, text) == [
        "config.yaml:7 sources: list should have at least 1 item after validation, not 0"
    ]


def test_every_problem_of_the_file_at_once(folder: Path) -> None:
    text = GOOD.replace("USD", "dollars").replace("Europe/Paris", "Mars/Olympus")
    text = text.replace("value: 250000", "value: lots") + "kpis:\n  churn_basis: x\n"
    assert [m.split(" ")[0] for m in problems(folder, text)] == [
        "config.yaml:2",
        "config.yaml:3",
        "config.yaml:15",
        "config.yaml:22",
    ]


def test_a_source_type_registered_elsewhere_is_used(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CRMS, "copy", CRMS["files"])
    # The files model only accepts type "files": the registered model does the validating.
    text = GOOD.replace("type: files", "type: copy")
    assert problems(folder, text) == ["config.yaml:9 sources[0].type: input should be 'files'"]


@pytest.mark.parametrize("type_name", sorted(CRMS))
def test_each_registered_crm_validates_exactly_its_own_type(type_name: str) -> None:
    model = CRMS[type_name].config
    assert issubclass(model, SourceConfig)
    assert model.model_fields["type"].annotation == Literal[type_name]


def test_kpi_keys_and_direction() -> None:
    assert len(KPI_KEYS) == len(set(KPI_KEYS)) == 15
    assert [k for k in KPI_KEYS if not HIGHER_IS_BETTER[k]] == [
        "avg_sales_cycle_days",
        "cac",
        "churn_rate",
    ]


scopes = st.sampled_from(["company", "team", "owner", "territory"])


def sensible_value(kpi: str) -> st.SearchStrategy[float | int]:
    """Any value a target of `kpi` may take (outside its range is an error, tested below)."""
    bounds = target_range(kpi)
    low, high = bounds.low, bounds.high if bounds.high is not None else 1e9
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False, width=32)
    return floats | st.integers(int(low or 0), int(high))


targets = st.lists(
    st.sampled_from(KPI_KEYS).flatmap(
        lambda kpi: st.fixed_dictionaries(
            {
                "kpi": st.just(kpi),
                "period_type": st.sampled_from(["month", "quarter", "year"]),
                "value": sensible_value(kpi),
                "scope_type": scopes,
                "scope_id": st.text(alphabet="ABCxyz -_", min_size=1, max_size=5),
            }
        )
    ),
    max_size=8,
    unique_by=lambda t: (t["kpi"], t["period_type"], t["scope_type"], t["scope_id"]),
)


def without_company_scope_id(target: dict[str, Any]) -> dict[str, Any]:
    if target["scope_type"] == "company":
        return {k: v for k, v in target.items() if k != "scope_id"}
    return target


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(targets)
def test_any_valid_target_list_round_trips(folder: Path, raw: list[dict[str, Any]]) -> None:
    listed = [without_company_scope_id(t) for t in raw]
    keys = [(t["kpi"], t["period_type"], t["scope_type"], t.get("scope_id")) for t in listed]
    assume(len(set(keys)) == len(keys))  # company targets differing only by scope_id
    data = yaml.safe_load(GOOD)
    data["targets"] = listed
    config = load_config(write(folder, yaml.safe_dump(data, sort_keys=False)))
    assert [Target.model_validate(t) for t in listed] == config.targets
    dumped = config.model_dump(mode="json")["targets"]
    assert [Target.model_validate(t) for t in dumped] == config.targets
    assert Config.model_validate(config.model_dump()).targets == config.targets


def test_a_kpi_key_nothing_like_any_lists_the_keys(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "reporting: {currency: USD, timezone: UTC}\n"
        "sources: [{name: f, type: files, path: .}]\n"
        "targets:\n  - {kpi: bookings, period_type: month, value: 1}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value).startswith("config.yaml:4 targets[0].kpi: 'bookings' is not a KPI")
    assert "the keys: total_revenue, gross_margin," in str(caught.value)
