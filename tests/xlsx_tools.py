"""Make broken copies of the real PIIE workbook for bad-input tests."""

from __future__ import annotations

import zipfile
from pathlib import Path


def rewrite_xlsx_members(src: Path, dst: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """Copy an xlsx (a zip), replacing text in the named members; every edit must apply."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            for old, new in edits.get(item.filename, []):
                text = data.decode("utf-8")
                assert old in text, f"{old!r} not in {item.filename}"
                data = text.replace(old, new, 1).encode("utf-8")
            zout.writestr(item, data)
    return dst
