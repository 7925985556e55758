"""What the Sales KPIs app card (hubspot-app/, a HubSpot UI extension) knows of the KPI
registry: each KPI's label, unit, decimals, direction and parts, and the account
figures, as the JSON file the card imports (`src/app/cards/kpis.json`).

The card cannot import Python: the file is generated from the registry by `card_kpis`
and a test compares the committed copy with it, so labels never drift. Split KPIs
(sales by contact method) have no whole-scope figure and are left to the KPI record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connector.crms.hubspot.fields import kpi_property
from connector.kpis import KPI_KEYS, get_kpi
from connector.presentation import ACCOUNT_FIGURES, Slot, parts_of

CARD_FOLDER = Path("hubspot-app") / "src" / "app" / "cards"
"""Where the card lives in the repository."""


def card_kpis(kpis: tuple[str, ...] = KPI_KEYS) -> dict[str, Any]:
    """The registry as the card reads it (stable order: the registry's)."""
    out: list[dict[str, Any]] = []
    for key in kpis:
        kpi = get_kpi(key)
        if kpi.split_by is not None:
            continue
        parts = parts_of(kpi)
        out.append({
            "key": kpi.key, "label": kpi.label, "shortLabel": kpi.short_label,
            "unit": kpi.unit, "decimals": kpi.decimals,
            "higherIsBetter": kpi.higher_is_better,
            "properties": {part: kpi_property(Slot(kpi, part)) for part in parts},
        })  # fmt: skip
    figures = [{"key": f.key, "label": f.label, "unit": f.unit, "decimals": f.decimals}
               for f in ACCOUNT_FIGURES]  # fmt: skip
    return {"kpis": out, "accountFigures": figures}


def card_kpis_json() -> str:
    """`kpis.json` as committed (two-space indent, a final newline)."""
    return json.dumps(card_kpis(), indent=2, ensure_ascii=False) + "\n"
