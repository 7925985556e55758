"""Every element and enumeration value the deploy accepts is one the Metadata API WSDL has
(simple-salesforce ships Salesforce's metadata.wsdl, API 63.0): the sandbox serves a
subset of Salesforce's schema, never an element of its own."""

from __future__ import annotations

import functools
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import simple_salesforce

from crm_sandbox.salesforce import (
    md_access,
    md_analytics,
    md_dashboards,
    md_lwc,
    md_objects,
    md_package,
    md_pages,
)
from crm_sandbox.salesforce.md_xml import Problem, Spec, check, developer_name_problem, parse

XSD = "{http://www.w3.org/2001/XMLSchema}"
WSDL = Path(simple_salesforce.__file__).parent / "metadata.wsdl"
SPECS = [md_objects.OBJECT, md_objects.TAB, md_lwc.BUNDLE_SPEC, md_pages.FLEXIPAGE,
         md_analytics.FOLDER, md_analytics.REPORT, md_dashboards.DASHBOARD,
         md_access.PERMISSION_SET, md_access.SHARING_RULES, md_package.PACKAGE]


@pytest.fixture(autouse=True)
def no_faults() -> None:
    """These tests start no sandbox (the package's autouse fixture would)."""


# Spec names that differ from the WSDL's: folders are one type there.
ALIASES = {"ReportFolder": "Folder", "DashboardFolder": "Folder"}


@functools.cache
def schema() -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """Complex types as {element: type} (with their bases') and enumerations."""
    root = ET.parse(WSDL).getroot()
    types: dict[str, dict[str, str]] = {}
    bases: dict[str, str] = {}
    enums: dict[str, list[str]] = {}
    for ct in root.iter(f"{XSD}complexType"):
        name = ct.get("name")
        if name is None:
            continue
        types[name] = {e.get("name", ""): str(e.get("type", "")).split(":")[-1]
                       for e in ct.iter(f"{XSD}element")}
        ext = ct.find(f".//{XSD}extension")
        if ext is not None:
            bases[name] = str(ext.get("base")).split(":")[-1]
    for st in root.iter(f"{XSD}simpleType"):
        enums[str(st.get("name"))] = [e.get("value", "") for e in st.iter(f"{XSD}enumeration")]
    for name, base in bases.items():
        while base in types:
            types[name] = {**types[base], **types[name]}
            base = bases.get(base, "")
    return types, enums


def walk(spec: Spec) -> list[Spec]:
    out = [spec]
    for child in spec.children.values():
        if isinstance(child.kind, Spec):
            out += walk(child.kind)
    return out


@pytest.mark.parametrize("top", SPECS, ids=lambda s: s.name)
def test_specs_are_a_subset_of_the_wsdl(top: Spec) -> None:
    types, enums = schema()
    for spec in walk(top):
        wsdl = types[ALIASES.get(spec.name, spec.name)]
        for name, child in spec.children.items():
            assert name in wsdl, f"{spec.name}.{name} is not in the WSDL"
            if isinstance(child.kind, tuple):
                allowed = enums.get(wsdl[name])
                if allowed is not None:  # string elements hold documented values
                    assert set(child.kind) <= set(allowed), f"{spec.name}.{name}"


def test_parse_reports_lines_and_the_schema_names_elements() -> None:
    with pytest.raises(Problem) as err:
        parse(b'<?xml version="1.0"?>\n<CustomTab xmlns="urn:other"/>', "CustomTab")
    assert "root element must be CustomTab" in err.value.message
    with pytest.raises(Problem) as err:
        parse(b"<CustomTab xmlns='http://soap.sforce.com/2006/04/metadata'>\n<label>",
              "CustomTab")
    assert (err.value.line, err.value.message) == (2, "Error parsing file: no element found")
    node = parse(b"<CustomTab xmlns='http://soap.sforce.com/2006/04/metadata'>\n"
                 b"  <motif>a</motif><motif>b</motif></CustomTab>", "CustomTab")
    with pytest.raises(Problem) as err:
        check(node, md_objects.TAB)
    assert (err.value.line, err.value.column) == (2, 19)
    assert "Element motif is duplicated" in err.value.message


@pytest.mark.parametrize(("name", "ok"), [("KPI_Home", True), ("kpi", True), ("1kpi", False),
                                          ("kpi_", False), ("k__pi", False),
                                          ("k pi", False), ("x" * 81, False)])
def test_developer_names(name: str, ok: bool) -> None:
    assert (developer_name_problem(name, "page") is None) == ok
