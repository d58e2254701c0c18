"""US Census international trade: the tradewar-tracker Parquet files and the Census API JSON.

Inputs
- `data/landing/tradewar_tracker_aws/data-hs4.parquet` (columns `china_exports` USD, `hs4`;
  pandas index `description`, `time`) and `data.parquet` (`hs2`, `china_exports`; index
  `E_COMMODITY_SDESC`, `time`): US exports to China by month, limited to the products of the
  Phase One list. `time` is a tz-aware month start. `_source_row` = 1-based row of the file.
- Census API JSON (`api.census.gov/data/timeseries/intltrade/exports/hs`): a list whose first
  element is the header, then one list of strings per record, e.g.
  `[["ALL_VAL_MO","E_COMMODITY","CTY_CODE","time"],["1234","1201","5700","2018-03"]]`.
  `_source_row` = 1-based position in the list (the header is 1). Only the exports endpoint
  (E_COMMODITY / ALL_VAL_MO) is supported; the imports endpoint (I_COMMODITY, GEN_VAL_MO) is
  rejected with a clear error rather than guessed at.

Column mapping (landed <- Parquet | API JSON)
- reporter_iso3 'USA'; flow 'export'; valuation FOB (Census exports are f.a.s. values, the
  FOB convention); source_unit 'USD'
- partner_iso3 <- 'CHN' | `CTY_CODE` via `reference/census_countries.csv` (5700 = China)
- hs_code, hs_level <- `hs4` (4) / `hs2` (2), text with leading zeros | `E_COMMODITY` (2, 4,
  6 or 10 digits)
- hs_revision <- by year: HS2012 to 2016, HS2017 2017-2021, HS2022 from 2022 (the editions
  of the US schedule; Census does not state it)
- period, period_year, period_month <- `time` (UTC month start) | `time` 'YYYY-MM'
- trade_value_usd, source_value <- `china_exports` | `ALL_VAL_MO`
- source <- 'census_phase_one_products' (the files cover only the Phase One product list) |
  'us_census'
- description <- `description` / `E_COMMODITY_SDESC` | `E_COMMODITY_SDESC`, else
  `E_COMMODITY_LDESC`
- quantity, quantity_unit <- NULL | `QTY_1_MO`, `UNIT_QY1` when present

Quarantine reasons: wrong_field_count, unknown_partner, bad_code, bad_period, missing_value,
bad_value, negative_value, bad_quantity.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl.customs.core import (
    REJECT_COLUMNS,
    FileContext,
    Prepared,
    json_text,
    lineage_sql,
    lit,
    map_header,
    missing_fields_quarantine,
    rej,
    text_table,
)
from etl.customs.reference import REFERENCE_VIEWS
from etl.customs.schema import SOURCE_CENSUS_API, SOURCE_CENSUS_PHASE_ONE, hs_revision_for_year
from etl.errors import SourceFormatError
from etl.ingest.common import sha256_file

DATASET = "trade_flows"
PARQUET_LAYOUTS = {
    # columns -> (code column, hs level, description column)
    frozenset({"china_exports", "hs4", "description", "time"}): ("hs4", 4, "description"),
    frozenset({"china_exports", "hs2", "E_COMMODITY_SDESC", "time"}): (
        "hs2",
        2,
        "E_COMMODITY_SDESC",
    ),
}
API_KNOWN = [
    "ALL_VAL_MO",
    "E_COMMODITY",
    "E_COMMODITY_SDESC",
    "E_COMMODITY_LDESC",
    "CTY_CODE",
    "CTY_NAME",
    "COMM_LVL",
    "SUMMARY_LVL",
    "time",
    "YEAR",
    "MONTH",
    "QTY_1_MO",
    "UNIT_QY1",
]
API_REQUIRED = ["ALL_VAL_MO", "E_COMMODITY", "CTY_CODE", "time"]
API_IMPORTS = {"I_COMMODITY", "GEN_VAL_MO", "CON_VAL_MO", "GEN_CIF_MO"}


def _relation_sql(
    ctx: FileContext,
    table: str,
    cols: dict[str, int],
    source: str,
    code_digits: tuple[int, ...],
    partner_from_code: bool,
) -> str:
    """SELECT over text columns c0..; both inputs are turned into the same text shape."""

    def c(name: str) -> str:
        return f"c{cols[name]}" if name in cols else "CAST(NULL AS VARCHAR)"

    desc = c("E_COMMODITY_SDESC") if "E_COMMODITY_SDESC" in cols else c("E_COMMODITY_LDESC")
    if "description" in cols:
        desc = c("description")
    lengths = ", ".join(str(d) for d in code_digits)
    partner = (
        f"LEFT JOIN ref_census_countries AS m ON m.code = trim({c('CTY_CODE')})"
        if partner_from_code
        else "LEFT JOIN (SELECT 'CHN' AS iso3) AS m ON TRUE"
    )
    return f"""
WITH p AS (
    SELECT t.*, m.iso3 AS _partner,
        trim({c("code")}) AS _code,
        trim({c("time")}) AS _time,
        TRY_CAST(substr(trim({c("time")}), 1, 4) AS SMALLINT) AS _year,
        TRY_CAST(substr(trim({c("time")}), 6, 2) AS TINYINT) AS _month,
        TRY_CAST(replace(trim({c("value")}), ',', '') AS DOUBLE) AS _value,
        nullif(trim({c("QTY_1_MO")}), '') AS _qty_raw,
        TRY_CAST(replace(nullif(trim({c("QTY_1_MO")}), ''), ',', '') AS DOUBLE) AS _qty
    FROM {table} AS t
    {partner}
),
checked AS (
    SELECT *, CASE
        WHEN _partner IS NULL
            THEN {
        rej(
            "unknown_partner",
            "CTY_CODE",
            c("CTY_CODE"),
            "CTY_CODE is not in reference/census_countries.csv",
        )
    }
        WHEN NOT regexp_full_match(coalesce(_code, ''), '[0-9]+') OR length(_code) NOT IN ({
        lengths
    })
            THEN {
        rej(
            "bad_code",
            "hs_code",
            "_code",
            f"commodity code is not {'/'.join(map(str, code_digits))} digits",
        )
    }
        WHEN NOT regexp_full_match(coalesce(_time, ''), '[0-9]{{4}}-[0-9]{{2}}')
            OR _month NOT BETWEEN 1 AND 12 OR _year NOT BETWEEN 1960 AND 2100
            THEN {rej("bad_period", "time", "_time", "time is not a month YYYY-MM")}
        WHEN nullif(trim({c("value")}), '') IS NULL
            THEN {rej("missing_value", "value", "NULL", "trade value is empty")}
        WHEN _value IS NULL OR isnan(_value) OR isinf(_value)
            THEN {rej("bad_value", "value", c("value"), "trade value is not a number")}
        WHEN _value < 0
            THEN {rej("negative_value", "value", c("value"), "trade value is negative")}
        WHEN _qty_raw IS NOT NULL AND (_qty IS NULL OR _qty < 0)
            THEN {
        rej("bad_quantity", "QTY_1_MO", "_qty_raw", "QTY_1_MO is not a non-negative number")
    }
    END AS _rej
    FROM p
)
SELECT
    'USA' AS reporter_iso3,
    _partner AS partner_iso3,
    'export' AS flow,
    _code AS hs_code,
    CAST(length(_code) AS TINYINT) AS hs_level,
    {hs_revision_for_year("_year")} AS hs_revision,
    CAST(_year AS VARCHAR) || '-' || lpad(CAST(_month AS VARCHAR), 2, '0') AS period,
    _year AS period_year,
    _value AS trade_value_usd,
    _value AS source_value,
    'USD' AS source_unit,
    'FOB' AS valuation,
    {lit(source)} AS source,
    {desc} AS description,
    {lineage_sql(ctx, "ordinality")},
    _month AS period_month,
    _qty AS quantity,
    nullif(trim({c("UNIT_QY1")}), '') AS quantity_unit,
    {REJECT_COLUMNS}
FROM checked
"""


def prepare_parquet(ctx: FileContext, sha256: str) -> Prepared:
    try:
        table = pq.read_table(ctx.path)
    except Exception as exc:  # pyarrow raises several error types for a file it cannot read
        raise SourceFormatError(ctx.display_name, f"cannot be read as Parquet: {exc}") from None
    names = set(table.column_names)
    layout = PARQUET_LAYOUTS.get(frozenset(names))
    if layout is None:
        expected = [sorted(k) for k in PARQUET_LAYOUTS]
        unknown = sorted(names - set().union(*PARQUET_LAYOUTS))
        missing = sorted(min((k - names for k in PARQUET_LAYOUTS), key=len))
        raise SourceFormatError(
            ctx.display_name,
            f"unknown column(s) {unknown}" if unknown else f"missing column(s) {missing}",
            field=(unknown or missing or [None])[0],
            expected=f"the columns of one of {expected}",
        )
    code_col, level, desc_col = layout
    time = table.column("time")
    if not pa.types.is_timestamp(time.type):
        raise SourceFormatError(
            ctx.display_name, "column 'time' is not a timestamp", field="time", value=str(time.type)
        )
    # a UTC month start -> 'YYYY-MM'; anything else (mid-month, not midnight) -> bad_period
    utc = time.cast(pa.timestamp("us", tz="UTC"))
    month_start = pc.and_(
        pc.equal(pc.day(utc), 1),
        pc.equal(pc.cast(pc.subtract(utc, pc.floor_temporal(utc, unit="day")), pa.int64()), 0),
    )
    period = pc.if_else(month_start, pc.strftime(utc, format="%Y-%m"), pa.scalar(None, pa.string()))
    value = table.column("china_exports").cast(pa.string())
    ctx = replace(ctx, sha256=sha256)
    n = table.num_rows
    rows = [
        (i + 1, [c, v, t, d])
        for i, (c, v, t, d) in enumerate(
            zip(
                table.column(code_col).to_pylist(),
                value.to_pylist(),
                period.to_pylist(),
                table.column(desc_col).to_pylist(),
                strict=True,
            )
        )
    ]
    # a missing value reads as '' (like an empty CSV field), so it is reported as missing_value
    rows = [(pos, [f if f is not None else "" for f in fields]) for pos, fields in rows]
    cols = {"code": 0, "value": 1, "time": 2, "description": 3}
    return Prepared(
        source=SOURCE_CENSUS_PHASE_ONE,
        sha256=sha256,
        relations=[
            (
                _relation_sql(
                    ctx, "census_parquet", cols, SOURCE_CENSUS_PHASE_ONE, (level,), False
                ),
                n,
            )
        ],
        rows_read=n,
        arrow_inputs={"census_parquet": text_table(len(cols), rows)},
    )


def prepare_json(ctx: FileContext, sha256: str) -> Prepared:
    try:
        payload = json.loads(Path(ctx.path).read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(ctx.display_name, f"is not valid JSON: {exc}") from None
    if (
        not isinstance(payload, list)
        or not payload
        or not all(isinstance(r, list) for r in payload)
    ):
        raise SourceFormatError(
            ctx.display_name,
            "is not a Census API response",
            expected='a list of lists, the first being the header: [["ALL_VAL_MO", ...], ...]',
        )
    header = [str(h).strip() for h in payload[0]]
    imports = sorted(API_IMPORTS & set(header))
    if imports:
        raise SourceFormatError(
            ctx.display_name,
            f"is a Census imports response ({', '.join(imports)}); only exports are supported",
            row=1,
            field=imports[0],
        )
    names = map_header(ctx.display_name, header, API_KNOWN, API_REQUIRED)
    ctx = replace(ctx, sha256=sha256)
    rows: list[tuple[int, list[str | None]]] = []
    rejected = []
    for position, rec in enumerate(payload[1:], start=2):
        if len(rec) != len(header):
            rejected.append(
                missing_fields_quarantine(
                    ctx, DATASET, position, f"{len(rec)} fields, header has {len(header)}"
                )
            )
            continue
        rows.append((position, [json_text(v) for v in rec]))
    cols = {name: i for name, i in names.items()}
    cols["code"], cols["value"] = names["E_COMMODITY"], names["ALL_VAL_MO"]
    return Prepared(
        source=SOURCE_CENSUS_API,
        sha256=sha256,
        relations=[
            (
                _relation_sql(ctx, "census_json", cols, SOURCE_CENSUS_API, (2, 4, 6, 10), True),
                len(rows),
            )
        ],
        rows_read=len(payload) - 1,
        pre_quarantine=rejected,
        arrow_inputs={"census_json": text_table(len(header), rows)},
        views={"ref_census_countries": REFERENCE_VIEWS["ref_census_countries"]},
    )


def prepare(ctx: FileContext, tmp_dir: Path) -> Prepared:
    """Parquet (by its magic bytes) or API JSON."""
    sha256 = sha256_file(ctx.path)
    with open(ctx.path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PAR1":
        return prepare_parquet(ctx, sha256)
    return prepare_json(ctx, sha256)
