"""End to end through simple-salesforce: `push.share_company` turned off takes the
company, team and territory rows away from reps, at once; a rerun costs one check; turned
on again, they come back. Pages `push.pages` no longer lists are kept, and said so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sf_helpers import as_user, config_yaml, make_source

from connector.cli import main
from connector.crms.salesforce.names import SHARING_RULE
from connector.resources import shipped
from crm_sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # four setups of a fresh org: ~15 s

REP = "ben.chen.3@sandbox.example"  # NA West Wolves: owns none of the rows below
SHIPPED = Path(shipped("mappings/salesforce.yaml")).read_text()
SCOPES = ("company", "team", "territory", "owner")
LIST = "salesforce.metadata.soap"  # listMetadata (the route of other Metadata API calls)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Path]]:
    folder = tmp_path_factory.mktemp("sharing")
    with Sandbox(seed=7, scale=0.01) as sb, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SF_REFRESH_TOKEN", sb.info["salesforce"]["refresh_token"])
        yield sb, folder


def configure(sb: Sandbox, folder: Path, share: bool, pages: str) -> Path:
    """A config of its own whose mapping is the shipped one with
    `share_company` and `pages` as given."""
    own = folder / f"share_{str(share).lower()}"
    own.mkdir(exist_ok=True)
    mapping = own / "salesforce.yaml"
    flag = f"share_company: {str(share).lower()}"
    mapping.write_text(SHIPPED.replace("share_company: true", flag)
                       .replace("pages: [home, user, account, opportunity]", f"pages: {pages}"))
    return config_yaml(sb, own, mapping=mapping)


def setup(sb: Sandbox, config: Path) -> dict[str, int]:
    """Run setup (exit 0); the sandbox's calls by endpoint it took."""
    before = dict(sb.stats()["endpoints"])
    assert main(["setup", "salesforce", "--config", str(config)]) == 0
    after = sb.stats()["endpoints"]
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def rows_of_each_scope(sb: Sandbox) -> None:
    """One KPI row per scope, owned by the integration user (as the push writes them)."""
    with make_source(sb).transport() as api:
        records = [{"attributes": {"type": "Sales_KPI__c"}, "Name": f"Revenue · {s}",
                    "KPI_Key__c": f"test-{s}", "Scope_Type__c": s} for s in SCOPES]
        api.restful("composite/sobjects", "POST", {"allOrNone": True, "records": records})


def scopes_seen(sb: Sandbox) -> set[str]:
    rows = as_user(sb, REP).query_all("SELECT Scope_Type__c FROM Sales_KPI__c")["records"]
    return {r["Scope_Type__c"] for r in rows}


def test_turning_share_company_off_takes_the_shared_rows_away(
        org: tuple[Sandbox, Path], capsys: pytest.CaptureFixture[str]) -> None:
    sb, folder = org
    on = configure(sb, folder, True, "[home, user, account, opportunity]")
    off = configure(sb, folder, False, "[home]")
    setup(sb, on)
    rows_of_each_scope(sb)
    assert scopes_seen(sb) == {"company", "team", "territory"}
    capsys.readouterr()
    assert main(["validate", "--config", str(off)]) == 2
    assert f"remove the sharing rule {SHARING_RULE}" in capsys.readouterr().err

    removing = setup(sb, off)
    out = capsys.readouterr().out
    assert f"sharing rule {SHARING_RULE} removed" in out
    assert "visible only to their owners and those above them" in out
    assert scopes_seen(sb) == set()  # SOQL as the rep: the rule is gone
    for page in ("CRM_KPI_User_Record", "CRM_KPI_Account_Record", "CRM_KPI_Opportunity_Record"):
        assert f"Lightning page {page} stays in the org" in out
    assert "CRM_KPI_Home stays" not in out
    assert removing[LIST] == 1, removing

    again = setup(sb, off)  # the rule already gone: one listMetadata, nothing removed
    assert "removed" not in capsys.readouterr().out
    assert again[LIST] == 1
    assert again == removing  # the same calls: the removal cost none of its own
    assert main(["validate", "--config", str(off)]) == 0

    setup(sb, on)
    assert scopes_seen(sb) == {"company", "team", "territory"}
