"""The landed trade_flows shape: the PIIE columns first, in their order, then three additions.

`LANDED_SCHEMA` = `etl.ingest.piie.TRADE_FLOWS_SCHEMA` (14 canonical columns + 5 lineage columns)
followed by `period_month` (int8, NULL for annual rows), `quantity` (double, the source's first
quantity) and `quantity_unit` (text). The SQL that produces landed rows casts to exactly these
types, so every part file of every source has one schema and a reader can glob them all.
"""

from __future__ import annotations

import pyarrow as pa

from etl.ingest.piie import TRADE_FLOWS_SCHEMA

EXTRA_FIELDS = [
    ("period_month", pa.int8()),
    ("quantity", pa.float64()),
    ("quantity_unit", pa.string()),
]
LANDED_SCHEMA = pa.schema(list(TRADE_FLOWS_SCHEMA) + [pa.field(n, t) for n, t in EXTRA_FIELDS])
LANDED_COLUMNS = [f.name for f in LANDED_SCHEMA]

_DUCKDB_TYPE = {
    pa.string(): "VARCHAR",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}
# column -> DuckDB type, used to cast every adapter's SELECT to the landed schema
DUCKDB_TYPES = {f.name: _DUCKDB_TYPE[f.type] for f in LANDED_SCHEMA}

# UN Comtrade classificationCode -> HS revision (the year the edition entered into force)
COMTRADE_HS_REVISIONS = {
    "H0": "HS1992",
    "H1": "HS1996",
    "H2": "HS2002",
    "H3": "HS2007",
    "H4": "HS2012",
    "H5": "HS2017",
    "H6": "HS2022",
}


def hs_revision_for_year(year_sql: str) -> str:
    """SQL CASE: the HS edition a national schedule (China, US) used in a given year.

    Both countries adopt each edition on 1 January of its year (2012, 2017, 2022), so for
    sources that do not state the revision (Census, China Customs) the year decides it.
    """
    return (
        f"CASE WHEN {year_sql} >= 2022 THEN 'HS2022' WHEN {year_sql} >= 2017 THEN 'HS2017' "
        f"WHEN {year_sql} >= 2012 THEN 'HS2012' WHEN {year_sql} >= 2007 THEN 'HS2007' "
        f"ELSE NULL END"
    )


# labels written to the `source` column (and the `source=` partition folder)
SOURCE_COMTRADE = "un_comtrade"
SOURCE_CENSUS_PHASE_ONE = "census_phase_one_products"
SOURCE_CENSUS_API = "us_census"
SOURCE_CHINA_CUSTOMS = "china_customs"
