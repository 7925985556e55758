"""YAML loading with lines, and pydantic errors turned into file:line key.path messages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, Field

from connector.errors import ConfigError
from connector.yamlfile import (
    ConfigModel,
    ExistingDir,
    LineIndex,
    load_model,
    load_yaml,
    render_path,
    validate_data,
)


def write(tmp_path: Path, text: str, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, model: type[BaseModel]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_model(path, model)
    return caught.value.messages


class Inner(ConfigModel):
    value: float
    label: str = "x"


class Outer(ConfigModel):
    name: str
    items: list[Inner] = Field(default_factory=list)


class Cat(ConfigModel):
    kind: Literal["cat"]
    lives: int


class Dog(ConfigModel):
    kind: Literal["dog"]
    good: bool


class Zoo(ConfigModel):
    animals: list[Annotated[Cat | Dog, Field(discriminator="kind")]]
    size: int | str = 0


def test_lines_of_keys_and_items(tmp_path: Path) -> None:
    path = write(tmp_path, "# head\na: 1\nb:\n  - x: 1\n    y: 2\n  - 3\nc: {d: 4}\n")
    data, lines = load_yaml(path)
    assert data == {"a": 1, "b": [{"x": 1, "y": 2}, 3], "c": {"d": 4}}
    assert lines.line_of(("a",)) == 2
    assert lines.line_of(("b", 0)) == 4
    assert lines.line_of(("b", 0, "y")) == 5
    assert lines.line_of(("b", 1)) == 6
    assert lines.line_of(("c", "d")) == 7
    assert lines.line_of(("b", 0, "missing")) == 4
    assert lines.line_of(()) == 2


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "~\n"])
def test_empty_file_is_an_empty_mapping(tmp_path: Path, text: str) -> None:
    data, lines = load_yaml(write(tmp_path, text))
    assert data == {}
    assert lines.line_of(("anything",)) == 1


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\nb:\n  c: 2\n d: 3\n", "conf.yaml")
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    [message] = caught.value.messages
    assert message.startswith("conf.yaml:4 invalid YAML: ")
    assert "line 1" in message


def test_tab_indentation_is_a_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^f\.yaml:2 invalid YAML: "):
        load_yaml(write(tmp_path, "a:\n\tb: 1\n", "f.yaml"))


def test_repeated_keys_are_errors_with_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "f.yaml")
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    assert caught.value.messages == [
        "f.yaml:4 b.c: duplicate key (first given at line 3)",
        "f.yaml:5 a: duplicate key (first given at line 1)",
    ]


def test_several_documents_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"f\.yaml:2 invalid YAML: .*single document"):
        load_yaml(write(tmp_path, "a: 1\n---\nb: 2\n", "f.yaml"))


def test_missing_folder_and_binary_files_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_yaml(missing)
    with pytest.raises(ConfigError, match="is a folder"):
        load_yaml(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load_yaml(binary)


def test_recursive_alias_does_not_hang(tmp_path: Path) -> None:
    data, lines = load_yaml(write(tmp_path, "a: &x [1, *x]\n"))
    assert data["a"][0] == 1
    assert lines.line_of(("a", 1)) == 1


def test_all_errors_at_once_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "items:\n  - value: abc\n  - label: 3\n    value: 1\n  - valeu: 2\nextra: 1\n",
        "m.yaml",
    )
    assert problems(path, Outer) == [
        "m.yaml:1 name: field required",
        "m.yaml:2 items[0].value: input should be a valid number, "
        "unable to parse string as a number",
        "m.yaml:3 items[1].label: input should be a valid string",
        "m.yaml:5 items[2].value: field required",
        "m.yaml:5 items[2].valeu: extra inputs are not permitted",
        "m.yaml:6 extra: extra inputs are not permitted",
    ]


def test_top_level_of_the_wrong_kind(tmp_path: Path) -> None:
    assert problems(write(tmp_path, "- 1\n- 2\n", "m.yaml"), Outer) == [
        "m.yaml:1 input should be a valid dictionary or instance of Outer"
    ]


def test_union_tags_are_not_in_the_path(tmp_path: Path) -> None:
    text = "animals:\n  - kind: cat\n    lives: many\n  - kind: dog\n  - kind: cow\nsize: []\n"
    messages = problems(write(tmp_path, text, "z.yaml"), Zoo)
    assert messages[0] == (
        "z.yaml:3 animals[0].lives: input should be a valid integer, "
        "unable to parse string as an integer"
    )
    assert messages[1] == "z.yaml:4 animals[1].good: field required"
    assert messages[2].startswith("z.yaml:5 animals[2]: input tag 'cow' found using 'kind'")
    assert messages[3:] == [
        "z.yaml:6 size: input should be a valid integer",
        "z.yaml:6 size: input should be a valid string",
    ]


def test_validate_data_with_a_prefix_points_into_the_bigger_file(tmp_path: Path) -> None:
    data, lines = load_yaml(write(tmp_path, "top: 1\nnested:\n  name: n\n  items:\n    - {}\n"))
    with pytest.raises(ConfigError) as caught:
        validate_data(data["nested"], Outer, file_name="big.yaml", lines=lines, prefix=("nested",))
    assert caught.value.messages == ["big.yaml:5 nested.items[0].value: field required"]


class Folder(ConfigModel):
    folder: ExistingDir


def test_relative_paths_resolve_against_the_file_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf" / "data").mkdir(parents=True)
    path = write(tmp_path / "conf", "folder: data\n", "f.yaml")
    monkeypatch.chdir(tmp_path)
    assert load_model(path, Folder).folder == tmp_path.resolve() / "conf" / "data"
    path.write_text("folder: other\n")
    assert problems(path, Folder) == [
        f"f.yaml:1 folder: folder not found: {tmp_path.resolve() / 'conf' / 'other'}"
    ]


class Checked(ConfigModel):
    rate: Annotated[float, AfterValidator(lambda v: v if v < 1 else _too_big())]


def _too_big() -> float:
    raise ValueError("Rate must be below 1")


def test_value_error_prefix_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "rate: 2\n", "r.yaml")
    assert problems(path, Checked) == ["r.yaml:1 rate: rate must be below 1"]


def test_render_path_quotes_odd_keys() -> None:
    assert render_path(("targets", 3, "value")) == "targets[3].value"
    assert render_path(("stage_map", "Closed Won")) == 'stage_map["Closed Won"]'
    assert render_path((0, "a")) == "[0].a"
    assert render_path(()) == ""


def test_line_index_defaults_to_line_one() -> None:
    assert LineIndex().line_of(("a", 0)) == 1
    assert LineIndex().clean_path(("name",)) == ("name",)


keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
documents = st.dictionaries(
    keys,
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=8,
    ),
    max_size=5,
)


def key_paths(data: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(data, dict):
        items: list[tuple[str | int, Any]] = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        return []
    found = []
    for key, value in items:
        found.append((*prefix, key))
        found.extend(key_paths(value, (*prefix, key)))
    return found


# too_slow: generation competes with the rest of the suite on shared CI machines.
@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(documents, st.sampled_from([False, True]))
def test_every_key_path_has_its_line(tmp_path: Path, data: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, sort_keys=False)
    path = write(tmp_path, text)
    loaded, lines = load_yaml(path)
    assert loaded == data
    line_count = max(1, len(text.splitlines()))
    for key_path in key_paths(data):
        assert lines.find(key_path[:-1], key_path[-1]) is not None
        assert 1 <= lines.line_of(key_path) <= line_count


def _bomb(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_anything_expands_it(tmp_path: Path) -> None:
    # 9**40 values once expanded: expanding any of it would never end.
    with pytest.raises(ConfigError) as caught:
        load_yaml(write(tmp_path, _bomb(40)))
    assert caught.value.messages == [
        "file.yaml:5 aliases add more than 100,000 values to this file (an alias bomb?): "
        "write the values out instead"
    ]


def test_an_alias_bomb_in_config_yaml_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from connector.cli import main

    path = write(tmp_path, "reporting: {currency: USD, timezone: UTC}\n" + _bomb(30),
                 "config.yaml")  # fmt: skip
    assert main(["validate", "--config", str(path)]) == 2
    assert "config.yaml:6 aliases add more than 100,000 values" in capsys.readouterr().err


def test_big_files_and_modest_aliases_are_fine(tmp_path: Path) -> None:
    rows = "\n".join(f"  - {{kpi: total_revenue, value: {i}}}" for i in range(40_000))
    data, _ = load_yaml(write(tmp_path, f"targets:\n{rows}\n"))
    assert len(data["targets"]) == 40_000  # 120,000 values, none of them from an alias
    text = "base: &base {period_type: month, value: 1}\nitems:\n" + "\n".join(
        f"  - {{<<: *base, kpi: k{i}}}" for i in range(2_000)
    )
    data, _ = load_yaml(write(tmp_path, text + "\n"))
    assert data["items"][1999] == {"period_type": "month", "value": 1, "kpi": "k1999"}


@pytest.mark.parametrize("targets", ["targets:\n", "targets: []\n", ""])
def test_an_empty_targets_key_means_no_targets(tmp_path: Path, targets: str) -> None:
    from connector.config import load_config

    (tmp_path / "exports").mkdir()
    path = write(tmp_path, "reporting: {currency: USD, timezone: UTC}\n"
                 "sources:\n  - {name: e, type: files, path: exports}\n" + targets,
                 "config.yaml")  # fmt: skip
    assert load_config(path).targets == []
