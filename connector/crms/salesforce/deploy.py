"""One Metadata API deploy: start it, follow it, and say exactly what Salesforce refused;
`listMetadata`, what setup deployed earlier that is still in the org; and `readMetadata`
of objects, which Lightning page each has activated (`push.activate_pages`).

Through simple-salesforce's `Salesforce.deploy(zipfile, sandbox=False)` and
`checkDeployStatus(asyncId)`: SOAP over the client's requests session, so the
transport's timeout, TLS verification, token, retries and error mapping apply as to
every other call. `sandbox=False` asks for what a production org requires anyway: no
missing files, and the whole deploy rolled back when one component fails.

`listMetadata(queries, asOfVersion)` and `readMetadata(type, fullNames)` are posted as
simple-salesforce posts deploy(): a SOAP envelope through the client's session (its
`mdapi` calls go through zeep and zeep's own HTTP session, which the transport would not
see: no CA file, no retries).
"""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from simple_salesforce.api import Salesforce

from connector.crms.salesforce.bundle import Archive
from connector.crms.salesforce.client import SalesforceClient
from connector.errors import ActionNeeded, FatalError

Progress = Callable[[str], None]
MIN_POLL_SECONDS, MAX_POLL_SECONDS = 0.05, 30.0
DEPLOY_TIMEOUT_SECONDS = 3600.0
DONE = frozenset({"Succeeded", "SucceededPartial", "Failed", "Canceled"})
METADATA = "http://soap.sforce.com/2006/04/metadata"
LIST_QUERIES = 3  # listMetadata takes at most three queries a call
READ_NAMES = 10  # readMetadata reads at most ten components a call
SOAP_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
    '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="{ns}"><soapenv:Header>'
    "<met:SessionHeader><met:sessionId>{session}</met:sessionId></met:SessionHeader>"
    "</soapenv:Header><soapenv:Body><met:{operation}>{inner}</met:{operation}></soapenv:Body>"
    "</soapenv:Envelope>"
)
SETUP_RIGHTS = ("setup's Salesforce user needs Customize Application, Modify Metadata, "
                "Manage Reports and Manage Dashboards in Public Folders, Manage Dynamic "
                "Dashboards and Manage Sharing")  # fmt: skip


class DeployError(ActionNeeded):
    """Salesforce refused the deploy; `failures` names each component and its problem.

    Exit 5, not 4: the same zip would be refused again the next night, so a person must
    act (a right, a limit of the org, a component an admin changed)."""

    def __init__(self, deploy_id: str, failures: list[str]) -> None:
        lines = "\n".join(f"  - {f}" for f in failures)
        super().__init__(f"Salesforce refused deploy {deploy_id} (nothing of it was kept):\n"
                         f"{lines}\n({SETUP_RIGHTS})")  # fmt: skip
        self.deploy_id = deploy_id
        self.failures = failures


@dataclass(frozen=True)
class Deployed:
    """A finished deploy: its id and how many components it deployed."""

    deploy_id: str
    components: int


@contextmanager
def _headers_kept(sf: Salesforce) -> Iterator[None]:
    """simple-salesforce's Metadata API calls change the client's shared headers (a SOAP
    Content-Type and SOAPAction) for good: put them back so later REST calls send JSON."""
    saved = dict(sf.headers)
    try:
        yield
    finally:
        sf.headers.clear()
        sf.headers.update(saved)


def deploy(
    client: SalesforceClient, archive: Archive, poll_seconds: float, progress: Progress
) -> Deployed:
    """Deploy the archive and wait for the end: polls after `poll_seconds`, then at twice
    the interval before (at most every 30 s); `DeployError` when Salesforce refuses."""
    sf = client.client
    with _headers_kept(sf):
        started = sf.deploy(io.BytesIO(archive.zip_bytes()), sandbox=False)
        deploy_id = str(started.get("asyncId") or "")
        if not deploy_id:
            raise FatalError("Salesforce answered the deploy without an id: nothing was deployed")
        progress(f"deploy {deploy_id}: {len(archive)} components sent, {started.get('state')}")
        status = _await(sf, deploy_id, poll_seconds, progress)
    return _result(archive, deploy_id, status)


def _await(sf: Salesforce, deploy_id: str, poll_seconds: float, progress: Progress) -> Any:
    delay, waited, said = max(poll_seconds, 0.0), 0.0, ""
    while True:
        time.sleep(delay)
        waited += delay
        status: dict[str, Any] = dict(sf.checkDeployStatus(deploy_id))
        state = str(status.get("state") or "")
        detail = status.get("deployment_detail") or {}
        line = (f"deploy {deploy_id}: {state}, {detail.get('deployed_count') or 0} of "
                f"{detail.get('total_count') or '?'} components")  # fmt: skip
        if status.get("state_detail"):
            line += f" ({status['state_detail']})"
        if line != said:
            progress(line)
            said = line
        if state in DONE:
            return status
        if waited >= DEPLOY_TIMEOUT_SECONDS:
            raise FatalError(f"deploy {deploy_id} is still {state or 'queued'} after "
                             f"{waited:,.0f} s; it goes on in Salesforce (Setup → Deployment "
                             "Status): run setup again once it has finished")  # fmt: skip
        delay = min(max(delay, MIN_POLL_SECONDS) * 2, MAX_POLL_SECONDS)


def _result(archive: Archive, deploy_id: str, status: Any) -> Deployed:
    state = str(status.get("state") or "")
    detail = status.get("deployment_detail") or {}
    errors = list(detail.get("errors") or [])
    if state in ("Succeeded",) and not errors:
        return Deployed(deploy_id, int(detail.get("deployed_count") or len(archive)))
    if state == "Canceled":
        raise DeployError(deploy_id, ["the deploy was canceled in Salesforce"])
    failures = [_failure(archive, e) for e in errors] or [
        f"the deploy ended {state or 'without a state'} without naming a component"
        + (f" ({status['state_detail']})" if status.get("state_detail") else "")
    ]
    raise DeployError(deploy_id, failures)


def _failure(archive: Archive, error: dict[str, Any]) -> str:
    """One componentFailure: the component, the file of the zip it came from, the problem."""
    file = error.get("file")
    found = archive.component(file)
    kind, name = found if found else (error.get("type") or "component", file or "?")
    problem = error.get("message") or "no problem given"
    level = f"{error['status']}: " if error.get("status") else ""
    return f"{kind} {name} ({file or 'no file named'}): {level}{problem}"


def listed(client: SalesforceClient, kinds: list[str]) -> dict[str, set[str]]:
    """The full names the org has of each metadata type (`listMetadata`, one call for up
    to three types), e.g. {"SharingCriteriaRule": {"Sales_KPI__c.CRM_KPI_Shared_Scopes"}}."""
    if not 0 < len(kinds) <= LIST_QUERIES:
        raise ValueError(f"listMetadata takes 1 to {LIST_QUERIES} types, not {len(kinds)}")
    queries = "".join(f"<met:queries><met:type>{escape(k)}</met:type></met:queries>"
                      for k in kinds)  # fmt: skip
    version = escape(str(client.client.sf_version))
    root = _soap(client, "listMetadata", f"{queries}<met:asOfVersion>{version}</met:asOfVersion>")
    found: dict[str, set[str]] = {kind: set() for kind in kinds}
    for result in root.iter(f"{{{METADATA}}}result"):
        kind = result.findtext(f"{{{METADATA}}}type") or ""
        name = result.findtext(f"{{{METADATA}}}fullName") or ""
        if kind in found and name:
            found[kind].add(name)
    return found


def read_overrides(
    client: SalesforceClient, sobjects: list[str]
) -> dict[str, list[dict[str, str]]]:
    """Each object's action overrides as the org has them (`readMetadata` of
    `CustomObject`, one call for up to ten): per override its elements, in order."""
    if not 0 < len(sobjects) <= READ_NAMES:
        raise ValueError(f"readMetadata reads 1 to {READ_NAMES} components, not {len(sobjects)}")
    names = "".join(f"<met:fullNames>{escape(s)}</met:fullNames>" for s in sobjects)
    root = _soap(client, "readMetadata", f"<met:type>CustomObject</met:type>{names}")
    found: dict[str, list[dict[str, str]]] = {}
    for record in root.iter(f"{{{METADATA}}}records"):
        name = record.findtext(f"{{{METADATA}}}fullName")
        if name:
            found[name] = [{c.tag.split("}")[-1]: (c.text or "").strip() for c in o}
                           for o in record.findall(f"{{{METADATA}}}actionOverrides")]
    return found


def _soap(client: SalesforceClient, operation: str, inner: str) -> ET.Element:
    """One Metadata API call posted as simple-salesforce posts deploy(); its answer."""
    sf = client.client
    body = SOAP_ENVELOPE.format(ns=METADATA, session=escape(sf.session_id or ""),
                                operation=operation, inner=inner)
    answer = sf.session.post(sf.metadata_url, data=body, headers={
        "Content-Type": "text/xml; charset=UTF-8", "SOAPAction": operation})  # fmt: skip
    try:
        return ET.fromstring(answer.content)
    except ET.ParseError as exc:
        raise FatalError(f"Salesforce answered {operation} with no XML: {exc}") from exc
