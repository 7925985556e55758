"""A shipped mapping copied with one line changed, for tests of what a mapping may say."""

from __future__ import annotations

from pathlib import Path

from connector.crms.config import shipped_mapping


def edited_mapping(folder: Path, name: str, line: str, replacement: str) -> tuple[Path, int]:
    """The shipped mapping `name` written into `folder` with `line` replaced, and the
    number of that line (1-based)."""
    text = shipped_mapping(name).read_text(encoding="utf-8")
    assert line in text
    mapping = folder / name
    mapping.write_text(text.replace(line, replacement))
    return mapping, text.splitlines().index(line) + 1
