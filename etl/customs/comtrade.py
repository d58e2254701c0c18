"""UN Comtrade: bulk-download CSV and API JSON -> landed trade_flows.

Inputs
- Bulk CSV (`data/landing/un_comtrade_totals/TradeData_*.csv`): the 47 standard columns
  (`typeCode` ... `isAggregate`), CRLF, every present value double-quoted, missing values as
  unquoted empty fields, and a trailing comma on every data row (48 fields against a 47-name
  header). Columns are found by header name, not position.
- API JSON (`{"data": [{...}, ...]}`): one object per record with the same keys (a subset is fine
  as long as the required keys are there). `_source_row` is the record's 1-based position in
  `data`.

Column mapping (landed <- Comtrade)
- reporter_iso3 <- `reporterISO` (must be an ISO 3166 alpha-3 code)
- partner_iso3 <- `partnerISO` (ISO 3166 alpha-3, or `W00` = World, kept as is)
- flow <- `flowCode`: M -> import, X -> export (re-imports, re-exports, ... are quarantined)
- hs_code, hs_level <- `cmdCode`: 2/4/6 digits -> that code and level; `TOTAL` (all
  commodities) -> hs_code 'TOTAL', hs_level 0 (a grand total, not a heading of any level)
- hs_revision <- `classificationCode`: H0 HS1992, H1 HS1996, H2 HS2002, H3 HS2007,
  H4 HS2012, H5 HS2017, H6 HS2022
- period, period_year, period_month <- `freqCode` A: '2017' from `refYear` (`refMonth` must
  be 52, Comtrade's "annual"), period_month NULL; M: 'YYYY-MM' from `refYear`/`refMonth`;
  the `period` column must agree
- trade_value_usd, source_value <- `primaryValue` (USD; `cifvalue`/`fobvalue` are blank or 0
  when they do not apply); source_unit 'USD'
- valuation <- CIF for M, FOB for X (Comtrade's primaryValue convention)
- source 'un_comtrade'; description <- `cmdDesc`
- quantity, quantity_unit <- `qty`, `qtyUnitAbbr` (NULL when the unit is N/A / code -1)

Quarantine reasons: blank_row, wrong_field_count, unknown_iso3, unsupported_flow,
unknown_classification, bad_code, bad_period, missing_value, bad_value, negative_value,
bad_quantity.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from etl.customs.core import (
    REJECT_COLUMNS,
    FileContext,
    Prepared,
    field_checks_sql,
    json_text,
    lineage_sql,
    lit,
    map_header,
    missing_fields_quarantine,
    prepared_from_scan,
    rej,
    text_table,
)
from etl.customs.reference import REFERENCE_VIEWS
from etl.customs.schema import COMTRADE_HS_REVISIONS, SOURCE_COMTRADE
from etl.customs.textscan import PieceKey, scan_text
from etl.errors import SourceFormatError
from etl.ingest.common import sha256_file

KNOWN_COLUMNS = [
    "typeCode",
    "freqCode",
    "refPeriodId",
    "refYear",
    "refMonth",
    "period",
    "reporterCode",
    "reporterISO",
    "reporterDesc",
    "flowCode",
    "flowDesc",
    "partnerCode",
    "partnerISO",
    "partnerDesc",
    "partner2Code",
    "partner2ISO",
    "partner2Desc",
    "classificationCode",
    "classificationSearchCode",
    "isOriginalClassification",
    "cmdCode",
    "cmdDesc",
    "aggrLevel",
    "isLeaf",
    "customsCode",
    "customsDesc",
    "mosCode",
    "motCode",
    "motDesc",
    "qtyUnitCode",
    "qtyUnitAbbr",
    "qty",
    "isQtyEstimated",
    "altQtyUnitCode",
    "altQtyUnitAbbr",
    "altQty",
    "isAltQtyEstimated",
    "netWgt",
    "isNetWgtEstimated",
    "grossWgt",
    "isGrossWgtEstimated",
    "cifvalue",
    "fobvalue",
    "primaryValue",
    "legacyEstimationFlag",
    "isReported",
    "isAggregate",
]
REQUIRED_COLUMNS = [
    "freqCode",
    "refYear",
    "refMonth",
    "period",
    "reporterISO",
    "flowCode",
    "partnerISO",
    "classificationCode",
    "cmdCode",
    "cmdDesc",
    "primaryValue",
]
DATASET = "trade_flows"


def reference_views() -> dict[str, str]:
    return {k: REFERENCE_VIEWS[k] for k in ("ref_iso3", "ref_comtrade_partners")}


# the only columns the SQL reads: DuckDB then skips materializing the other ~30 of each row
USED = [
    "reporterISO",
    "partnerISO",
    "flowCode",
    "classificationCode",
    "cmdCode",
    "cmdDesc",
    "freqCode",
    "refYear",
    "refMonth",
    "period",
    "primaryValue",
    "qty",
    "qtyUnitAbbr",
    "qtyUnitCode",
]


def _relation_sql(ctx: FileContext, source: str, cols: dict[str, int], row_expr: str) -> str:
    """The SELECT of the module docstring over text columns c0.. (+ x0.., ordinality)."""

    def c(name: str) -> str:
        return f"c{cols[name]}" if name in cols else "CAST(NULL AS VARCHAR)"

    blank, fields_ok, fields_found = field_checks_sql(
        len(cols), [cols[n] for n in USED if n in cols]
    )
    revisions = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in COMTRADE_HS_REVISIONS.items())
    # membership by hash join on registered tables (REFERENCE_TABLES): an IN list of 250
    # literals costs ~10x more per row, an inline VALUES list ~12 ms to plan per query
    return f"""
WITH p AS (
    SELECT *,
        trim({c("reporterISO")}) AS _reporter,
        trim({c("partnerISO")}) AS _partner,
        trim({c("flowCode")}) AS _flow,
        CASE trim({c("classificationCode")}) {revisions} END AS _revision,
        trim({c("cmdCode")}) AS _cmd,
        trim({c("freqCode")}) AS _freq,
        TRY_CAST(trim({c("refYear")}) AS SMALLINT) AS _year,
        TRY_CAST(trim({c("refMonth")}) AS TINYINT) AS _month,
        trim({c("period")}) AS _period_raw,
        TRY_CAST(trim({c("period")}) AS INTEGER) AS _period_num,
        TRY_CAST(trim({c("primaryValue")}) AS DOUBLE) AS _value,
        nullif(trim({c("qty")}), '') AS _qty_raw,
        TRY_CAST(nullif(trim({c("qty")}), '') AS DOUBLE) AS _qty,
        nullif(nullif(trim({c("qtyUnitAbbr")}), ''), 'N/A') AS _qty_unit
    FROM {source}
),
j AS (
    SELECT p.*, rep.code IS NOT NULL AS _reporter_known, par.code IS NOT NULL AS _partner_known
    FROM p
    LEFT JOIN ref_iso3 AS rep ON rep.code = p._reporter
    LEFT JOIN ref_comtrade_partners AS par ON par.code = p._partner
),
checked AS (
    SELECT *, CASE
        WHEN {blank} THEN {rej("blank_row", "row", "NULL", "row is empty")}
        WHEN NOT {fields_ok} THEN {
        rej(
            "wrong_field_count",
            "row",
            fields_found,
            f"row does not have the header's {len(cols)} fields",
        )
    }
        WHEN NOT _reporter_known
            THEN {
        rej(
            "unknown_iso3",
            "reporterISO",
            "_reporter",
            "reporterISO is not an ISO 3166 alpha-3 code",
        )
    }
        WHEN NOT _partner_known
            THEN {
        rej(
            "unknown_iso3",
            "partnerISO",
            "_partner",
            "partnerISO is not an ISO 3166 alpha-3 code (or W00, World)",
        )
    }
        WHEN _flow IS DISTINCT FROM 'M' AND _flow IS DISTINCT FROM 'X'
            THEN {
        rej("unsupported_flow", "flowCode", "_flow", "flowCode is not M (import) or X (export)")
    }
        WHEN _revision IS NULL
            THEN {
        rej(
            "unknown_classification",
            "classificationCode",
            c("classificationCode"),
            "classificationCode is not an HS revision H0-H6",
        )
    }
        WHEN _cmd <> 'TOTAL' AND NOT regexp_full_match(_cmd, '([0-9]{{2}}){{1,3}}')
            THEN {
        rej("bad_code", "cmdCode", "_cmd", "cmdCode is not TOTAL or a 2, 4 or 6 digit HS code")
    }
        WHEN _year IS NULL OR _year NOT BETWEEN 1960 AND 2100
            OR NOT ((_freq = 'A' AND _month = 52 AND _period_num = _year)
                 OR (_freq = 'M' AND _month BETWEEN 1 AND 12
                     AND _period_num = CAST(_year AS INTEGER) * 100 + _month))
            THEN {
        rej(
            "bad_period",
            "period",
            f"concat_ws('/', _freq, {c('refYear')}, {c('refMonth')}, _period_raw)",
            "freqCode/refYear/refMonth/period do not make an annual (refMonth 52) "
            "or monthly period",
        )
    }
        WHEN nullif(trim({c("primaryValue")}), '') IS NULL
            THEN {rej("missing_value", "primaryValue", "NULL", "primaryValue is empty")}
        WHEN _value IS NULL OR isnan(_value) OR isinf(_value)
            THEN {
        rej("bad_value", "primaryValue", c("primaryValue"), "primaryValue is not a number")
    }
        WHEN _value < 0
            THEN {
        rej("negative_value", "primaryValue", c("primaryValue"), "primaryValue is negative")
    }
        WHEN _qty_raw IS NOT NULL AND (_qty IS NULL OR _qty < 0)
            THEN {rej("bad_quantity", "qty", "_qty_raw", "qty is not a non-negative number")}
    END AS _rej
    FROM j
)
SELECT
    _reporter AS reporter_iso3,
    _partner AS partner_iso3,
    CASE _flow WHEN 'M' THEN 'import' WHEN 'X' THEN 'export' END AS flow,
    _cmd AS hs_code,
    CAST(CASE WHEN _cmd = 'TOTAL' THEN 0 ELSE length(_cmd) END AS TINYINT) AS hs_level,
    _revision AS hs_revision,
    CASE WHEN _freq <> 'M' THEN CAST(_year AS VARCHAR)
         WHEN _month BETWEEN 1 AND 12 AND _year BETWEEN 1 AND 9999  -- rejected rows too
         THEN strftime(make_date(_year, _month, 1), '%Y-%m') END AS period,
    _year AS period_year,
    _value AS trade_value_usd,
    _value AS source_value,
    'USD' AS source_unit,
    CASE _flow WHEN 'M' THEN 'CIF' WHEN 'X' THEN 'FOB' END AS valuation,
    {lit(SOURCE_COMTRADE)} AS source,
    {c("cmdDesc")} AS description,
    {lineage_sql(ctx, row_expr)},
    CAST(CASE WHEN _freq = 'M' THEN _month END AS TINYINT) AS period_month,
    CASE WHEN _qty_unit IS NOT NULL AND trim({c("qtyUnitCode")}) IS DISTINCT FROM '-1'
         THEN _qty END AS quantity,
    CASE WHEN trim({c("qtyUnitCode")}) IS DISTINCT FROM '-1' THEN _qty_unit END AS quantity_unit,
    {REJECT_COLUMNS}
FROM checked
"""


def _piece_key(ctx: FileContext) -> PieceKey | None:
    """Where the partition (reporter, year) shows in a bulk-file line: refYear and reporterISO,
    the 4th and 8th fields, preceded only by short codes (no quoted commas) in Comtrade's
    layout. Read from the header so a reordered file gets no (wrong) hint."""
    with open(ctx.path, "rb") as fh:
        header = fh.readline().decode("utf-8-sig", errors="replace").strip().split(",")
    try:
        year, reporter = header.index("refYear"), header.index("reporterISO")
    except ValueError:
        return None
    safe = {"typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period"}
    safe |= {"reporterCode", "reporterISO", "flowCode", "partnerCode", "partnerISO"}
    if any(h not in safe for h in header[: max(year, reporter) + 1]):
        return None
    return PieceKey(((year, 4), (reporter, 3)))


def prepare_csv(ctx: FileContext, tmp_dir: Path) -> Prepared:
    scan = scan_text(
        ctx.path, ctx.display_name, tmp_dir, pieces=ctx.parallelism, key=_piece_key(ctx)
    )
    try:
        header = [h.lstrip("\ufeff") for h in scan.header]
        cols = map_header(ctx.display_name, header, KNOWN_COLUMNS, REQUIRED_COLUMNS)
        ctx = replace(ctx, sha256=scan.sha256)
        return prepared_from_scan(
            ctx,
            scan,
            len(cols),
            lambda read, rows: _relation_sql(ctx, read, cols, rows),
            source=SOURCE_COMTRADE,
            views=reference_views(),
            dataset=DATASET,
        )
    except BaseException:
        scan.cleanup()
        raise


def prepare_json(ctx: FileContext, sha256: str) -> Prepared:
    """`{"data": [...]}`: small, so records are checked for their keys in Python and the rest
    goes through the same SQL as the CSV."""
    try:
        payload = json.loads(Path(ctx.path).read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(ctx.display_name, f"is not valid JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise SourceFormatError(
            ctx.display_name, "is not a Comtrade API response", expected='{"data": [...]}'
        )
    records = payload["data"]
    keys: dict[str, None] = {}
    for rec in records:
        if not isinstance(rec, dict):
            raise SourceFormatError(ctx.display_name, "a record of 'data' is not a JSON object")
        keys.update(dict.fromkeys(rec))
    cols = map_header(ctx.display_name, list(keys), KNOWN_COLUMNS, REQUIRED_COLUMNS)
    ctx = replace(ctx, sha256=sha256)
    rows: list[tuple[int, list[str | None]]] = []
    rejected = []
    for position, rec in enumerate(records, start=1):
        lacking = [k for k in cols if k not in rec]
        if lacking:
            rejected.append(
                missing_fields_quarantine(ctx, DATASET, position, f"lacks {', '.join(lacking)}")
            )
            continue
        rows.append((position, [json_text(rec[k]) for k in cols]))
    return Prepared(
        source=SOURCE_COMTRADE,
        sha256=sha256,
        relations=[(_relation_sql(ctx, "comtrade_json", cols, "ordinality"), len(rows))],
        rows_read=len(records),
        pre_quarantine=rejected,
        arrow_inputs={"comtrade_json": text_table(len(cols), rows)},
        views=reference_views(),
    )


def prepare(ctx: FileContext, tmp_dir: Path) -> Prepared:
    """CSV or JSON, told apart by the first non-blank byte (`{` = API JSON)."""
    with open(ctx.path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return prepare_json(ctx, sha256_file(ctx.path))
    return prepare_csv(ctx, tmp_dir)
