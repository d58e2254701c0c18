"""Loaders for the reviewed lookup tables in `etl/customs/reference/` (see its README)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

# Comtrade area codes that are not ISO 3166 countries but are legitimate partners.
COMTRADE_NON_ISO_PARTNERS = {"W00": "World"}


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def iso3_countries() -> dict[str, tuple[str, str]]:
    """ISO3 -> (numeric code, English name)."""
    return {r["iso3"]: (r["iso_numeric"], r["name"]) for r in _rows("iso3166_countries.csv")}


@lru_cache(maxsize=1)
def china_customs_partners() -> dict[str, tuple[str, str]]:
    """China Customs country code (text, e.g. '502') -> (ISO3, Chinese name)."""
    return {
        r["customs_code"]: (r["iso3"], r["name_zh"]) for r in _rows("china_customs_partners.csv")
    }


@lru_cache(maxsize=1)
def census_countries() -> dict[str, str]:
    """US Census Schedule C country code (e.g. '5700') -> ISO3."""
    return {r["cty_code"]: r["iso3"] for r in _rows("census_countries.csv")}


def lookup_table(mapping: dict[str, str]) -> pa.Table:
    """A (code, iso3) Arrow table, registered in DuckDB for a lookup join: a registered table
    costs nothing to plan, where an inline VALUES list of 250 rows costs ~12 ms per query."""
    codes = sorted(mapping)
    return pa.table(
        {"code": pa.array(codes, pa.string()), "iso3": pa.array([mapping[c] for c in codes])}
    )
