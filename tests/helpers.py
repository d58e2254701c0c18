"""Constants and small helpers shared by tests (import from here, never from conftest)."""

from __future__ import annotations

import hashlib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LANDING = PROJECT_ROOT / "data" / "landing"
PIIE_XLSX = LANDING / "piie_bown_jung_zhang" / "bown-jung-zhang-2019-06-12.xlsx"
PIIE_RELATIVE = "piie_bown_jung_zhang/bown-jung-zhang-2019-06-12.xlsx"


def tree_checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder` (following the `current` symlink)."""
    root = Path(folder).resolve()
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def published_covered_usd(settings, as_of: str = "2019-06-01") -> float:
    """Covered value on a date, read through the published DuckDB views (read-only)."""
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute(
            "select sum(covered_value_usd) from fct_retaliation_coverage where as_of_date = ?",
            [as_of],
        ).fetchall()[0][0]
    finally:
        con.close()
