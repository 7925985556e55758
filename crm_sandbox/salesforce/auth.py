"""Credentials the sandbox hands out (secrets, JWT key pair) and the sessions it issues.

The token endpoint that checks them is `oauth.TokenEndpoint`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ..clock import Clock
from ..http import Request

SESSION_HOURS = 2  # Salesforce's default session timeout


@dataclass(frozen=True)
class Credentials:
    """What the sandbox hands out so that each OAuth flow can be exercised."""

    org_id: str
    user_id: str
    username: str
    password: str
    security_token: str
    client_id: str
    client_secret: str
    refresh_token: str
    access_token: str
    private_key_file: Path
    certificate_file: Path


def make_credentials(folder: Path, org_id: str, user_id: str, username: str) -> Credentials:
    """Fresh secrets, an RSA key pair and the certificate registered for JWT logins."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "crm-kpi sandbox connected app")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    key_file, cert_file = folder / "jwt_private_key.pem", folder / "jwt_certificate.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Credentials(
        org_id, user_id, username, secrets.token_urlsafe(12), secrets.token_hex(12),
        "3MVG9" + secrets.token_urlsafe(40), secrets.token_hex(32),
        "5Aep" + secrets.token_urlsafe(60), f"{org_id[:15]}!{secrets.token_urlsafe(48)}",
        key_file, cert_file,
    )


@dataclass(frozen=True)
class UserSecrets:
    """One user's login secrets: password + security token (password grant) and a
    refresh token (refresh_token grant)."""

    password: str
    security_token: str
    refresh_token: str


class Sessions:
    """Issued access tokens, the user each belongs to, and their expiry on the org clock
    (None = never expires). Every user has login secrets of their own (`secrets_of`),
    derived from one random key per sandbox, the integration user's being `creds`'."""

    def __init__(self, creds: Credentials, clock: Clock, integration_user: int) -> None:
        self.creds, self.clock, self.integration_user = creds, clock, integration_user
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[dt.datetime | None, int]] = {
            creds.access_token: (None, integration_user)}
        self._standing: dict[int, str] = {integration_user: creds.access_token}

    def issue(self, user: int | None = None) -> str:
        """A new session of `user` (the integration user by default) lasting
        SESSION_HOURS on the org clock."""
        token = f"{self.creds.org_id[:15]}!{secrets.token_urlsafe(48)}"
        owner = self.integration_user if user is None else user
        with self._lock:
            self._tokens[token] = (self.clock.now() + dt.timedelta(hours=SESSION_HOURS), owner)
        return token

    def standing(self, user: int) -> str:
        """A session of `user` that never expires (the one the info file hands out)."""
        with self._lock:
            if user not in self._standing:
                token = f"{self.creds.org_id[:15]}!{secrets.token_urlsafe(48)}"
                self._tokens[token] = (None, user)
                self._standing[user] = token
            return self._standing[user]

    def secrets_of(self, user: int) -> UserSecrets:
        """The user's password, security token and refresh token."""
        if user == self.integration_user:
            c = self.creds
            return UserSecrets(c.password, c.security_token, c.refresh_token)
        digest = hmac.new(self._key, str(user).encode(), hashlib.sha256).hexdigest()
        return UserSecrets(digest[:16], digest[16:40], "5Aep" + digest[40:64] + str(user))

    def user_of(self, token: str) -> int | None:
        """The user of a live session, None when expired, revoked or never issued."""
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or (entry[0] is not None and self.clock.now() >= entry[0]):
            return None
        return entry[1]

    def valid(self, token: str) -> bool:
        return self.user_of(token) is not None

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)


def bearer(req: Request) -> str:
    value = req.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") else ""
