"""US Census international trade: the tradewar-tracker Parquet files and the Census API JSON.

Inputs
- `data/landing/tradewar_tracker_aws/data-hs4.parquet` (columns `china_exports` USD, `hs4`;
  pandas index `description`, `time`) and `data.parquet` (`hs2`, `china_exports`; index
  `E_COMMODITY_SDESC`, `time`): US exports to China by month, limited to the products of the
  Phase One list. `time` is a tz-aware month start. `_source_row` = 1-based row of the file.
- `data/landing/census_us_exports_china_hs6/phaseone-tradedata-C-febuary.parquet` (the HS6
  layout, see `prepare_parquet_hs6`): US exports to China, ALL products, Schedule B HS6,
  monthly 2013-01 .. 2021-01, plus HS4-only rows of 2021-02 (quarantined, `hs4_only_row`).
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
  'us_census' (the API JSON and the all-products HS6 Parquet file)
- description <- `description` / `E_COMMODITY_SDESC` | `E_COMMODITY_SDESC`, else
  `E_COMMODITY_LDESC`
- quantity, quantity_unit <- NULL | `QTY_1_MO`, `UNIT_QY1` when present

Quarantine reasons: wrong_field_count, unknown_partner, bad_code, bad_period, missing_value,
bad_value, negative_value, bad_quantity; HS6 layout also hs4_only_row and summed_into_row.

pandas-written Parquet keeps the DataFrame index (here `time`, with `description` in the
Phase One files) as ordinary columns named in the `pandas` schema metadata; every index column
that metadata names must be in the file, else the file is an error (an index that was not
stored would otherwise be silently missing).
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
from etl.customs.schema import (
    DUCKDB_TYPES,
    SOURCE_CENSUS_API,
    SOURCE_CENSUS_PHASE_ONE,
    hs_revision_for_year,
)
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


# The all-products HS6 file (tradewartracker/us-china-overview): `hs6` with the month as the
# pandas index `time`. Required columns; the others are known and either used (quantity, unit,
# description, hs4 for the quarantine of HS4-only rows) or deliberately not landed: `hs4_o`
# (the Phase One Annex 6.1 code the file was merged on), `low_catagory`/`high_catagory` (that
# list's category; the annex is `tradewar_tracker/annex-6-1.csv`), `_merge` (pandas' merge
# indicator). They describe the Phase One list, not the trade flow.
HS6_REQUIRED = frozenset({"CTY_CODE", "china_exports", "hs6", "time"})
HS6_KNOWN = HS6_REQUIRED | {
    "china_exports_quant",
    "quant_type",
    "description",
    "hs4",
    "hs4_o",
    "low_catagory",
    "high_catagory",
    "_merge",
}


def _read_parquet(ctx: FileContext) -> pa.Table:
    try:
        table = pq.read_table(ctx.path)
    except Exception as exc:  # pyarrow raises several error types for a file it cannot read
        raise SourceFormatError(ctx.display_name, f"cannot be read as Parquet: {exc}") from None
    # pandas stores a named index as ordinary columns and lists them in its schema metadata;
    # one listed but absent would leave the month (or description) silently missing
    pandas_meta = (table.schema.metadata or {}).get(b"pandas")
    if pandas_meta is not None:
        try:
            index_columns = json.loads(pandas_meta).get("index_columns", [])
        except (ValueError, AttributeError):
            raise SourceFormatError(
                ctx.display_name, "has unreadable pandas metadata", field="pandas"
            ) from None
        for name in index_columns:
            if isinstance(name, str) and name not in table.column_names:
                raise SourceFormatError(
                    ctx.display_name,
                    f"pandas index column {name!r} is named in the file's metadata but not stored",
                    field=name,
                )
    return table


def _month_periods(ctx: FileContext, table: pa.Table) -> pa.ChunkedArray:
    """`time` (a timestamp, any unit/zone) -> 'YYYY-MM' of its UTC month start, else NULL."""
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
    return pc.if_else(month_start, pc.strftime(utc, format="%Y-%m"), pa.scalar(None, pa.string()))


def prepare_parquet(ctx: FileContext, sha256: str) -> Prepared:
    table = _read_parquet(ctx)
    names = set(table.column_names)
    if HS6_REQUIRED <= names <= HS6_KNOWN:
        return prepare_parquet_hs6(ctx, sha256, table)
    layout = PARQUET_LAYOUTS.get(frozenset(names))
    if layout is None:
        layouts = [*PARQUET_LAYOUTS, HS6_REQUIRED]
        expected = [sorted(k) for k in layouts]
        unknown = sorted(names - set().union(*PARQUET_LAYOUTS, HS6_KNOWN))
        missing = sorted(min((k - names for k in layouts), key=len))
        raise SourceFormatError(
            ctx.display_name,
            f"unknown column(s) {unknown}" if unknown else f"missing column(s) {missing}",
            field=(unknown or missing or [None])[0],
            expected=f"the columns of one of {expected}",
        )
    code_col, level, desc_col = layout
    period = _month_periods(ctx, table)
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


def _text_column(table: pa.Table, name: str) -> pa.ChunkedArray | pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    # a numeric code column has lost its leading zeros: as text it fails the 6-digit check
    return table.column(name).cast(pa.string())


def _number_column(ctx: FileContext, table: pa.Table, name: str) -> pa.ChunkedArray | pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.float64())
    column = table.column(name)
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        raise SourceFormatError(
            ctx.display_name, f"column {name!r} is not numeric", field=name, value=str(column.type)
        )
    return column.cast(pa.float64())


def prepare_parquet_hs6(ctx: FileContext, sha256: str, table: pa.Table) -> Prepared:
    """The all-products HS6 file: one landed row per HS6, partner and month.

    - `hs6` must be 6 digits of text (a numeric column would have lost leading zeros: bad_code).
    - A row without `hs6` is quarantined as `hs4_only_row` (value: its `hs4`, else `hs4_o`):
      the bundled file's 2021-02 rows are HS4 headings of the Phase One list only, without
      CTY_CODE, so they are neither all-products nor HS6 flows.
    - Several rows of one HS6, partner and month (the bundled file's energy rows are HS10
      lines cut to HS6, e.g. 270112 coal in tonnes, 271112 propane in BBL then M3): the first
      row carries their summed value (and quantity when the lines share a unit, else NULL),
      the others are quarantined as `summed_into_row` naming the row (no dollar is lost).
    - quantity <- `china_exports_quant`, unit <- `quant_type`; the unit '-' (no quantity,
      always with quantity 0) lands as NULL quantity and unit.
    """
    ctx = replace(ctx, sha256=sha256)
    n = table.num_rows
    columns = {
        "cty": _text_column(table, "CTY_CODE"),
        "hs6": _text_column(table, "hs6"),
        "hs4": _text_column(table, "hs4"),
        "hs4_o": _text_column(table, "hs4_o"),
        "value": _number_column(ctx, table, "china_exports"),
        "qty": _number_column(ctx, table, "china_exports_quant"),
        "unit": _text_column(table, "quant_type"),
        "description": _text_column(table, "description"),
        "period": _month_periods(ctx, table),
        "time_text": table.column("time").cast(pa.string()),
        "ordinality": pa.array(range(1, n + 1), pa.int64()),
    }
    inputs = pa.table(columns)
    return Prepared(
        source=SOURCE_CENSUS_API,
        sha256=sha256,
        relations=[(_hs6_relation_sql(ctx), n)],
        rows_read=n,
        arrow_inputs={"census_hs6": inputs},
        views={"ref_census_countries": REFERENCE_VIEWS["ref_census_countries"]},
    )


def _hs6_relation_sql(ctx: FileContext) -> str:
    group = "PARTITION BY _code, _partner, period"
    return f"""
WITH p AS (
    SELECT t.*, m.iso3 AS _partner,
        nullif(trim(t.hs6), '') AS _code,
        TRY_CAST(substr(t.period, 1, 4) AS SMALLINT) AS _year,
        TRY_CAST(substr(t.period, 6, 2) AS TINYINT) AS _month,
        nullif(nullif(trim(t.unit), ''), '-') AS _unit
    FROM census_hs6 AS t
    LEFT JOIN ref_census_countries AS m ON m.code = trim(t.cty)
),
checked AS (
    SELECT *, CASE
        WHEN _code IS NULL
            THEN {
        rej(
            "hs4_only_row",
            "hs6",
            "coalesce(hs4, hs4_o)",
            "hs6 is empty: an HS4-only row (value = its hs4), not an HS6 flow of all products",
        )
    }
        WHEN _partner IS NULL
            THEN {
        rej(
            "unknown_partner",
            "CTY_CODE",
            "cty",
            "CTY_CODE is not in reference/census_countries.csv",
        )
    }
        WHEN NOT regexp_full_match(_code, '[0-9]{{6}}')
            THEN {rej("bad_code", "hs6", "hs6", "hs6 is not 6 digits")}
        WHEN period IS NULL OR _year IS NULL OR _month NOT BETWEEN 1 AND 12
            THEN {rej("bad_period", "time", "time_text", "time is not a UTC month start")}
        WHEN value IS NULL
            THEN {rej("missing_value", "china_exports", "NULL", "trade value is empty")}
        WHEN isnan(value) OR isinf(value)
            THEN {rej("bad_value", "china_exports", "value", "trade value is not a number")}
        WHEN value < 0
            THEN {rej("negative_value", "china_exports", "value", "trade value is negative")}
        WHEN qty IS NOT NULL AND (isnan(qty) OR isinf(qty) OR qty < 0)
            THEN {
        rej(
            "bad_quantity",
            "china_exports_quant",
            "qty",
            "china_exports_quant is not a non-negative number",
        )
    }
    END AS _rej_field_check
    FROM p
),
grouped AS (
    -- loadable rows of one HS6, partner and month are summed into the first of them
    SELECT *,
        min(ordinality) FILTER (WHERE _rej_field_check IS NULL) OVER g AS _first_row,
        sum(value) FILTER (WHERE _rej_field_check IS NULL) OVER g AS _group_value,
        sum(CASE WHEN _unit IS NULL AND qty = 0 THEN NULL ELSE qty END)
            FILTER (WHERE _rej_field_check IS NULL) OVER g AS _group_qty,
        min(_unit) FILTER (WHERE _rej_field_check IS NULL AND qty > 0) OVER g AS _unit_lo,
        max(_unit) FILTER (WHERE _rej_field_check IS NULL AND qty > 0) OVER g AS _unit_hi,
        count(*) FILTER (WHERE _rej_field_check IS NULL) OVER g AS _group_rows
    FROM checked
    WINDOW g AS ({group})
),
final AS (
    SELECT *,
        CASE
            WHEN _rej_field_check IS NOT NULL THEN _rej_field_check
            WHEN ordinality <> _first_row THEN {
        rej(
            "summed_into_row",
            "hs6",
            "_code || ' ' || period || ' -> row ' || CAST(_first_row AS VARCHAR)",
            "same hs6, partner and month as an earlier row (HS10 lines cut to HS6): its value "
            "and quantity are added to that row",
        )
    }
        END AS _rej,
        -- one unit among the lines with a quantity: their sum in it; several units: no sum
        CASE WHEN _unit_lo IS NULL OR _unit_lo = _unit_hi THEN coalesce(_unit_lo, _unit) END
            AS _group_unit
    FROM grouped
)
SELECT
    'USA' AS reporter_iso3,
    _partner AS partner_iso3,
    'export' AS flow,
    _code AS hs_code,
    CAST(6 AS TINYINT) AS hs_level,
    {hs_revision_for_year("_year")} AS hs_revision,
    period,
    _year AS period_year,
    _group_value AS trade_value_usd,
    _group_value AS source_value,
    'USD' AS source_unit,
    'FOB' AS valuation,
    {lit(SOURCE_CENSUS_API)} AS source,
    description,
    {lineage_sql(ctx, "ordinality")},
    _month AS period_month,
    CASE WHEN _group_unit IS NOT NULL OR _group_rows = 1 THEN _group_qty END
        AS quantity,
    CAST(_group_unit AS {DUCKDB_TYPES["quantity_unit"]}) AS quantity_unit,
    {REJECT_COLUMNS}
FROM final
"""


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
