"""OAuth 2.0 token endpoint (JWT bearer, refresh token, username-password) and sessions."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ..clock import Clock
from ..http import Request, Response, json_response

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


class Sessions:
    """Issued access tokens and their expiry on the org clock (None = never expires)."""

    def __init__(self, creds: Credentials, clock: Clock) -> None:
        self.creds, self.clock = creds, clock
        self._lock = threading.Lock()
        self._tokens: dict[str, dt.datetime | None] = {creds.access_token: None}

    def issue(self) -> str:
        token = f"{self.creds.org_id[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._tokens[token] = self.clock.now() + dt.timedelta(hours=SESSION_HOURS)
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            if token not in self._tokens:
                return False
            expiry = self._tokens[token]
        return expiry is None or self.clock.now() < expiry

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)


def bearer(req: Request) -> str:
    value = req.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") else ""


class TokenEndpoint:
    """POST /services/oauth2/token."""

    def __init__(self, sessions: Sessions, base_url: str) -> None:
        self.sessions, self.base_url = sessions, base_url
        self.creds = sessions.creds

    def handle(self, req: Request) -> Response:
        """Dispatch on grant_type; errors are OAuth-shaped (HTTP 400)."""
        form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8")).items()}
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.jwt_grant(form.get("assertion", ""))
        if form.get("client_id") != self.creds.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        if grant == "refresh_token":
            if form.get("refresh_token") != self.creds.refresh_token:
                return oauth_error("invalid_grant", "expired access/refresh token")
            return self.success(with_refresh=False)
        if grant == "password":
            if form.get("client_secret") != self.creds.client_secret:
                return oauth_error("invalid_client", "invalid client credentials")
            good = self.creds.password + self.creds.security_token
            if form.get("username") != self.creds.username or form.get("password") != good:
                return oauth_error("invalid_grant", "authentication failure")
            return self.success(with_refresh=False)
        return oauth_error("unsupported_grant_type", "grant type not supported")

    def jwt_grant(self, assertion: str) -> Response:
        """JWT bearer: RS256 against the registered certificate, iss/sub/aud/exp checked."""
        cert = x509.load_pem_x509_certificate(self.creds.certificate_file.read_bytes())
        try:
            claims = jwt.decode(assertion, cert.public_key(), algorithms=["RS256"],  # type: ignore[arg-type]
                                audience=self.base_url, issuer=self.creds.client_id,
                                options={"require": ["exp", "iss", "sub", "aud"]})
        except jwt.ExpiredSignatureError:
            return oauth_error("invalid_grant", "expired authorization code")
        except jwt.InvalidIssuerError:
            return oauth_error("invalid_client_id", "client identifier invalid")
        except jwt.InvalidAudienceError:
            return oauth_error("invalid_grant", "audience is invalid")
        except jwt.PyJWTError:
            return oauth_error("invalid_grant", "invalid assertion")
        if claims.get("sub") != self.creds.username:
            return oauth_error("invalid_grant", "user hasn't approved this consumer")
        return self.success(with_refresh=False)

    def success(self, with_refresh: bool) -> Response:
        """A token answer with a new session and the documented fields."""
        ident = f"{self.base_url}/id/{self.creds.org_id}/{self.creds.user_id}"
        issued = str(int(time.time() * 1000))
        sig = hmac.new(self.creds.client_secret.encode(), (ident + issued).encode(),
                       hashlib.sha256).digest()
        body = {"access_token": self.sessions.issue(), "instance_url": self.base_url,
                "id": ident, "token_type": "Bearer", "issued_at": issued,
                "signature": base64.b64encode(sig).decode(), "scope": "api refresh_token"}
        if with_refresh:
            body["refresh_token"] = self.creds.refresh_token
        return json_response(body)


def oauth_error(error: str, description: str) -> Response:
    """OAuth errors are a JSON object (not the REST API's list) with HTTP 400."""
    return json_response({"error": error, "error_description": description}, 400)
