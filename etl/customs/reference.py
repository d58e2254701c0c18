"""Loaders for the reviewed lookup tables in `etl/customs/reference/` (see its README)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

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


def _csv(name: str) -> str:
    path = str(REFERENCE_DIR / name).replace("'", "''")
    return f"read_csv('{path}', header = true, all_varchar = true)"


# Lookup tables as DuckDB views over the reference CSVs: (code, iso3). Views, not Arrow objects
# registered from Python: building Arrow arrays from Python values makes pyarrow import pandas,
# 0.3 s of every fresh process, which a one-file incremental ingest would pay for nothing.
REFERENCE_VIEWS = {
    "ref_iso3": f"SELECT iso3 AS code, iso3 FROM {_csv('iso3166_countries.csv')}",
    "ref_comtrade_partners": (
        f"SELECT iso3 AS code, iso3 FROM {_csv('iso3166_countries.csv')} "
        + " ".join(
            f"UNION ALL SELECT '{code}', '{code}'" for code in sorted(COMTRADE_NON_ISO_PARTNERS)
        )
    ),
    "ref_cn_partners": (
        f"SELECT customs_code AS code, iso3 FROM {_csv('china_customs_partners.csv')}"
    ),
    "ref_census_countries": f"SELECT cty_code AS code, iso3 FROM {_csv('census_countries.csv')}",
}
