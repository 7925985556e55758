"""The Metadata API's SOAP endpoint (`/services/Soap/m/{version}`): deploy() and
checkDeployStatus(), the file-based deploy `sf project deploy` and package installs use,
listMetadata() for the types setup reads back and readMetadata() of objects (`md_list`).

simple-salesforce posts its envelopes to `…/deployRequest` and `…/deployRequest/{id}`;
the operation is the SOAP body's element whatever the path. The session is the
envelope's `SessionHeader` (the surface checks it before this handler runs). Other
Metadata API calls are answered with a fault naming them: the sandbox does not serve
them.
"""

from __future__ import annotations

from ..http import Endpoint, Request, Response
from ..ids import sf_id
from ..org.tables import ADMIN_USER_N
from .catalog import Catalog
from .context import Context
from .deploy import Deployer
from .md_access import PermissionSets, SharingRules
from .md_analytics import Folders, ReportFiles
from .md_dashboards import DashboardFiles
from .md_list import list_metadata, read_metadata
from .md_lwc import Bundles
from .md_objects import CustomObjects, CustomTabs
from .md_pages import FlexiPages
from .md_soap import RESULT_ORDER, Envelope, SoapFault, envelope, fault

SOAP = r"/services/Soap/m/(?P<v>\d+\.\d)"
SERVED = ("deploy", "checkDeployStatus", "listMetadata", "readMetadata")


class MetadataApi:
    """deploy() and checkDeployStatus() over the org's setup metadata."""

    def __init__(self, ctx: Context, catalog: Catalog) -> None:
        self.ctx, self.catalog = ctx, catalog
        self.deployer = Deployer(ctx, catalog, [
            CustomObjects(), CustomTabs(), Bundles(), FlexiPages(), Folders("ReportFolder"),
            Folders("DashboardFolder"), ReportFiles(), DashboardFiles(), PermissionSets(),
            SharingRules()])

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("POST", rf"{SOAP}/deployRequest/?", "metadata.deploy", self.call),
            Endpoint("POST", rf"{SOAP}/deployRequest/(?P<id>\w+)/?",
                     "metadata.checkDeployStatus", self.call),
            Endpoint("POST", rf"{SOAP}(?:/[\w/]*)?", "metadata.soap", self.call),
        ]

    def call(self, req: Request) -> Response:
        """Answer the envelope's operation, or the fault a real org would send."""
        try:
            env = Envelope(req)
            if env.name == "deploy":
                return self.deploy(env, req.params["v"])
            if env.name == "checkDeployStatus":
                return self.check(env)
            if env.name == "listMetadata":
                author = self.deployer.user_name(sf_id("005", ADMIN_USER_N))
                return list_metadata(env, self.ctx, self.catalog, author)
            if env.name == "readMetadata":
                return read_metadata(env, self.ctx, self.catalog)
            raise SoapFault("INVALID_OPERATION",
                            f"The sandbox does not serve the Metadata API call {env.name}() "
                            f"(it serves {', '.join(SERVED)})")
        except SoapFault as exc:
            return fault(exc.code, exc.message)
        except Exception as exc:  # what a real org answers as UNKNOWN_EXCEPTION
            return fault("UNKNOWN_EXCEPTION", f"An unexpected error occurred: {exc!r}")

    def deploy(self, env: Envelope, version: str) -> Response:
        zip_b64 = env.text("ZipFile")
        if not zip_b64:
            raise SoapFault("INVALID_TYPE", "deploy() needs a ZipFile")
        options = env.options()
        if env.text("DeployOptions/testLevel") not in ("", "NoTestRun", "RunLocalTests",
                                                       "RunAllTestsInOrg",
                                                       "RunSpecifiedTests"):
            raise SoapFault("INVALID_TYPE", "Invalid testLevel")
        user = self.ctx.access.user_of(env.session)
        if user is None:  # the surface checked the session; it expired since
            raise SoapFault("INVALID_SESSION_ID", "Invalid Session ID found in "
                            "SessionHeader: Illegal Session")
        job = self.deployer.start(zip_b64, options, version, user)
        return envelope("deployResponse", {"done": False, "id": job.id, "state": "Queued"},
                        ("done", "id", "state"))

    def check(self, env: Envelope) -> Response:
        job_id = env.text("asyncProcessId")
        details = env.text("includeDetails").lower() == "true"
        result = self.deployer.status(job_id, details)
        return envelope("checkDeployStatusResponse", result, RESULT_ORDER)
