"""The KPI card, a Lightning Web Component (`lwc/salesKpiCard`, package data): its
sources as shipped, and the two files that follow the writer mapping.

`kpiCatalog.js` names the fields the card reads (each KPI's value, target, attainment and
pace; what a record says about its period; the account figures) and holds the two
GraphQL queries it sends through `lightning/uiGraphQLApi`, whose queries are fixed text.
`salesKpiCard.js-meta.xml` exposes it to Lightning App Builder on the Home page and the
User, Account (when the mapping writes account figures) and Opportunity record pages.
The shipped copies are those of the default mapping (the card's Jest tests run on them);
setup writes both again for the org's own mapping, with the same functions.
"""

from __future__ import annotations

import json
from typing import Any

from connector.crms.salesforce.components import NAMESPACE
from connector.crms.salesforce.fields import NAME_FIELD, RECORD_FIELDS
from connector.crms.salesforce.mapping import PushMapping, field_name
from connector.crms.salesforce.names import CARD
from connector.presentation import AS_OF, get_figure, kpi_slots
from connector.resources import shipped

FOLDER = f"crms/salesforce/lwc/{CARD}"
CATALOG = "kpiCatalog.js"
META = f"{CARD}.js-meta.xml"
SOURCES = (f"{CARD}.js", f"{CARD}.html", f"{CARD}.css", "format.js")
QUERY_MARK = "gql`"
_INDENT = "    "
DESCRIPTION = ("Sales KPIs from crm-kpi: the viewer's own on Home, the owner's on a user or "
               "opportunity, the account's own figures on an account.")  # fmt: skip


def card_kpis(push: PushMapping) -> list[dict[str, Any]]:
    """Each whole-scope KPI of the mapping: key, registry label (object info's stands in
    front of it), unit, direction, decimals and the field of each of its parts."""
    out: dict[str, dict[str, Any]] = {}
    for slot in kpi_slots(push.kpi_fields):
        if slot.breakdown is not None:
            continue
        kpi = slot.kpi
        entry = out.setdefault(kpi.key, {"key": kpi.key, "label": kpi.label, "unit": kpi.unit,
                                         "better": kpi.better, "decimals": kpi.decimals})
        entry[slot.part] = field_name(push.kpi_fields[kpi.key], slot)
    return list(out.values())


def card_figures(push: PushMapping) -> list[dict[str, Any]]:
    """Each account figure the mapping writes on Account, with its field."""
    return [
        {"key": key, "label": get_figure(key).label, "unit": get_figure(key).unit,
         "decimals": get_figure(key).decimals, "field": push.account_field(key)}
        for key in push.account_fields
    ]  # fmt: skip


_RECORD_KEYS = {"period": "period", "periodStart": "period_start",
                "periodStatus": "period_status", "paceNote": "pace_note", "asOf": AS_OF}


def record_fields() -> dict[str, str]:
    """What a KPI record says about its period: which it is, whether it is in progress,
    why it has no pace yet, and when its figures were computed."""
    fields = {"name": NAME_FIELD}
    fields.update({key: RECORD_FIELDS[column][0] for key, column in _RECORD_KEYS.items()})
    return fields


def _selection(names: list[str], depth: int, text: frozenset[str] = frozenset()) -> str:
    """Each field with its value, and Salesforce's formatted displayValue except for the
    Text fields in `text` (whose value is their display)."""
    pad = _INDENT * depth
    return "\n".join(
        f"{pad}{n} {{ value }}" if n in text else f"{pad}{n} {{ value displayValue }}"
        for n in names
    )


def owner_query(push: PushMapping) -> str:
    """The records of one rep (`$ownerId`): their own rows of the current period type,
    the latest two periods that have begun."""
    record = record_fields()
    fields = [*record.values()] + [
        f for kpi in card_kpis(push) for part in ("value", "target", "attainment", "pace")
        if (f := kpi.get(part))
    ]  # fmt: skip
    scope, period_type = RECORD_FIELDS["scope_type"][0], RECORD_FIELDS["period_type"][0]
    start = record["periodStart"]
    return f"""query salesKpiCardOwner($ownerId: ID) {{
    uiapi {{
        query {{
            {push.object}(
                where: {{
                    and: [
                        {{ OwnerId: {{ eq: $ownerId }} }}
                        {{ {scope}: {{ eq: "owner" }} }}
                        {{ {period_type}: {{ eq: "{push.current_period_type}" }} }}
                        {{ {start}: {{ lte: {{ literal: TODAY }} }} }}
                    ]
                }}
                orderBy: {{ {start}: {{ order: DESC }} }}
                first: 2
            ) {{
                edges {{
                    node {{
                        Id
{_selection(fields, 6, frozenset({record["name"], record["period"], record["paceNote"],
                                   record["periodStatus"]}))}
                    }}
                }}
            }}
        }}
    }}
}}"""


def account_query(push: PushMapping) -> str:
    """One account's own figures (`$accountId`)."""
    fields = [f["field"] for f in card_figures(push)] or [NAME_FIELD]
    text = frozenset({NAME_FIELD})
    return f"""query salesKpiCardAccount($accountId: ID) {{
    uiapi {{
        query {{
            Account(where: {{ Id: {{ eq: $accountId }} }}, first: 1) {{
                edges {{
                    node {{
                        Id
{_selection(fields, 6, text)}
                    }}
                }}
            }}
        }}
    }}
}}"""


def _js(value: Any) -> str:
    return json.dumps(value, indent=4, ensure_ascii=False)


def catalog_js(push: PushMapping) -> str:
    """`kpiCatalog.js` for this mapping."""
    return f"""// Generated by crm-kpi from the writer mapping (connector/crms/salesforce/card.py):
// the fields the card reads and the queries it sends. `crm-kpi setup salesforce`
// writes it again for the org's own mapping; edit the mapping, not this file.
import {{ gql }} from 'lightning/uiGraphQLApi';

export const KPI_OBJECT = {_js(push.object)};
export const PERIOD_TYPE = {_js(push.current_period_type)};
export const RECORD = {_js(record_fields())};
export const KPIS = {_js(card_kpis(push))};
export const FIGURES = {_js(card_figures(push))};

export const OWNER_QUERY = {QUERY_MARK}
{owner_query(push)}
`;

export const ACCOUNT_QUERY = {QUERY_MARK}
{account_query(push)}
`;
"""


def meta_xml(push: PushMapping, api_version: str) -> str:
    """`salesKpiCard.js-meta.xml`: exposed on Home and the record pages it has data for."""
    objects = ["User", *(["Account"] if push.account_fields else []), "Opportunity"]
    listed = "\n".join(f"                <object>{o}</object>" for o in objects)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<LightningComponentBundle xmlns="{NAMESPACE}">
    <apiVersion>{api_version}</apiVersion>
    <description>{DESCRIPTION}</description>
    <isExposed>true</isExposed>
    <masterLabel>Sales KPIs</masterLabel>
    <targets>
        <target>lightning__HomePage</target>
        <target>lightning__RecordPage</target>
    </targets>
    <targetConfigs>
        <targetConfig targets="lightning__RecordPage">
            <objects>
{listed}
            </objects>
        </targetConfig>
    </targetConfigs>
</LightningComponentBundle>
"""


def card_files(push: PushMapping, api_version: str) -> dict[str, bytes]:
    """The bundle's files by name: the shipped sources, and the catalog and
    configuration of this mapping."""
    folder = shipped(FOLDER)
    files = {name: (folder / name).read_bytes() for name in SOURCES}
    files[CATALOG] = catalog_js(push).encode()
    files[META] = meta_xml(push, api_version).encode()
    return files


def queries_in(catalog: str) -> list[str]:
    """The GraphQL queries a `kpiCatalog.js` holds, as the card sends them."""
    parts = catalog.split(QUERY_MARK)[1:]
    return [part.split("`", 1)[0].strip() for part in parts]


def shipped_defaults() -> dict[str, str]:
    """The generated files as shipped: those of the default mapping and API version."""
    from connector.crms.salesforce.config import SalesforceConfig
    from connector.crms.salesforce.mapping import load_mapping

    push = load_mapping(shipped(f"mappings/{SalesforceConfig.default_mapping}")).push
    version = str(SalesforceConfig.model_fields["api_version"].default)
    return {CATALOG: catalog_js(push), META: meta_xml(push, version)}


if __name__ == "__main__":  # python -m connector.crms.salesforce.card: refresh the shipped copies
    for name, text in shipped_defaults().items():
        (shipped(FOLDER) / name).write_text(text, encoding="utf-8")
