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
            if form.get("refresh_token") != self.creds.refresh_token:
                return oauth_error("invalid_grant", "expired access/refresh token")
            return self.success()
        if grant == "password":
            if form.get("client_secret") != self.creds.client_secret:
                return oauth_error("invalid_client", "invalid client credentials")
            good = self.creds.password + self.creds.security_token
            if form.get("username") != self.creds.username or form.get("password") != good:
                return oauth_error("invalid_grant", "authentication failure")
            return self.success()
        return oauth_error("unsupported_grant_type", "grant type not supported")

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
        if claims.get("sub") != self.creds.username:
            return oauth_error("invalid_grant", "user hasn't approved this consumer")
        return self.success()

    def success(self) -> Response:
        """A token answer with a new session and the documented fields (none of these
        grants answers a refresh token)."""
        base = self.ctx.base_url
        ident = f"{base}/id/{self.creds.org_id}/{self.creds.user_id}"
        issued = str(int(time.time() * 1000))
        sig = hmac.new(self.creds.client_secret.encode(), (ident + issued).encode(),
                       hashlib.sha256).digest()
        return json_response({
            "access_token": self.ctx.sessions.issue(), "instance_url": base, "id": ident,
            "token_type": "Bearer", "issued_at": issued,
            "signature": base64.b64encode(sig).decode(), "scope": "api refresh_token"})


def oauth_error(error: str, description: str) -> Response:
    """OAuth errors are a JSON object (not the REST API's list) with HTTP 400."""
    return json_response({"error": error, "error_description": description}, 400)
