"""`crm-kpi init --crm files|salesforce|hubspot`: a commented config.yaml and the mapping
file to edit, written without prompting."""

from __future__ import annotations

import shutil
from pathlib import Path

from connector.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
MAPPINGS = REPO / "mappings"

_HEADER = """\
# crm-kpi configuration, written by `crm-kpi init --crm {crm}`.
# Relative paths are read from this file's folder. Unknown keys are errors (a typo is
# reported with its line). Secrets are never written here: only ${{ENV_VAR}} references.
# Check it with: crm-kpi validate --config config.yaml

reporting:
  currency: USD              # the one reporting currency (ISO 4217)
  timezone: America/New_York # the org's time zone (IANA name): decides which day a deal closed
  fiscal_year_start_month: 1 # 1 = January; 4 for a fiscal year starting in April

store:
  path: ./crm-kpi.duckdb     # synced records, sync state, run log and KPI results

sources:
"""

_FOOTER = """
kpis:
  clv_lifespan_years: null   # customer lifespan for CLV; null = 1 / annual churn rate
  churn_basis: acquired      # churn over customers acquired in the period (or: start)
  closing_basis: created     # closing ratio over opportunities created (or: closed)
  growth_basis: previous     # growth vs the previous period (or: year_over_year)
  default_cogs_rate: 0.0     # cost of goods as a share of the amount when a deal has none
  churn_after_days: null     # days without a won deal before a customer counts as churned

# Targets per KPI, period type and scope (company unless scope_type/scope_id are given;
# the company-wide target is the fallback). Ratios are fractions, NPS is -100..100.
targets:
  - {kpi: total_revenue, period_type: month, value: 250000}
  - {kpi: closing_ratio, period_type: quarter, value: 0.25}
  - {kpi: avg_sales_cycle_days, period_type: quarter, value: 45}
  - {kpi: clv_to_cac, period_type: year, value: 3}
  - {kpi: nps, period_type: quarter, value: 40}
"""

SOURCE_SECTIONS: dict[str, str] = {
    "files": """\
  - name: exports
    type: files              # a folder of CSV exports, one file per entity
    path: ./exports          # owners.csv, accounts.csv, leads.csv, opportunities.csv, ...
    mapping: mappings/files.yaml   # column names and values of your exports
""",
    "salesforce": """  - name: salesforce
    type: salesforce
    login_url: production    # production, sandbox, or your My Domain https:// URL
    api_version: "62.0"
    auth:                    # the JWT bearer flow of a connected app (server to server)
      method: jwt
      consumer_key: 3MVG9...your-connected-app-consumer-key
      username: integration.user@example.com
      private_key_file: ./secrets/salesforce-jwt.key   # keep it out of version control
      # or: {method: refresh_token, client_id: ..., refresh_token: ${SF_REFRESH_TOKEN}}
      # or: {method: password, client_id: ..., client_secret: ${SF_CLIENT_SECRET},
      #      username: ..., password: ${SF_PASSWORD}, security_token: ${SF_TOKEN}}
    mapping: mappings/salesforce.yaml   # objects and fields read, and KPI fields written
    limits:
      max_share_of_remaining: 0.5      # never spend more than half the day's API calls left
    push:
      enabled: true          # write KPIs back (run `crm-kpi setup salesforce` once first)
""",
    "hubspot": """  - name: hubspot
    type: hubspot
    auth:
      method: private_app
      access_token: ${HUBSPOT_ACCESS_TOKEN}   # a private app's token, from the environment
      # or: {method: oauth, client_id: ${HUBSPOT_CLIENT_ID},
      #      client_secret: ${HUBSPOT_CLIENT_SECRET}, refresh_token: ${HUBSPOT_REFRESH_TOKEN}}
    mapping: mappings/hubspot.yaml      # properties read, and KPI properties written
    limits:
      requests_per_window: 90          # stay under the portal's 100 requests / 10 s
    push:
      enabled: true          # write KPIs back (run `crm-kpi setup hubspot` once first)
""",
}


def available() -> list[str]:
    """The CRMs `init` can write a config for."""
    return sorted(SOURCE_SECTIONS)


def write_config(crm: str, folder: Path, *, force: bool = False) -> list[Path]:
    """Write `config.yaml` and `mappings/<crm>.yaml` into `folder`; the paths written."""
    if crm not in SOURCE_SECTIONS:
        raise ConfigError([f"--crm: unknown CRM {crm!r}; one of {', '.join(available())}"])
    config_path = folder / "config.yaml"
    mapping_source = MAPPINGS / f"{crm}.yaml"
    mapping_path = folder / "mappings" / f"{crm}.yaml"
    if not mapping_source.is_file():
        raise ConfigError([f"default mapping {mapping_source} not found: run from a checkout"])
    existing = [p for p in (config_path, mapping_path) if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise ConfigError([f"{names}: already exists (use --force to overwrite)"])
    folder.mkdir(parents=True, exist_ok=True)
    mapping_path.parent.mkdir(parents=True, exist_ok=True)
    text = _HEADER.format(crm=crm) + SOURCE_SECTIONS[crm] + _FOOTER
    config_path.write_text(text, encoding="utf-8")
    shutil.copyfile(mapping_source, mapping_path)
    return [config_path, mapping_path]
