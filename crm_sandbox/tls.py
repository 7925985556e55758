"""TLS for the loopback server: a CA made at start and a certificate for 127.0.0.1.

`trustme` makes them. It is an optional dependency (the `sandbox` extra), imported
only here, when a sandbox starts: the product installs and imports without it. The
same goes for `graphql-core` (the UI API's GraphQL endpoint): `require` names the extra
before a sandbox does any work.
"""

from __future__ import annotations

import importlib.util
import ssl
from pathlib import Path
from types import ModuleType

INSTALL_HINT = "pip install 'crm-kpi[sandbox]'"


class MissingDependency(RuntimeError):
    """A package the sandbox needs to start is not installed."""


def require(module: str, package: str) -> None:
    """MissingDependency naming the extra when `module` (of `package`) is not installed."""
    if importlib.util.find_spec(module) is None:
        raise MissingDependency(f"the CRM sandbox needs the '{package}' package; install it "
                                f"with: {INSTALL_HINT}")


def make_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A fresh CA and a server certificate for 127.0.0.1/localhost; returns (ctx, ca file)."""
    ca = _trustme().CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ctx, ca_file


def _trustme() -> ModuleType:
    """The trustme module, or MissingDependency naming the extra that installs it."""
    try:
        import trustme
    except ImportError as exc:
        raise MissingDependency(
            f"the CRM sandbox needs the 'trustme' package to make its TLS certificates "
            f"({exc}); install it with: {INSTALL_HINT}") from None
    return trustme
