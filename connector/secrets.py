"""Secrets: written in files only as ``${ENV_VAR}`` references, resolved from the environment.

Config files get committed, pasted into tickets and shown on screens; a literal secret
in one is a leak, so a literal is refused (without echoing it). Every value resolved is
remembered so that logs can `redact` it wherever it turns up.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from connector.errors import ConfigError

REFERENCE_PATTERN = r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"
LITERAL_MESSAGE = "secrets must be given as ${ENV_VAR} references, not literally"
REDACTED = "***"

_REFERENCE = re.compile(REFERENCE_PATTERN)
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_known: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Remember a secret value so that `redact` hides it from every log line."""
    if value:  # an empty "secret" would redact between every character
        with _known_lock:
            _known.add(value)


def known_secrets() -> frozenset[str]:
    """Every secret value registered so far in this process."""
    with _known_lock:
        return frozenset(_known)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with every occurrence of the secrets (default: all known ones) as ``***``."""
    values = sorted({s for s in (known_secrets() if secrets is None else secrets) if s}, key=len)
    if not values:
        return text
    # One pass, longest first, so a secret containing another is hidden whole.
    pattern = re.compile("|".join(re.escape(value) for value in reversed(values)))
    return pattern.sub(REDACTED, text)


class SecretRef:
    """A ``${ENV_VAR}`` reference to a secret; use as a pydantic field type.

    Neither `repr` nor `str` ever shows the secret, only the reference.
    """

    __slots__ = ("_env_var", "_key")

    def __init__(self, env_var: str, key: str | None = None) -> None:
        if not _ENV_VAR.match(env_var):
            raise ValueError(f"not an environment variable name: {env_var!r}")
        self._env_var = env_var
        self._key = key

    @classmethod
    def parse(cls, text: str, key: str | None = None) -> SecretRef:
        """A reference from its ``${ENV_VAR}`` form; `ValueError` for anything else."""
        if not _REFERENCE.match(text):
            raise ValueError(LITERAL_MESSAGE)
        return cls(text[2:-1], key)

    @property
    def env_var(self) -> str:
        """The environment variable holding the secret."""
        return self._env_var

    @property
    def key(self) -> str | None:
        """The config key this reference was read from, if known."""
        return self._key

    def resolve(self, needed_by: str | None = None) -> str:
        """The secret from the environment; `ConfigError` when it is unset or empty."""
        value = os.environ.get(self._env_var)
        if not value:
            state = "is not set" if value is None else "is empty"
            who = needed_by or self._key or "a secret reference"
            raise ConfigError([f"environment variable {self._env_var} {state} (needed by {who})"])
        register_secret(value)
        return value

    def __str__(self) -> str:
        return f"${{{self._env_var}}}"

    def __repr__(self) -> str:
        return f"SecretRef({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretRef) and other._env_var == self._env_var

    def __hash__(self) -> int:
        return hash(("SecretRef", self._env_var))

    @classmethod
    def _validate(cls, value: Any, info: core_schema.ValidationInfo) -> SecretRef:
        if isinstance(value, SecretRef):
            return value
        if isinstance(value, str) and _REFERENCE.match(value):
            return cls.parse(value, info.field_name)
        # Never put the value in the error: it may be the secret itself.
        raise PydanticCustomError("secret_literal", LITERAL_MESSAGE)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from a ``${ENV_VAR}`` string; serialize back to that string."""
        return core_schema.with_info_plain_validator_function(
            cls._validate, serialization=core_schema.to_string_ser_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A string matching the reference pattern, for editors that read JSON schemas."""
        return {"type": "string", "pattern": REFERENCE_PATTERN, "description": LITERAL_MESSAGE}
