"""A made-up org's addresses and answers, for the transport's `responses` tests."""

from __future__ import annotations

from collections.abc import Sequence
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


METADATA_URL = f"{INSTANCE}/services/Soap/m/62.0/deployRequest"
_ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
             '"http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/'
             '04/metadata"><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>')  # fmt: skip


def deploy_answer(deploy_id: str = "0Af000000000001AAA") -> str:
    """The Metadata API's answer to deploy(): an AsyncResult."""
    return _ENVELOPE.format(f"<deployResponse><result><done>false</done><id>{deploy_id}</id>"
                            "<state>Queued</state></result></deployResponse>")  # fmt: skip


def deploy_status(
    status: str, total: int = 14, deployed: int = 14, failures: Sequence[dict[str, str]] = (),
    detail: str = "",
) -> str:  # fmt: skip
    """checkDeployStatus()'s DeployResult, with componentFailures when given."""
    failed = "".join(
        "<componentFailures><changed>false</changed><componentType>{type}</componentType>"
        "<created>false</created><deleted>false</deleted><fileName>{file}</fileName>"
        "<fullName>{name}</fullName><problem>{problem}</problem>"
        "<problemType>Error</problemType><success>false</success></componentFailures>"
        .format(**f) for f in failures
    )  # fmt: skip
    done = "true" if status in ("Succeeded", "Failed", "Canceled") else "false"
    state_detail = f"<stateDetail>{detail}</stateDetail>" if detail else ""
    return _ENVELOPE.format(
        f"<checkDeployStatusResponse><result><details>{failed}</details><done>{done}</done>"
        f"<id>0Af000000000001AAA</id><numberComponentErrors>{len(failures)}"
        f"</numberComponentErrors><numberComponentsDeployed>{deployed}"
        f"</numberComponentsDeployed><numberComponentsTotal>{total}</numberComponentsTotal>"
        f"{state_detail}<status>{status}</status><success>{done == 'true' and not failures}"
        "</success></result></checkDeployStatusResponse>".replace("True", "true")
        .replace("False", "false")
    )  # fmt: skip


def soap_fault(code: str, message: str) -> str:
    """A SOAP API refusal (sent with HTTP 500)."""
    fault = (f"<soapenv:Fault><faultcode>sf:{code}</faultcode>"
             f"<faultstring>{code}: {message}</faultstring></soapenv:Fault>")  # fmt: skip
    return _ENVELOPE.format(fault)
