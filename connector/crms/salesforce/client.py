"""The Salesforce transport, shared by the source and the writer.

It owns the connection: token (see auth.py), the `SalesforceSession` that retries,
renews and accounts every call, and the simple-salesforce client handed that session.
Callers get plain Python data and connector errors, never a requests or
simple-salesforce exception.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from simple_salesforce.api import Salesforce

from connector.crms.salesforce.auth import Token, fetch_token
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.http import SalesforceSession
from connector.crms.salesforce.limits import LimitGuard
from connector.errors import FatalError

Record = dict[str, Any]
BULK_PAGE_RECORDS = 50_000


class SalesforceClient:
    """One authenticated connection to one org; close it (or use `with`)."""

    def __init__(self, config: SalesforceConfig) -> None:
        self.config = config
        self.guard = LimitGuard(config.limits.max_share_of_remaining)
        ca_file = str(config.ca_file) if config.ca_file else None
        self.session = SalesforceSession(config.http, self.guard, ca_file)
        self._client: Salesforce | None = None

    @property
    def client(self) -> Salesforce:
        """The simple-salesforce client, logging in on first use."""
        if self._client is None:
            token = self._login()
            instance_url = self.config.instance_url or token.instance_url
            self.session.api_host = urlsplit(instance_url).netloc
            self.session.renew = self._renew
            self._client = Salesforce(
                instance_url=instance_url,
                session_id=token.access_token,
                version=self.config.api_version,
                session=self.session,
            )
        return self._client

    @property
    def api_calls(self) -> int:
        """API calls made so far by this transport (retries included)."""
        return self.guard.calls

    def _login(self) -> Token:
        token = fetch_token(self.config.auth, self.session, self.config.login_url)
        self.session.access_token = token.access_token
        return token

    def _renew(self) -> None:
        self._login()

    def describe(self, sobject: str) -> Record:
        """The describe answer of one sObject."""
        return dict(self.client.restful(f"sobjects/{sobject}/describe") or {})

    def limits(self) -> Record:
        """The /limits answer (also fixes this run's API budget)."""
        return dict(self.client.restful("limits/") or {})

    def count(self, soql: str) -> int:
        """totalSize of a `SELECT COUNT() ...` query."""
        return int(self.client.query(soql)["totalSize"])

    def pages(self, soql: str, *, include_deleted: bool = False) -> Iterator[list[Record]]:
        """REST query results page by page (2,000 records each), with loop detection."""
        result = self.client.query(soql, include_deleted=include_deleted)
        seen: set[str] = set()
        while True:
            yield result["records"]
            if result.get("done", True):
                return
            next_url = str(result["nextRecordsUrl"])
            if next_url in seen:
                raise FatalError(f"Salesforce paginator loops: {next_url} was served twice")
            seen.add(next_url)
            result = self.client.query_more(next_url, identifier_is_url=True)

    def bulk_pages(
        self, sobject: str, soql: str, *, include_deleted: bool = False
    ) -> Iterator[list[Record]]:
        """Bulk API 2.0 query results as pages of flat records (lower-case path → text; an
        empty text is an empty value)."""
        handler = getattr(self.client.bulk2, sobject)
        run = handler.query_all if include_deleted else handler.query
        wait = self.config.pull.bulk_poll_seconds
        for page in run(soql, max_records=BULK_PAGE_RECORDS, wait=wait):
            reader = csv.reader(io.StringIO(str(page)))
            header = [name.lower() for name in next(reader, [])]
            yield [dict(zip(header, row, strict=True)) for row in reader]

    def restful(self, path: str, method: str = "GET", json: Any = None) -> Any:
        """A REST call relative to /services/data/vXX.X/."""
        if json is None:
            return self.client.restful(path, method=method)
        return self.client.restful(path, method=method, json=json)

    def close(self) -> None:
        """Close the HTTP session and its sockets."""
        self.session.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
