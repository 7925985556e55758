"""Private-app tokens, the OAuth refresh-token flow, and scope checks.

Token answer shape (`access_token`, `refresh_token`, `expires_in`, `token_type`) per
developers.hubspot.com/docs/api/oauth/tokens; 401/403 bodies per errors.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs

from ..clock import Clock
from ..http import Request, Response, json_response
from .errors import HsError
from .props import iso_ms

ACCESS_SECONDS = 1800  # HubSpot OAuth access tokens live 30 minutes
OBJECT_SCOPES = ("crm.objects.contacts", "crm.objects.companies", "crm.objects.deals",
                 "crm.objects.line_items", "crm.objects.custom", "crm.objects.owners",
                 "crm.objects.feedback_submissions", "crm.objects.goals", "crm.schemas.contacts",
                 "crm.schemas.companies", "crm.schemas.deals", "crm.schemas.line_items",
                 "crm.schemas.products", "crm.schemas.custom",
                 "crm.schemas.feedback_submissions", "crm.objects.leads", "crm.schemas.leads",
                 "crm.objects.quotes", "crm.schemas.quotes")
ALL_SCOPES = frozenset({f"{s}.{rw}" for s in OBJECT_SCOPES for rw in ("read", "write")}
                       | {"e-commerce", "oauth", "crm.export", "tickets", "forms"})


@dataclass(frozen=True)
class Credentials:
    """What the sandbox hands out: a private-app token and an OAuth app's secrets."""

    access_token: str
    client_id: str
    client_secret: str
    refresh_token: str

    @classmethod
    def fresh(cls) -> Credentials:
        # Shapes of real values: "pat-na1-<uuid>" private-app tokens, uuid client ids.
        return cls(f"pat-na1-{secrets.token_hex(4)}-{secrets.token_hex(2)}-"
                   f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}",
                   f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-"
                   f"{secrets.token_hex(2)}-{secrets.token_hex(6)}",
                   f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-"
                   f"{secrets.token_hex(2)}-{secrets.token_hex(6)}",
                   f"na1-{secrets.token_hex(2)}-{secrets.token_hex(16)}")


@dataclass
class Token:
    scopes: frozenset[str]
    expires: dt.datetime | None  # None: a private-app token, valid until revoked


class Tokens:
    """Valid tokens, their scopes and expiry on the org clock."""

    def __init__(self, creds: Credentials, clock: Clock) -> None:
        self.creds, self.clock = creds, clock
        self._lock = threading.Lock()
        self._tokens: dict[str, Token] = {creds.access_token: Token(ALL_SCOPES, None)}

    def issue(self, scopes: frozenset[str] | set[str] | None = None,
              seconds: int | None = ACCESS_SECONDS) -> str:
        """A new access token (OAuth-style when `seconds` is set, private-app when None)."""
        token = f"CL{secrets.token_urlsafe(60)}"
        expiry = self.clock.now() + dt.timedelta(seconds=seconds) if seconds else None
        with self._lock:
            self._tokens[token] = Token(frozenset(scopes) if scopes is not None else ALL_SCOPES,
                                        expiry)
        return token

    def expire(self, token: str) -> None:
        """End a token now (the `expire_session` fault; private-app tokens stay valid)."""
        with self._lock:
            found = self._tokens.get(token)
            if found is not None and found.expires is not None:
                found.expires = self.clock.now()

    def private(self, token: str) -> bool:
        """Whether `token` is a private-app token (OAuth tokens expire)."""
        with self._lock:
            found = self._tokens.get(token)
        return found is not None and found.expires is None

    def check(self, token: str) -> Token:
        """The token's grant, or the 401 HubSpot answers."""
        with self._lock:
            found = self._tokens.get(token)
        if found is None:
            raise unauthorized()
        if found.expires is not None and self.clock.now() >= found.expires:
            raise expired(found.expires, self.clock.now())
        return found


def bearer(req: Request) -> str:
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def unauthorized() -> HsError:
    return HsError(401, "INVALID_AUTHENTICATION",
                   "Authentication credentials not found. This API supports OAuth 2.0 "
                   "authentication and you can find more details at "
                   "https://developers.hubspot.com/docs/methods/auth/oauth-overview")


def expired(at: dt.datetime, now: dt.datetime) -> HsError:
    ago = max(0, int((now - at).total_seconds()))
    stamp = iso_ms(at)
    return HsError(401, "EXPIRED_AUTHENTICATION",
                   f"The OAuth token used to make this call expired {ago} second(s) ago.",
                   context={"expire time": [stamp]})


def missing_scope(scope: str) -> HsError:
    return HsError(403, "MISSING_SCOPES",
                   "This app hasn't been granted all required scopes to make this call. "
                   "Read more about required scopes here: https://developers.hubspot.com/scopes.",
                   errors=[{"message": "One or more of the following scopes are required.",
                            "context": {"requiredGranularScopes": [scope]}}],
                   extra={"links": {"scopes": "https://developers.hubspot.com/scopes"}})


def token_endpoint(tokens: Tokens, req: Request) -> Response:
    """POST /oauth/v1/token, or its successors /oauth/v3/token and /oauth/2026-03/token
    (tap-hubspot 4.5's), with grant_type=refresh_token in a form body."""
    form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8")).items()}
    creds = tokens.creds
    if form.get("grant_type") != "refresh_token":
        return oauth_error("unsupported_grant_type", "grant_type must be refresh_token")
    if form.get("client_id") != creds.client_id or form.get("client_secret") != creds.client_secret:
        return oauth_error("BAD_CLIENT_ID", "missing or unknown client id / secret")
    if form.get("refresh_token") != creds.refresh_token:
        return oauth_error("BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked")
    return json_response({"token_type": "bearer", "refresh_token": creds.refresh_token,
                          "access_token": tokens.issue(), "expires_in": ACCESS_SECONDS})


RFC6749 = {"BAD_CLIENT_ID": "invalid_client", "BAD_REFRESH_TOKEN": "invalid_grant",
           "unsupported_grant_type": "unsupported_grant_type"}


def oauth_error(status: str, message: str) -> Response:
    """OAuth errors: 400 with `status` and `message` (HubSpot's v1 fields) beside RFC 6749's
    `error` and `error_description` (the changelog "New OAuth v3 API Endpoints and
    Standardized Error Responses": both sets, the old kept for compatibility)."""
    return json_response({"error": RFC6749[status], "error_description": message,
                          "status": status, "message": message,
                          "correlationId": secrets.token_hex(16)}, 400)
