"""Number and text formatting shared by the report's tables and charts."""

from __future__ import annotations

from datetime import datetime


def fmt_bn(value: float | None, unit: bool = False) -> str:
    """USD as billions with 2 decimals ("87.14", or "$87.14B" with unit)."""
    if value is None:
        return "–"
    # a non-zero value that would print as 0.00 would read as "nothing"
    text = "<0.01" if 0 < abs(value) < 5e6 else f"{value / 1e9:,.2f}"
    return f"${text}B" if unit else text


def fmt_musd(value: float | None) -> str:
    """USD as millions with 2 decimals: single tariff lines are mostly below $0.01B."""
    return "–" if value is None else f"{value / 1e6:,.2f}"


def fmt_share(value: float | None) -> str:
    """A fraction (0.563) as a percentage with 1 decimal ("56.3%")."""
    return "–" if value is None else f"{value * 100:.1f}%"


def fmt_rate(value: float | None) -> str:
    """A value already in percent (15.64) with 1 decimal ("15.6%")."""
    return "–" if value is None else f"{value:.1f}%"


def fmt_when(value: str | None) -> str:
    """An ISO timestamp from the manifest as '2026-01-31 18:42:09 UTC' (no microseconds)."""
    if not value:
        return "–"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return f"{moment:%Y-%m-%d %H:%M:%S}{zone}"


def shorten(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"
