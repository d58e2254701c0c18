"""Every deliberate break of `tests/breaks/breaks_*.py` (their `BREAKS`, then their `REGRESSIONS`:
bugs fixed earlier, put back), in one list."""

from __future__ import annotations

import importlib
from pathlib import Path

from tests.breaks.model import Break

HERE = Path(__file__).resolve().parent


def all_breaks() -> list[Break]:
    breaks: list[Break] = []
    for path in sorted(HERE.glob("breaks_*.py")):
        module = importlib.import_module(f"tests.breaks.{path.stem}")
        breaks.extend(module.BREAKS)
        breaks.extend(getattr(module, "REGRESSIONS", []))
    return breaks
