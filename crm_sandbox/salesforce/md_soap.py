"""The Metadata API's SOAP envelopes: requests read, answers and faults written.

Shapes from the Metadata API WSDL (the copy simple-salesforce ships,
`simple_salesforce/metadata.wsdl`, API 63.0): `deploy(ZipFile, DeployOptions)` answers an
`AsyncResult` (`done`, `id`, `state`); `checkDeployStatus(asyncProcessId,
includeDetails)` answers a `DeployResult` whose elements are written in the WSDL's
sequence order. Faults are SOAP 1.1 faults, HTTP 500, `faultcode` `sf:<ExceptionCode>`
and `faultstring` `<ExceptionCode>: <message>`, as real orgs send them ("sf:INVALID_SESSION_ID",
"INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session").
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from ..http import Request, Response

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
MD = "http://soap.sforce.com/2006/04/metadata"
_Q = {"s": SOAPENV, "m": MD}
RESULT_ORDER = (
    "canceledBy", "canceledByName", "checkOnly", "completedDate", "createdBy",
    "createdByName", "createdDate", "details", "done", "errorMessage", "errorStatusCode", "id",
    "ignoreWarnings", "lastModifiedDate", "numberComponentErrors", "numberComponentsDeployed",
    "numberComponentsTotal", "numberTestErrors", "numberTestsCompleted", "numberTestsTotal",
    "rollbackOnError", "runTestsEnabled", "startDate", "stateDetail", "status", "success",
)
MESSAGE_ORDER = ("changed", "columnNumber", "componentType", "created", "createdDate",
                 "deleted", "fileName", "fullName", "id", "lineNumber", "problem",
                 "problemType", "success")
OPTIONS = ("allowMissingFiles", "autoUpdatePackage", "checkOnly", "ignoreWarnings",
           "performRetrieve", "purgeOnDelete", "rollbackOnError", "singlePackage")


class SoapFault(Exception):
    """A call refused as a whole: answered as a SOAP fault."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Envelope:
    """A parsed request: the session of its SessionHeader and its one body operation."""

    def __init__(self, req: Request) -> None:
        try:
            root = ET.fromstring(req.body or b"")
        except ET.ParseError as exc:
            raise SoapFault("INVALID_XML", f"The request is not valid XML: {exc}") from exc
        if root.tag != f"{{{SOAPENV}}}Envelope":
            raise SoapFault("INVALID_XML", "The request is not a SOAP envelope")
        self.session = (root.findtext("s:Header/m:SessionHeader/m:sessionId", "", _Q)
                        or "").strip()
        body = root.find("s:Body", _Q)
        if body is None or len(body) != 1:
            raise SoapFault("INVALID_XML", "The SOAP body must hold one operation")
        self.op = body[0]
        self.name = self.op.tag.replace(f"{{{MD}}}", "")

    def text(self, path: str) -> str:
        """The text at `path` under the operation (metadata namespace), "" when absent."""
        found = self.op.find("/".join(f"m:{p}" for p in path.split("/")), _Q)
        return (found.text or "").strip() if found is not None else ""

    def options(self) -> dict[str, bool]:
        """DeployOptions' booleans, false when absent (the documented defaults)."""
        out = {}
        for name in OPTIONS:
            value = self.text(f"DeployOptions/{name}").lower()
            if value not in ("", "true", "false"):
                raise SoapFault("INVALID_TYPE", f"'{value}' is not valid for {name}: "
                                "expected true or false")
            out[name] = value == "true"
        return out


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def element(name: str, value: Any, order: tuple[str, ...] = ()) -> str:
    """`<name>…</name>`: dicts as elements in `order`, lists repeated, None left out."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(element(name, v, order) for v in value)
    if isinstance(value, dict):
        keys = [k for k in order if k in value] + [k for k in value if k not in order]
        inner = "".join(element(k, value[k], MESSAGE_ORDER if k.startswith("component")
                                else ()) for k in keys)
        return f"<{name}>{inner}</{name}>"
    return f"<{name}>{_value(value)}</{name}>"


def envelope(operation: str, result: dict[str, Any] | list[dict[str, Any]],
             order: tuple[str, ...]) -> Response:
    """The answer to `operation`: its `result` (a list: one `result` element each)."""
    body = (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAPENV}" '
            f'xmlns="{MD}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<soapenv:Body><{operation}>{element('result', result, order)}</{operation}>"
            "</soapenv:Body></soapenv:Envelope>")
    return Response(200, body.encode(), {"Content-Type": "text/xml;charset=UTF-8"})


def fault(code: str, message: str) -> Response:
    """A SOAP fault as the Metadata API sends it (HTTP 500)."""
    body = (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAPENV}" '
            f'xmlns:sf="{MD}"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode>'
            f"<faultstring>{escape(code)}: {escape(message)}</faultstring></soapenv:Fault>"
            "</soapenv:Body></soapenv:Envelope>")
    return Response(500, body.encode(), {"Content-Type": "text/xml;charset=UTF-8"})


def session_of(req: Request) -> str:
    """The SessionHeader's session id of a request ("" when unreadable): the Metadata API
    authenticates by it, not by an Authorization header."""
    try:
        return Envelope(req).session
    except SoapFault:
        return ""
