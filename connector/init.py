"""`crm-kpi init --crm files|salesforce|hubspot`: a commented config.yaml and the mapping
file to edit, written without prompting."""

from __future__ import annotations

import shutil
from pathlib import Path

from connector.crms.config import shipped_mapping
from connector.crms.registry import CRMS
from connector.errors import ConfigError

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
  churn_basis: start         # churn over the customers at the start of the period (or: acquired)
  closing_basis: created     # closing ratio over opportunities created (or: closed)
  growth_basis: previous     # growth vs the previous period (or: year_over_year)
  default_cogs_rate: 0.0     # cost of goods as a share of the amount when a deal has none
  churn_after_days: null     # days without a won deal before a customer counts as churned

# Targets kept in a spreadsheet (kpi, period_type, period, scope_type, scope, value): name
# the CSV here. Salesforce quotas and HubSpot goals are read by the mapping's targets:.
# targets_file: ./targets.csv

# Targets per KPI, period type and scope (company unless scope_type/scope_id are given;
# a target applies to that scope only). Ratios are fractions, NPS is -100..100.
targets:
  - {kpi: total_revenue, period_type: month, value: 250000}
  - {kpi: closing_ratio, period_type: quarter, value: 0.25}
  - {kpi: avg_sales_cycle_days, period_type: quarter, value: 45}
  - {kpi: clv_to_cac, period_type: year, value: 3}
  - {kpi: nps, period_type: quarter, value: 40}
"""

def available() -> list[str]:
    """The CRMs `init` can write a config for."""
    return sorted(CRMS)


def write_config(crm: str, folder: Path, *, force: bool = False) -> list[Path]:
    """Write `config.yaml` and `mappings/<crm>.yaml` into `folder`; the paths written."""
    if crm not in CRMS:
        raise ConfigError([f"--crm: unknown CRM {crm!r}; one of {', '.join(available())}"])
    config_path = folder / "config.yaml"
    mapping_name = CRMS[crm].config.default_mapping
    mapping_source = shipped_mapping(mapping_name)
    mapping_path = folder / "mappings" / mapping_name
    existing = [p for p in (config_path, mapping_path) if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise ConfigError([f"{names}: already exists (use --force to overwrite)"])
    folder.mkdir(parents=True, exist_ok=True)
    mapping_path.parent.mkdir(parents=True, exist_ok=True)
    text = _HEADER.format(crm=crm) + CRMS[crm].example + _FOOTER
    config_path.write_text(text, encoding="utf-8")
    shutil.copyfile(mapping_source, mapping_path)
    made = [folder / name for name in CRMS[crm].folders if not (folder / name).exists()]
    for path in made:
        path.mkdir(parents=True)
    return [config_path, mapping_path, *made]
