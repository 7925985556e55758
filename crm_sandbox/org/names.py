"""Word lists for generated names, and small SQL builders for seeded random choices."""

from __future__ import annotations

from collections.abc import Sequence

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kira",
    "Liam", "Maya", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Yusuf", "Zoe",
)
LAST_NAMES = (
    "Adams", "Bauer", "Chen", "Diaz", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka",
    "Ueda", "Varga", "Weber", "Young", "Zimmer",
)
COMPANY_WORDS = (
    "Acme", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
    "Keystone", "Lumen", "Maple", "Nimbus", "Orion", "Pioneer", "Quartz", "Ridge", "Summit",
    "Tidal", "Vertex", "Willow",
)
COMPANY_KINDS = (
    "Systems", "Logistics", "Foods", "Health", "Labs", "Energy", "Capital", "Media", "Works",
    "Retail", "Robotics", "Textiles",
)
COMPANY_SUFFIXES = ("Inc.", "GmbH", "Ltd", "SA", "LLC", "KK", "BV")
PRODUCTS = (
    ("Analytics Cloud", "Software"), ("Data Hub", "Software"), ("Edge Gateway", "Hardware"),
    ("Sensor Kit", "Hardware"), ("Onboarding", "Services"), ("Premium Support", "Services"),
    ("Training Day", "Services"), ("API Add-on", "Software"), ("Storage 10TB", "Hardware"),
    ("Security Suite", "Software"), ("Mobile App", "Software"), ("Consulting Block", "Services"),
)
TEAM_NAMES = (
    "Falcons", "Wolves", "Orcas", "Lynx", "Ravens", "Bisons", "Cobras", "Herons", "Otters",
    "Pumas", "Tigers", "Eagles",
)


def sql_list(values: Sequence[str]) -> str:
    """A DuckDB list literal of strings."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def pick_word(values: Sequence[str], hash_expr: str) -> str:
    """SQL choosing one of `values` uniformly from a hash expression."""
    return f"list_extract({sql_list(values)}, ({hash_expr} % {len(values)})::INTEGER + 1)"


def pick_weighted(u_expr: str, choices: Sequence[tuple[str, float]]) -> str:
    """SQL choosing a value with the given weights from a uniform [0, 1) expression."""
    total = sum(w for _, w in choices)
    acc, parts = 0.0, []
    for value, weight in choices[:-1]:
        acc += weight / total
        parts.append(f"WHEN {u_expr} < {acc:.6f} THEN '{value}'")
    return "CASE " + " ".join(parts) + f" ELSE '{choices[-1][0]}' END"
