"""Secret references: never literal in a file, never shown, redacted from logs."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connector.config import load_config
from connector.crms.base import Crm
from connector.crms.config import SourceConfig
from connector.crms.files import read as read_files
from connector.crms.registry import CRMS
from connector.errors import ConfigError
from connector.secrets import (
    LITERAL_MESSAGE,
    SecretRef,
    known_secrets,
    redact,
    register_secret,
)
from connector.yamlfile import ConfigModel

LITERAL = "sk-live-9f8e7d6c5b4a"


class Credentials(ConfigModel):
    token: SecretRef
    backup: SecretRef | None = None


class TokenSource(SourceConfig):
    """A source type registered from outside connector.config, as CRM modules will be."""

    type: Literal["tokencrm"]
    token: SecretRef


def test_reference_is_parsed_and_never_shows_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TOKEN", LITERAL)
    creds = Credentials.model_validate({"token": "${CRM_TOKEN}"})
    assert creds.token.env_var == "CRM_TOKEN"
    assert creds.token.key == "token"
    assert creds.token.resolve() == LITERAL
    for shown in (repr(creds), str(creds), repr(creds.token), str(creds.token)):
        assert LITERAL not in shown
    assert str(creds.token) == "${CRM_TOKEN}"
    assert creds.model_dump(mode="json") == {"token": "${CRM_TOKEN}", "backup": None}
    assert Credentials.model_validate(creds.model_dump()) == creds


@pytest.mark.parametrize("value", [LITERAL, "$CRM_TOKEN", "${CRM TOKEN}", "${1X}", "${X}y", 42])
def test_literal_is_refused_without_being_echoed(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Credentials.model_validate({"token": value})
    [error] = caught.value.errors(include_input=False)
    assert error["msg"] == LITERAL_MESSAGE
    assert error["loc"] == ("token",)
    assert str(value) not in str(caught.value)


def test_literal_in_a_config_file_gives_a_located_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CRMS, "tokencrm", Crm(TokenSource, read_files, None, ""))
    path = tmp_path / "config.yaml"
    text = f"""\
        reporting: {{currency: EUR, timezone: UTC}}
        sources:
          - name: crm
            type: tokencrm
            token: {LITERAL}
        """
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.messages == [f"config.yaml:5 sources[0].token: {LITERAL_MESSAGE}"]
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or LITERAL not in repr(caught.value.__context__)
    path.write_text(textwrap.dedent(text).replace(LITERAL, "${CRM_TOKEN}"))
    [source] = load_config(path).sources
    assert isinstance(source, TokenSource)
    assert source.token == SecretRef("CRM_TOKEN")


def test_unset_or_empty_variable_names_it_and_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_TOKEN_UNSET", raising=False)
    ref = Credentials.model_validate({"token": "${CRM_TOKEN_UNSET}"}).token
    with pytest.raises(ConfigError) as caught:
        ref.resolve()
    assert caught.value.messages == [
        "environment variable CRM_TOKEN_UNSET is not set (needed by token)"
    ]
    monkeypatch.setenv("CRM_TOKEN_UNSET", "")
    with pytest.raises(ConfigError, match=r"CRM_TOKEN_UNSET is empty \(needed by sources"):
        ref.resolve(needed_by="sources[1].token")


def test_resolved_values_are_registered_for_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TOKEN_REG", "registered-secret-value")
    SecretRef("CRM_TOKEN_REG").resolve()
    assert "registered-secret-value" in known_secrets()
    assert redact("auth=registered-secret-value;") == "auth=***;"


def test_redact_hides_longest_secrets_whole() -> None:
    text = "token abc123 and abc123xyz and ABC123"
    assert redact(text, ["abc123", "abc123xyz", ""]) == "token *** and *** and ABC123"
    assert redact(text, []) == text


def test_register_ignores_empty_values() -> None:
    register_secret("")
    assert "" not in known_secrets()


def test_equality_and_bad_names() -> None:
    assert SecretRef("A") == SecretRef.parse("${A}")
    assert len({SecretRef("A"), SecretRef("A", key="x")}) == 1
    assert SecretRef("A") != "${A}"
    with pytest.raises(ValueError, match="not an environment variable name"):
        SecretRef("A-B")
    with pytest.raises(ValueError, match="references, not literally"):
        SecretRef.parse("plain")


def test_json_schema_shows_the_pattern_not_a_secret() -> None:
    schema = Credentials.model_json_schema()["properties"]["token"]
    assert schema["type"] == "string"
    assert schema["pattern"].startswith("^\\$")


# A small alphabet makes secrets overlap and contain each other. Without "*" in secrets
# or text, any secret left in the output would be a place the left-to-right scan missed.
pieces = st.text(alphabet="ab c", min_size=1, max_size=6)


@given(st.lists(pieces, max_size=4), st.lists(pieces, max_size=6))
def test_redacted_text_contains_no_secret(secrets: list[str], filler: list[str]) -> None:
    text = "".join(f"{f}{s}" for f, s in zip(filler, secrets * 2, strict=False))
    redacted = redact(text, secrets)
    assert not any(secret in redacted for secret in secrets)


def test_a_literal_secret_is_reported_at_its_own_line_and_key(tmp_path: Path) -> None:
    # `refresh_token` is both the auth method (the union's tag) and a key of the section.
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(f"""\
        reporting: {{currency: USD, timezone: UTC}}
        sources:
          - name: sf
            type: salesforce
            instance_url: https://example.my.salesforce.com
            auth:
              method: refresh_token
              client_id: abc
              client_secret: {LITERAL}
              refresh_token: ${{SF_REFRESH_TOKEN}}
        """))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.messages == [
        f"config.yaml:9 sources[0].auth.client_secret: {LITERAL_MESSAGE}"
    ]
    text = path.read_text().replace("      client_id: abc\n", "")
    path.write_text(text.replace(LITERAL, "${SF_CLIENT_SECRET}"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.messages == ["config.yaml:6 sources[0].auth.client_id: field required"]
