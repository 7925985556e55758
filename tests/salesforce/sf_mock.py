"""A made-up org's addresses and answers, for the transport's `responses` tests."""

from __future__ import annotations

from typing import Any

LOGIN = "https://login.example.com"
INSTANCE = "https://na1.example.com"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
QUERY_URL = f"{INSTANCE}/services/data/v62.0/query/"
LIMITS_URL = f"{INSTANCE}/services/data/v62.0/limits/"
SECRET = "refresh-secret-0123456789"


def page(
    records: list[dict[str, Any]], next_url: str | None = None, total: int = 5
) -> dict[str, Any]:
    answer: dict[str, Any] = {"totalSize": total, "done": next_url is None, "records": records}
    if next_url:
        answer["nextRecordsUrl"] = next_url
    return answer
