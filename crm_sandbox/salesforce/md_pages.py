"""FlexiPage (a Lightning page) as a deploy reads, checks and saves it.

Metadata API Developer Guide, "FlexiPage": `masterLabel`, `type` (the sandbox serves
HomePage, RecordPage and AppPage), `sobjectType` (record pages only; "After the value of
this field is set, it can't be changed"), `template` (API 39.0 and later; earlier
versions use pageTemplate), `flexiPageRegions` (`name`, `type` Region or Facet,
`itemInstances/componentInstance` with `componentName`, `identifier` and
`componentInstanceProperties`; array values as `valueList` from API 49.0). "A Lightning
page region can contain up to 100 components." A custom component `c:x` must be a bundle
exposed for the page's target (`lightning__HomePage`, `lightning__RecordPage`,
`lightning__AppPage`) and, for a record page, allowed on its object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ids import sf_id
from .md_lwc import BundleDef
from .md_package import Component
from .md_types import Item, Plan
from .md_xml import TEXT, Node, Problem, check, developer_name_problem, spec

PROPERTY = spec("ComponentInstanceProperty", name=TEXT, type=("decorator",), value=TEXT,
                valueList=spec("ComponentInstancePropertyList", valueListItems__=spec(
                    "ComponentInstancePropertyListItem", value=TEXT)))
COMPONENT = spec("ComponentInstance", componentInstanceProperties__=PROPERTY,
                 componentName_=TEXT, identifier=TEXT)
REGION = spec("FlexiPageRegion", itemInstances__=spec("ItemInstance",
                                                      componentInstance=COMPONENT),
              mode=("Append", "Prepend", "Replace"), name_=TEXT,
              type_=("Region", "Facet", "Background"))
PAGE_TYPES = ("AppPage", "ObjectPage", "RecordPage", "HomePage", "UtilityBar",
              "RecordPreview", "CommAppPage", "MailAppAppPage")
FLEXIPAGE = spec("FlexiPage", description=TEXT, flexiPageRegions__=REGION, masterLabel_=TEXT,
                 parentFlexiPage=TEXT, sobjectType=TEXT,
                 template_=spec("FlexiPageTemplateInstance", name_=TEXT,
                                properties__=PROPERTY), type_=PAGE_TYPES)
SERVED = {"HomePage": "lightning__HomePage", "RecordPage": "lightning__RecordPage",
          "AppPage": "lightning__AppPage"}
TEMPLATES = {  # the standard templates the sandbox knows, their page type and regions
    "home:desktopTemplate": ("HomePage", {"top", "bottomLeft", "bottomRight", "sidebar"}),
    "flexipage:recordHomeTemplateDesktop": ("RecordPage", {"header", "main", "sidebar"}),
    "flexipage:recordHomeWithSubheaderTemplateDesktop": (
        "RecordPage", {"header", "subheader", "main", "sidebar"}),
    "flexipage:defaultAppHomeTemplate": ("AppPage", {"main"}),
}
STANDARD = {  # standard components the sandbox knows, and the pages they go on
    "force:highlightsPanel": {"RecordPage"}, "force:detailPanel": {"RecordPage"},
    "force:relatedListContainer": {"RecordPage"},
    "runtime_sales_activities:activityPanel": {"RecordPage"},
    "flexipage:tabset": {"RecordPage", "HomePage", "AppPage"},
    "flexipage:tab": {"RecordPage", "HomePage", "AppPage"},
    "flexipage:richText": {"RecordPage", "HomePage", "AppPage"},
    "flexipage:reportChart": {"RecordPage", "HomePage", "AppPage"},
    "home:heroChart": {"HomePage"}, "home:recentRecordContainer": {"HomePage"},
    "home:todayTasksContainer": {"HomePage"},
}
REGION_LIMIT, LABEL_LIMIT = 100, 80


@dataclass
class PageDef:
    name: str
    label: str
    page_type: str
    sobject: str | None
    template: str
    description: str
    placements: list[tuple[Node, str, list[str]]] = field(default_factory=list)


class FlexiPages:
    """FlexiPage: read the regions, check every placed component, save the page."""

    type = "FlexiPage"

    def parse(self, comp: Component, plan: Plan) -> PageDef:
        root = comp.root
        assert root is not None
        why = developer_name_problem(comp.full_name, "Lightning page")
        if why:
            raise Problem(why)
        if plan.version < 39.0:
            raise Problem("FlexiPage template is available in API version 39.0 and later "
                          f"(pageTemplate before): this package is read in {plan.version}")
        check(root, FLEXIPAGE)
        page = PageDef(comp.full_name, root.get("masterLabel") or "", root.get("type") or "",
                       root.get("sobjectType"), "", root.get("description") or "")
        if len(page.label) > LABEL_LIMIT:
            raise root.problem(f"masterLabel: data value too large (max length={LABEL_LIMIT})")
        if page.page_type not in SERVED:
            raise root.problem(f"The sandbox serves Lightning pages of type HomePage, "
                               f"RecordPage and AppPage, not {page.page_type}")
        if (page.page_type == "RecordPage") != bool(page.sobject):
            raise root.problem("sobjectType is required on a RecordPage and only there")
        template = root.one("template")
        assert template is not None
        page.template = template.get("name") or ""
        known = TEMPLATES.get(page.template)
        if known is None or known[0] != page.page_type:
            raise template.problem(f"The template {page.template} is not a {page.page_type} "
                                   "template the sandbox knows (" + ", ".join(
                                       t for t, (k, _) in TEMPLATES.items()
                                       if k == page.page_type) + ")")
        for region in root.all("flexiPageRegions"):
            self._region(region, known[1], page, plan)
        return page

    @staticmethod
    def _region(region: Node, names: set[str], page: PageDef, plan: Plan) -> None:
        name = region.get("name") or ""
        if region.get("type") == "Region" and name not in names:
            raise region.problem(f"The region {name} is not in the template {page.template} "
                                 f"({', '.join(sorted(names))})")
        items = region.all("itemInstances")
        if len(items) > REGION_LIMIT:
            raise region.problem(f"A Lightning page region can contain up to {REGION_LIMIT} "
                                 "components")
        for item in items:
            comp = item.one("componentInstance")
            if comp is None:
                continue
            props = comp.all("componentInstanceProperties")
            if plan.version < 49.0 and any(p.one("valueList") is not None for p in props):
                raise comp.problem("valueList is available in API version 49.0 and later")
            page.placements.append((comp, comp.get("componentName") or "",
                                    [p.get("name") or "" for p in props]))

    def check(self, item: Item, plan: Plan) -> None:
        page: PageDef = item.value
        if page.sobject and not plan.has_object(page.sobject):
            raise Problem(f"The sobjectType {page.sobject} does not exist")
        old = plan.catalog.get(self.type, page.name)
        if old is not None and old.sobject != page.sobject:
            raise Problem(f"sobjectType can't be changed once set ({old.sobject})")
        for node, name, props in page.placements:
            why = self._placement(name, props, page, plan)
            if why:
                raise node.problem(why)

    @staticmethod
    def _placement(name: str, props: list[str], page: PageDef, plan: Plan) -> str | None:
        namespace, _, local = name.partition(":")
        if namespace != "c":
            if page.page_type not in STANDARD.get(name, set()):
                return (f"Component [{name}] is not one the sandbox knows for a "
                        f"{page.page_type}")
            return None
        bundle = plan.definition("LightningComponentBundle", local)
        if not isinstance(bundle, BundleDef):
            return f"Component [{name}] does not exist: deploy the bundle lwc/{local}"
        target = SERVED[page.page_type]
        if not bundle.exposed or target not in bundle.targets:
            return (f"Component [{name}] isn't exposed for {page.page_type}: it needs "
                    f"isExposed true and the target {target}")
        allowed = bundle.objects.get(target)
        if page.sobject and allowed and page.sobject not in allowed:
            return (f"Component [{name}] can't be placed on a {page.sobject} record page "
                    f"(its targetConfig allows {', '.join(sorted(allowed))})")
        declared = bundle.properties.get(target, set())
        unknown = [p for p in props if p not in declared]
        if unknown:
            return f"Component [{name}] has no property {unknown[0]} for {target}"
        return None

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        page: PageDef = item.value
        row = {"developer_name": page.name, "master_label": page.label,
               "page_type": page.page_type, "entity": entity_id(plan, page.sobject),
               "description": page.description}
        n, created = plan.catalog.put(self.type, page.name, "sf_md_flexipages", row, page)
        return sf_id("0M0", n), created


def entity_id(plan: Plan, sobject: str | None) -> str | None:
    """EntityDefinitionId: a standard object's name, a custom object's 01I id."""
    obj = plan.sobject(sobject) if sobject else None
    if obj is None or not obj.custom:
        return sobject
    row = plan.ctx.org.cursor().execute(
        "SELECT n FROM tooling_objects WHERE full_name = ?", [obj.name]).fetchone()
    return sf_id("01I", int(row[0])) if row else obj.name
