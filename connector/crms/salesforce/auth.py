"""Getting an access token: OAuth 2.0 JWT bearer, refresh token or username-password.

The exchanges are done here, against the configured login URL (production, sandbox or
My Domain), rather than by simple-salesforce, whose JWT login hard-codes its host. Every
secret read is registered for redaction before it is used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import requests

from connector.crms.salesforce.config import JwtAuth, PasswordAuth, RefreshTokenAuth
from connector.crms.salesforce.errors import error_details, login_refused
from connector.errors import AuthError, ConfigError
from connector.secrets import register_secret

TOKEN_PATH = "/services/oauth2/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_SECONDS = 180


@dataclass(frozen=True)
class Token:
    """An access token, the instance it is valid for and the user it acts as (the last
    segment of the identity URL the token answer names, when it names one)."""

    access_token: str
    instance_url: str
    user_id: str | None = None


def fetch_token(
    auth: JwtAuth | RefreshTokenAuth | PasswordAuth,
    session: requests.Session,
    login_url: str,
) -> Token:
    """A fresh token by the configured flow; `AuthError` when Salesforce refuses."""
    if isinstance(auth, JwtAuth):
        return _oauth(session, login_url, _jwt_form(auth, login_url))
    if isinstance(auth, RefreshTokenAuth):
        form = {
            "grant_type": "refresh_token",
            "client_id": auth.client_id,
            "refresh_token": auth.refresh_token.resolve("auth.refresh_token"),
        }
        if auth.client_secret is not None:
            form["client_secret"] = auth.client_secret.resolve("auth.client_secret")
        return _oauth(session, login_url, form)
    return _oauth(session, login_url, _password_form(auth))


def _jwt_form(auth: JwtAuth, login_url: str) -> dict[str, str]:
    try:
        key = auth.private_key_file.read_text(encoding="utf-8")
    except OSError as exc:
        message = f"auth.private_key_file: cannot read {auth.private_key_file}: {exc}"
        raise ConfigError([message]) from None
    register_secret(key)
    claims = {
        "iss": auth.consumer_key,
        "sub": auth.username,
        "aud": login_url,
        "exp": int(time.time()) + JWT_LIFETIME_SECONDS,
    }
    try:
        assertion = jwt.encode(claims, key, algorithm="RS256")
    except (ValueError, TypeError) as exc:
        message = f"auth.private_key_file: not a usable RSA private key ({type(exc).__name__})"
        raise ConfigError([message]) from None
    register_secret(assertion)
    return {"grant_type": JWT_GRANT, "assertion": assertion}


def _oauth(session: requests.Session, login_url: str, form: dict[str, str]) -> Token:
    response = session.post(login_url + TOKEN_PATH, data=form)
    if response.status_code != 200:
        code, message = error_details(response)
        raise login_refused(response.status_code, code, message)
    body = response.json()
    token, instance = body.get("access_token"), body.get("instance_url")
    if not isinstance(token, str) or not isinstance(instance, str):
        raise AuthError("Salesforce login answer lacks access_token or instance_url")
    register_secret(token)
    identity = body.get("id")
    user_id = identity.rstrip("/").rsplit("/", 1)[-1] if isinstance(identity, str) else None
    return Token(token, instance.rstrip("/"), user_id or None)


def _password_form(auth: PasswordAuth) -> dict[str, str]:
    password = auth.password.resolve("auth.password")
    if auth.security_token is not None:
        password += auth.security_token.resolve("auth.security_token")
    register_secret(password)
    return {
        "grant_type": "password",
        "client_id": auth.client_id,
        "client_secret": auth.client_secret.resolve("auth.client_secret"),
        "username": auth.username,
        "password": password,
    }
