"""OAuth 2.0 token endpoint: JWT bearer, refresh token and username-password grants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qs

import jwt
from cryptography import x509

from ..http import Endpoint, Request, Response, json_response
from ..ids import sf_id
from .context import Context


class TokenEndpoint:
    """POST /services/oauth2/token: checks the grant, issues a session."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.creds = ctx, ctx.creds

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("POST", r"/services/oauth2/token", "oauth.token", self.handle)]

    def handle(self, req: Request) -> Response:
        """Dispatch on grant_type; errors are OAuth-shaped (HTTP 400)."""
        form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8")).items()}
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.jwt_grant(form.get("assertion", ""))
        if form.get("client_id") != self.creds.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        if grant == "refresh_token":
            # The secret is optional in this grant, but a wrong one is refused.
            if form.get("client_secret", self.creds.client_secret) != self.creds.client_secret:
                return oauth_error("invalid_client", "invalid client credentials")
            user = self.refresh_owner(form.get("refresh_token", ""))
            if user is None:
                return oauth_error("invalid_grant", "expired access/refresh token")
            return self.success(user)
        if grant == "password":
            if form.get("client_secret") != self.creds.client_secret:
                return oauth_error("invalid_client", "invalid client credentials")
            user = self.active_user(form.get("username", ""))
            if user is None:
                return oauth_error("invalid_grant", "authentication failure")
            mine = self.ctx.sessions.secrets_of(user)
            if form.get("password") != mine.password + mine.security_token:
                return oauth_error("invalid_grant", "authentication failure")
            return self.success(user)
        return oauth_error("unsupported_grant_type", "grant type not supported")

    def active_user(self, username: str) -> int | None:
        """The key of the active user with this username (case-insensitive)."""
        row = self.ctx.org.cursor().execute(
            "SELECT n FROM users WHERE lower(username) = lower(?) AND active AND NOT "
            "is_deleted", [username]).fetchone()
        return int(row[0]) if row else None

    def refresh_owner(self, token: str) -> int | None:
        """The active user a refresh token was issued to."""
        if not token:
            return None
        rows = self.ctx.org.cursor().execute(
            "SELECT n FROM users WHERE active AND NOT is_deleted").fetchall()
        return next((int(n) for (n,) in rows
                     if self.ctx.sessions.secrets_of(int(n)).refresh_token == token), None)

    def jwt_grant(self, assertion: str) -> Response:
        """JWT bearer: RS256 against the registered certificate, iss/sub/aud/exp checked."""
        cert = x509.load_pem_x509_certificate(self.creds.certificate_file.read_bytes())
        try:
            claims = jwt.decode(assertion, cert.public_key(), algorithms=["RS256"],  # type: ignore[arg-type]
                                audience=self.ctx.base_url, issuer=self.creds.client_id,
                                options={"require": ["exp", "iss", "sub", "aud"]})
        except jwt.ExpiredSignatureError:
            return oauth_error("invalid_grant", "expired authorization code")
        except jwt.InvalidIssuerError:
            return oauth_error("invalid_client_id", "client identifier invalid")
        except jwt.InvalidAudienceError:
            return oauth_error("invalid_grant", "audience is invalid")
        except jwt.PyJWTError:
            return oauth_error("invalid_grant", "invalid assertion")
        user = self.active_user(str(claims.get("sub") or ""))
        if user is None:
            return oauth_error("invalid_grant", "user hasn't approved this consumer")
        return self.success(user)

    def success(self, user: int) -> Response:
        """A token answer with a new session of `user` and the documented fields (none of
        these grants answers a refresh token)."""
        base = self.ctx.base_url
        ident = f"{base}/id/{self.creds.org_id}/{sf_id('005', user)}"
        issued = str(int(time.time() * 1000))
        sig = hmac.new(self.creds.client_secret.encode(), (ident + issued).encode(),
                       hashlib.sha256).digest()
        return json_response({
            "access_token": self.ctx.sessions.issue(user), "instance_url": base, "id": ident,
            "token_type": "Bearer", "issued_at": issued,
            "signature": base64.b64encode(sig).decode(), "scope": "api refresh_token"})


def oauth_error(error: str, description: str) -> Response:
    """OAuth errors are a JSON object (not the REST API's list) with HTTP 400."""
    return json_response({"error": error, "error_description": description}, 400)
