"""China Customs statistics platform (海关统计数据在线查询平台, stats.customs.gov.cn): CSV export.

The layout, as far as public material shows it (no export could be downloaded here):
- header `数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,第一数量,第一计量单位,第二数量,
  第二计量单位,美元` (or `人民币` for yuan) when the query is grouped by commodity (HS8) and
  trade partner, by month. Confirmed by two independent public parsers of the platform's export
  (one documents exactly this header "实测", GBK); others show the same columns with `人民币`.
- GBK / GB18030 encoding (the platform's default); UTF-8 with or without BOM is accepted too.
- `数据年月` as `201801` (parsers read it with `%Y%m`); `2018-01` and `2018/01` are accepted.
- amounts with thousands separators, quoted (`"1,234,567"`); some exports end each line with
  an empty column (a trailing comma): accepted (one extra empty field).
- the flow (进口 / 出口) is chosen in the query form and is NOT a column: it is taken from the
  `flow` option (`--flow import|export`), else from the file name (`进口`/`import`/`imp` or
  `出口`/`export`/`exp`); a file that says neither is rejected rather than guessed.
- queries grouped by trade mode (`贸易方式编码/名称`) or by registration place (`注册地编码/名称`)
  split one (product, partner, month) over several rows; they are rejected with a clear error,
  because the landed grain has no trade mode and the rows would collide in staging.

Column mapping (landed <- export)
- reporter_iso3 'CHN'; source 'china_customs'; hs_level 8
- partner_iso3 <- `贸易伙伴编码` via `reference/china_customs_partners.csv` (502 = USA);
  a code not in the table -> quarantine `unknown_partner`
- flow, valuation <- import/CIF or export/FOB (China's customs statistics convention)
- hs_code <- `商品编码`, 8 digits (a 7-digit code lost its leading zero and gets it back)
- hs_revision <- by year: HS2012 to 2016, HS2017 2017-2021, HS2022 from 2022 (China's
  tariff editions; the export does not state it)
- period, period_year, period_month <- `数据年月` -> 'YYYY-MM'
- trade_value_usd <- `美元`; or `人民币` / cny_per_usd when a rate is given. A file in yuan
  without a rate is rejected: a silently wrong currency is worse than no load
- source_value, source_unit <- the amount as written (separators removed), 'USD' or 'CNY'
- description <- `商品名称`
- quantity, quantity_unit <- `第一数量`, `第一计量单位` (the second quantity is not kept)

Quarantine reasons: blank_row, wrong_field_count, unknown_partner, bad_period, bad_code,
bad_code_length, missing_value, bad_value, negative_value, bad_quantity.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from etl.customs.core import (
    REJECT_COLUMNS,
    FileContext,
    Prepared,
    field_checks_sql,
    lineage_sql,
    lit,
    map_header,
    prepared_from_scan,
    rej,
)
from etl.customs.reference import REFERENCE_VIEWS
from etl.customs.schema import SOURCE_CHINA_CUSTOMS, hs_revision_for_year
from etl.customs.textscan import PieceKey, scan_text
from etl.errors import SourceFormatError

DATASET = "trade_flows"
PERIOD, CODE, NAME = "数据年月", "商品编码", "商品名称"
PARTNER, PARTNER_NAME = "贸易伙伴编码", "贸易伙伴名称"
QTY1, UNIT1, QTY2, UNIT2 = "第一数量", "第一计量单位", "第二数量", "第二计量单位"
USD, CNY = "美元", "人民币"
KNOWN_COLUMNS = [PERIOD, CODE, NAME, PARTNER, PARTNER_NAME, QTY1, UNIT1, QTY2, UNIT2, USD, CNY]
REQUIRED_COLUMNS = [PERIOD, CODE, PARTNER]
USED = [PERIOD, CODE, NAME, PARTNER, QTY1, UNIT1, USD, CNY]  # the columns the SQL reads
UNSUPPORTED_GROUPINGS = ["贸易方式编码", "贸易方式名称", "注册地编码", "注册地名称"]
_IMPORT = re.compile(r"进口|import|(^|[^a-z])imp([^a-z]|$)", re.I)
_EXPORT = re.compile(r"出口|export|(^|[^a-z])exp([^a-z]|$)", re.I)


def flow_of(ctx: FileContext) -> str:
    if ctx.options.flow:
        if ctx.options.flow not in ("import", "export"):
            raise SourceFormatError(
                ctx.display_name, f"flow must be import or export, not {ctx.options.flow!r}"
            )
        return ctx.options.flow
    name = Path(ctx.display_name).name
    is_import, is_export = bool(_IMPORT.search(name)), bool(_EXPORT.search(name))
    if is_import == is_export:
        raise SourceFormatError(
            ctx.display_name,
            "the export does not say whether it holds imports or exports (it is chosen in the "
            "query form, not written in the file)",
            expected="--flow import|export, or 进口/出口 (import/export) in the file name",
        )
    return "import" if is_import else "export"


def _relation_sql(
    ctx: FileContext, source: str, cols: dict[str, int], row_expr: str, flow: str
) -> str:
    def c(name: str) -> str:
        return f"c{cols[name]}" if name in cols else "CAST(NULL AS VARCHAR)"

    blank, fields_ok, fields_found = field_checks_sql(
        len(cols), [cols[n] for n in USED if n in cols]
    )
    value_col = USD if USD in cols else CNY
    rate = ctx.options.cny_per_usd if value_col == CNY else None
    to_usd = f"_amount / {float(rate)!r}" if rate else "_amount"
    return f"""
WITH p AS (
    SELECT t.*, m.iso3 AS _partner,
        trim({c(PARTNER)}) AS _partner_code,
        regexp_replace(trim({c(PERIOD)}), '[-/]', '') AS _period_raw,
        trim({c(CODE)}) AS _code_raw,
        nullif(replace(trim({c(value_col)}), ',', ''), '') AS _amount_raw,
        TRY_CAST(replace(trim({c(value_col)}), ',', '') AS DOUBLE) AS _amount,
        nullif(replace(trim({c(QTY1)}), ',', ''), '') AS _qty_raw,
        TRY_CAST(nullif(replace(trim({c(QTY1)}), ',', ''), '') AS DOUBLE) AS _qty
    FROM {source} AS t
    LEFT JOIN ref_cn_partners AS m ON m.code = trim(t.{c(PARTNER)})
),
q AS (
    SELECT *,
        CASE WHEN length(_code_raw) = 7 THEN '0' || _code_raw ELSE _code_raw END AS _code,
        TRY_CAST(substr(_period_raw, 1, 4) AS SMALLINT) AS _year,
        TRY_CAST(substr(_period_raw, 5, 2) AS TINYINT) AS _month
    FROM p
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
        WHEN _partner IS NULL
            THEN {
        rej(
            "unknown_partner",
            PARTNER,
            "_partner_code",
            f"{PARTNER} is not in reference/china_customs_partners.csv",
        )
    }
        WHEN NOT regexp_full_match(_period_raw, '[0-9]{{6}}') OR _month NOT BETWEEN 1 AND 12
            OR _year NOT BETWEEN 1980 AND 2100
            THEN {rej("bad_period", PERIOD, c(PERIOD), f"{PERIOD} is not a month (YYYYMM)")}
        WHEN NOT regexp_full_match(_code, '[0-9]+')
            THEN {rej("bad_code", CODE, "_code_raw", f"{CODE} is not all digits")}
        WHEN length(_code) <> 8
            THEN {rej("bad_code_length", CODE, "_code_raw", f"{CODE} does not have 8 digits")}
        WHEN _amount_raw IS NULL
            THEN {rej("missing_value", value_col, "NULL", f"{value_col} is empty")}
        WHEN _amount IS NULL OR isnan(_amount) OR isinf(_amount)
            THEN {rej("bad_value", value_col, c(value_col), f"{value_col} is not a number")}
        WHEN _amount < 0
            THEN {rej("negative_value", value_col, c(value_col), f"{value_col} is negative")}
        WHEN _qty_raw IS NOT NULL AND (_qty IS NULL OR _qty < 0)
            THEN {rej("bad_quantity", QTY1, c(QTY1), f"{QTY1} is not a non-negative number")}
    END AS _rej
    FROM q
)
SELECT
    'CHN' AS reporter_iso3,
    _partner AS partner_iso3,
    {lit(flow)} AS flow,
    _code AS hs_code,
    CAST(8 AS TINYINT) AS hs_level,
    {hs_revision_for_year("_year")} AS hs_revision,
    CASE WHEN _month BETWEEN 1 AND 12 AND _year BETWEEN 1 AND 9999  -- rejected rows too
         THEN strftime(make_date(_year, _month, 1), '%Y-%m') END AS period,
    _year AS period_year,
    {to_usd} AS trade_value_usd,
    _amount AS source_value,
    {lit("USD" if value_col == USD else "CNY")} AS source_unit,
    {lit("CIF" if flow == "import" else "FOB")} AS valuation,
    {lit(SOURCE_CHINA_CUSTOMS)} AS source,
    {c(NAME)} AS description,
    {lineage_sql(ctx, row_expr)},
    _month AS period_month,
    _qty AS quantity,
    nullif(trim({c(UNIT1)}), '') AS quantity_unit,
    {REJECT_COLUMNS}
FROM checked
"""


def _piece_key(ctx: FileContext) -> PieceKey | None:
    """The partition of a line (reporter is always CHN) is the year of 数据年月: a hint for
    cutting the file, given only when 数据年月 is the first column."""
    with open(ctx.path, "rb") as fh:
        first = fh.readline()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            header = first.decode(encoding).split(",")
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    return PieceKey(((0, 4),)) if header and header[0].strip() == PERIOD else None


def prepare(ctx: FileContext, tmp_dir: Path) -> Prepared:
    scan = scan_text(
        ctx.path, ctx.display_name, tmp_dir, pieces=ctx.parallelism, key=_piece_key(ctx)
    )
    try:
        header = [h.lstrip("\ufeff") for h in scan.header]
        grouped = [h for h in header if h in UNSUPPORTED_GROUPINGS]
        if grouped:
            raise SourceFormatError(
                ctx.display_name,
                f"the export is broken down by {'/'.join(grouped)}: one product, partner and "
                "month spans several rows; export it grouped by 商品 and 贸易伙伴 only",
                row=1,
                field=grouped[0],
            )
        cols = map_header(ctx.display_name, header, KNOWN_COLUMNS, REQUIRED_COLUMNS)
        if (USD in cols) == (CNY in cols):
            raise SourceFormatError(
                ctx.display_name,
                "needs exactly one value column, 美元 (USD) or 人民币 (CNY)",
                row=1,
                field=USD,
            )
        if CNY in cols and not ctx.options.cny_per_usd:
            raise SourceFormatError(
                ctx.display_name,
                "values are in 人民币 (yuan); give the exchange rate to convert them",
                row=1,
                field=CNY,
                expected="--cny-per-usd RATE (yuan per US dollar), or an export in 美元",
            )
        if ctx.options.cny_per_usd is not None and ctx.options.cny_per_usd <= 0:
            raise SourceFormatError(ctx.display_name, "cny_per_usd must be positive")
        flow = flow_of(ctx)
        ctx = replace(ctx, sha256=scan.sha256)
        return prepared_from_scan(
            ctx,
            scan,
            len(cols),
            lambda read, rows: _relation_sql(ctx, read, cols, rows, flow),
            source=SOURCE_CHINA_CUSTOMS,
            views={"ref_cn_partners": REFERENCE_VIEWS["ref_cn_partners"]},
            dataset=DATASET,
        )
    except BaseException:
        scan.cleanup()
        raise
