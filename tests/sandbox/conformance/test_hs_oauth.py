"""Token refresh as tap-hubspot 4.5 sends it, to the OAuth endpoint that replaces v1."""

from __future__ import annotations

import pytest

from . import recorded as rec
from .conftest import Portal

pytestmark = pytest.mark.e2e


def refresh(portal: Portal, path: str, **override: str) -> tuple[int, dict[str, str]]:
    info = portal.sb.info["hubspot"]
    form = {"grant_type": "refresh_token", "redirect_uri": "https://example.com/callback",
            "refresh_token": info["refresh_token"], "client_id": info["client_id"],
            "client_secret": info["client_secret"], **override}
    assert set(form) == set(rec.SINGER_TOKEN_FORM)
    r = portal.http.post(portal.host + path, data=form, timeout=30)
    return r.status_code, r.json()


@pytest.mark.parametrize("path", [rec.SINGER_TOKEN_PATH, "/oauth/v3/token",
                                  "/oauth/v1/token"])
def test_a_refreshed_token_reads_the_portal(portal: Portal, path: str) -> None:
    status, answer = refresh(portal, path)
    assert status == 200, answer
    assert {"access_token", "refresh_token", "expires_in"} <= set(answer)
    r = portal.http.get(portal.host + "/crm/v3/objects/deals", params={"limit": 1},
                        headers={"Authorization": f"Bearer {answer['access_token']}"},
                        timeout=30)
    assert r.status_code == 200, r.text


def test_refusals_carry_rfc_6749_and_hubspot_fields(portal: Portal) -> None:
    status, answer = refresh(portal, rec.SINGER_TOKEN_PATH, refresh_token="revoked")
    assert status == 400
    assert answer["error"] == "invalid_grant"
    assert answer["status"] == "BAD_REFRESH_TOKEN"
    assert answer["error_description"] == answer["message"]
    status, answer = refresh(portal, rec.SINGER_TOKEN_PATH, client_secret="wrong")
    assert (status, answer["error"], answer["status"]) == (400, "invalid_client",
                                                           "BAD_CLIENT_ID")
