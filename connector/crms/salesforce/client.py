"""The Salesforce transport, shared by the source and the writer.

It owns the connection: the token (see auth.py), the simple-salesforce client, and the
`SalesforceSession` it is handed, the one place requests are sent. simple-salesforce
and its Bulk API 2.0 client send everything through that session, which passes a
timeout, puts the current token on every API request, renews an expired session once,
retries transient failures (the shared loop of `connector.crms.client`), reads
`Sforce-Limit-Info` on every answer and maps every refusal onto connector errors.
Callers get plain Python data and connector errors, never a requests or
simple-salesforce exception.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.bulk2 import Operation

from connector.crms.client import Client, with_retries
from connector.crms.config import HttpSettings
from connector.crms.salesforce.auth import Token, fetch_token
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.errors import RETRIABLE_STATUS, map_error, soap_fault
from connector.crms.salesforce.limits import LimitGuard
from connector.errors import FatalError, RetriableError, TrustError

Record = dict[str, Any]
BULK_PAGE_RECORDS = 50_000
BULK_JOB_TIMEOUT_SECONDS = 24 * 3600  # simple-salesforce's own limit for a Bulk job
MIN_POLL_SECONDS, MAX_POLL_SECONDS = 0.05, 60.0
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
# The SOAP APIs (Metadata API) carry the session in the envelope, not in a header.
_SOAP_SESSION = re.compile(r"(<(?:[\w-]+:)?sessionId>)[^<]*(</(?:[\w-]+:)?sessionId>)")


def malformed_page(body: Any) -> str | None:
    """What makes a 2xx query answer no page of results (None if it is one): a page
    without `records` or `done` is an error to retry, never the end of a list."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        return "no records"
    if not isinstance(body.get("done"), bool):
        return "no done flag"
    if not body["done"] and not body.get("nextRecordsUrl"):
        return "not done, no nextRecordsUrl"
    return None


class SalesforceClient(Client):
    """One authenticated connection to one org; close it (or use `with`)."""

    crm = "Salesforce"

    def __init__(self, config: SalesforceConfig) -> None:
        super().__init__(config.http)
        self.config = config
        self.guard = LimitGuard(config.limits.max_share_of_remaining, self.stats)
        ca_file = str(config.ca_file) if config.ca_file else None
        self.session = SalesforceSession(config.http, self.guard, ca_file)
        self._client: Salesforce | None = None
        self.user_id: str | None = None  # the integration user's Id, once logged in

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

    def _login(self) -> Token:
        token = fetch_token(self.config.auth, self.session, self.config.login_url)
        self.session.access_token = token.access_token
        self.user_id = token.user_id or self.user_id
        return token

    def _renew(self) -> None:
        self._login()

    def renew_session(self) -> None:
        """Log in again (a composite subrequest met an expired session)."""
        if self._client is not None:
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

    def first_page(self, soql: str, *, include_deleted: bool = False) -> Record:
        """The first page of a REST query (`paging.query_pages` reads the rest)."""
        return self._page(
            "a query", partial(self.client.query, soql, include_deleted=include_deleted)
        )

    def next_page(self, url: str) -> Record:
        """The page at a `nextRecordsUrl`."""
        return self._page(url, partial(self.client.query_more, url, identifier_is_url=True))

    def _page(self, what: str, fetch: Callable[[], Any]) -> Record:
        """A query page, fetched again (retry policy) while the 2xx answer is no page."""

        def checked() -> Record:
            body = fetch()
            problem = malformed_page(body)
            if problem is not None:
                raise RetriableError(f"Salesforce answered {what} with no page ({problem})")
            return dict(body)

        return self.retrying(checked)

    def bulk_pages(
        self, sobject: str, soql: str, *, include_deleted: bool = False
    ) -> Iterator[list[Record]]:
        """Bulk API 2.0 query results as pages of flat records (lower-case path → text; an
        empty text is an empty value)."""
        # simple-salesforce's own wait polls every `wait` seconds, one API call each: the
        # job is created and awaited here with a growing interval, its pages read by it.
        jobs = getattr(self.client.bulk2, sobject)._client
        operation = Operation.query_all if include_deleted else Operation.query
        job_id = str(jobs.create_job(operation, soql)["id"])
        self._await_query_job(job_id, lambda: dict(jobs.get_job(job_id, True)))
        locator: str | None = ""
        while locator is not None:
            result = jobs.get_query_results(job_id, locator, BULK_PAGE_RECORDS)
            locator = str(result["locator"]) or None
            reader = csv.reader(io.StringIO(str(result["records"])))
            header = [name.lower() for name in next(reader, [])]
            yield [dict(zip(header, row, strict=True)) for row in reader]

    def _await_query_job(self, job_id: str, status: Callable[[], Record]) -> None:
        """Poll a Bulk query job until it is complete: after `bulk_poll_seconds`, then at
        twice the previous interval (up to a minute), so a short job costs one poll and a
        long one a few, not one per interval."""
        delay = float(self.config.pull.bulk_poll_seconds)
        waited = 0.0
        while True:
            time.sleep(delay)
            waited += delay
            info = status()
            state = str(info.get("state") or "")
            if state == "JobComplete":
                return
            if state in ("Failed", "Aborted"):
                raise FatalError(f"Salesforce Bulk API query job {job_id} {state.lower()}: "
                                 f"{info.get('errorMessage') or 'no message'}")  # fmt: skip
            if waited >= BULK_JOB_TIMEOUT_SECONDS:
                raise FatalError(f"Salesforce Bulk API query job {job_id} still {state} "
                                 f"after {waited:,.0f} s")  # fmt: skip
            delay = min(max(delay, MIN_POLL_SECONDS) * 2, MAX_POLL_SECONDS)

    def restful(self, path: str, method: str = "GET", json: Any = None) -> Any:
        """A REST call relative to /services/data/vXX.X/."""
        if json is None:
            return self.client.restful(path, method=method)
        return self.client.restful(path, method=method, json=json)

    def close(self) -> None:
        """Close the HTTP session and its sockets."""
        self.session.close()


class SalesforceSession(requests.Session):
    """The one place where requests to Salesforce are sent, retried and accounted."""

    def __init__(
        self, http: HttpSettings, guard: LimitGuard, ca_file: str | None = None
    ) -> None:
        super().__init__()
        if ca_file:
            # REQUESTS_CA_BUNDLE in the environment would silently override `verify`.
            self.verify = ca_file
            self.trust_env = False
        self.http = http
        self.guard = guard
        self.access_token = ""
        self.api_host = ""
        self.renew: Callable[[], None] | None = None

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send with timeout and retries; raise a connector error for any refusal."""
        kwargs.setdefault("timeout", self.http.timeout_seconds)
        text_url = url.decode() if isinstance(url, bytes) else url
        text_method = method.decode() if isinstance(method, bytes) else method
        return with_retries(
            self.http,
            self.guard.stats,
            "Salesforce",
            lambda: self._send(text_method, text_url, args, kwargs),
        )

    def _send(
        self, method: str, url: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> requests.Response:
        is_api = bool(self.api_host) and urlsplit(url).netloc == self.api_host
        response = self._send_once(method, url, args, kwargs, is_api)
        if is_api and _expired(response) and self.renew is not None:
            self.renew()  # an expired session is renewed once, transparently
            response = self._send_once(method, url, args, kwargs, is_api)
        if is_api and response.status_code >= 400:
            raise map_error(response)
        if not is_api and response.status_code in RETRIABLE_STATUS:
            raise map_error(response)
        return response

    def _send_once(
        self,
        method: str,
        url: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        is_api: bool,
    ) -> requests.Response:
        if is_api:
            self.guard.count_call()
            headers = dict(kwargs.get("headers") or {})
            headers["Authorization"] = f"Bearer {self.access_token}"
            kwargs = {**kwargs, "headers": headers}
            if isinstance(kwargs.get("data"), str):  # a SOAP envelope: its session too
                token = self.access_token
                kwargs["data"] = _SOAP_SESSION.sub(
                    lambda m: f"{m.group(1)}{token}{m.group(2)}", kwargs["data"]
                )
        path = urlsplit(url).path
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise TrustError(f"TLS verification failed for {urlsplit(url).netloc}: set ca_file: "
                             "to the CA that signed its certificate") from exc
        except _TRANSIENT as exc:
            raise RetriableError(f"{method} {path}: {type(exc).__name__}") from exc
        if is_api:
            self.guard.observe(response.headers.get("Sforce-Limit-Info"))
        return response


def _expired(response: requests.Response) -> bool:
    """A refused session: 401 on REST, an INVALID_SESSION_ID fault on SOAP."""
    if response.status_code == 401:
        return True
    fault = soap_fault(response) if response.status_code == 500 else None
    return fault is not None and fault[1] == "INVALID_SESSION_ID"
