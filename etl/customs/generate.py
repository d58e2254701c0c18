"""Deterministic synthetic customs files, shaped like the real ones, for tests and benchmarks.

`generate(fmt, rows, out, seed)` writes one file of `rows` data rows (same seed and arguments ->
the same bytes) in one of two layouts:

- `comtrade`: the UN Comtrade bulk CSV exactly as bundled in `data/landing/un_comtrade_totals`
  (47 quoted columns, unquoted empty fields for missing values, a trailing comma on every data
  row, CRLF), monthly (`freqCode` M), reporter China, flows M and X, HS2017 6-digit `cmdCode`
  (Comtrade publishes no national 8-digit lines), about 200 partners (ISO 3166 list).
- `china-customs`: the CSV export of China Customs' statistics platform (GBK by default;
  `数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,第一数量,第一计量单位,第二数量,第二计量单位,美元`
  plus the trailing empty column the platform appends, amounts with thousands separators), one
  flow, HS8 lines = every HS2017 subheading + 2 national digits (1-4 lines per subheading).
  Partners are the China Customs codes the adapter can map (`reference/china_customs_partners.csv`,
  about 65): inventing the remaining ~175 codes would make the file look more real and be less true.

Shape: rows are spread over `months` consecutive months (default 120 = ten years) with a yearly
seasonality (Chinese New Year dip in February, Q4 peak); within a month each (product, partner,
flow) appears at most once, drawn without replacement with probability proportional to a
log-normal product popularity times a Zipf partner share (Gumbel top-k); values are log-normal;
about 0.1% of rows are malformed, one of: non-numeric value, negative value, bad HS code,
unknown partner, wrong field count. Rows are written month by month in chunks, so memory depends
on the largest month, never on `rows`.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from etl.customs import comtrade
from etl.customs.reference import china_customs_partners, iso3_countries
from etl.settings import PROJECT_ROOT

FORMATS = ("comtrade", "china-customs")
HS2017_CSV = PROJECT_ROOT / "data/landing/harmonized_system/hs2017/harmonized-system.csv"

# the generator writes exactly the layout the Comtrade adapter reads
COMTRADE_HEADER = comtrade.KNOWN_COLUMNS
CHINA_CUSTOMS_HEADER = [
    "数据年月",
    "商品编码",
    "商品名称",
    "贸易伙伴编码",
    "贸易伙伴名称",
    "第一数量",
    "第一计量单位",
    "第二数量",
    "第二计量单位",
    "美元",
]
# Comtrade's partner codes differ from ISO 3166 numeric for a few countries
COMTRADE_CODE_OVERRIDES = {"USA": "842", "FRA": "251", "IND": "699", "NOR": "579", "CHE": "757"}
# big partners first (a plausible ranking for China's trade); the rest follow alphabetically
TOP_PARTNERS = [
    "USA",
    "HKG",
    "JPN",
    "KOR",
    "VNM",
    "DEU",
    "AUS",
    "MYS",
    "BRA",
    "RUS",
    "IND",
    "NLD",
    "THA",
    "SGP",
    "IDN",
    "GBR",
    "MEX",
    "SAU",
    "CAN",
    "PHL",
    "FRA",
    "ITA",
    "ARE",
    "CHL",
    "ZAF",
    "ESP",
    "BEL",
    "TUR",
    "POL",
    "IRN",
]
TOP_CUSTOMS_PARTNERS = [
    "502",
    "110",
    "116",
    "133",
    "143",
    "141",
    "304",
    "601",
    "122",
    "344",
    "111",
    "309",
    "136",
    "132",
    "112",
    "303",
]
# seasonality of China's trade by calendar month (Chinese New Year dip, Q4 peak)
SEASONALITY = np.array([1.0, 0.78, 0.98, 1.0, 1.03, 1.04, 1.07, 1.08, 1.08, 1.05, 1.1, 1.15])
MALFORMED_KINDS = (
    "non_numeric_value",
    "negative_value",
    "bad_hs_code",
    "unknown_partner",
    "wrong_field_count",
)
SECTION_ZH = {
    "I": "活动物；动物产品",
    "II": "植物产品",
    "III": "动、植物油脂",
    "IV": "食品；饮料、酒及醋；烟草",
    "V": "矿产品",
    "VI": "化学工业及其相关工业的产品",
    "VII": "塑料及其制品；橡胶及其制品",
    "VIII": "生皮、皮革及其制品",
    "IX": "木及木制品",
    "X": "纸及其制品",
    "XI": "纺织原料及纺织制品",
    "XII": "鞋、帽、伞",
    "XIII": "石料、陶瓷产品；玻璃及其制品",
    "XIV": "珠宝、贵金属及其制品",
    "XV": "贱金属及其制品",
    "XVI": "机器、机械器具、电气设备",
    "XVII": "车辆、航空器、船舶",
    "XVIII": "光学、医疗等仪器；钟表；乐器",
    "XIX": "武器、弹药",
    "XX": "杂项制品",
    "XXI": "艺术品、收藏品及古物",
}
UNITS_ZH = np.array(["千克", "千克", "千克", "个", "台", "件", "升"])


@dataclass
class GenerateResult:
    path: Path
    rows: int  # data rows written (malformed included)
    malformed: dict[str, int] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)
    bytes: int = 0


@dataclass
class _Universe:
    codes: np.ndarray  # product codes (HS6 or HS8), text
    descriptions: np.ndarray
    log_popularity: np.ndarray  # per product
    unit_price: np.ndarray  # USD per kg, per product
    units: np.ndarray  # first unit per product (china-customs)
    partners: list[tuple[str, str, str]]  # (code, iso3 or customs code, name)
    log_share: np.ndarray  # per partner (Zipf)
    flows: list[str]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _hs6_rows() -> list[tuple[str, str, str]]:
    """(section, hs6, description) of the HS2017 subheadings (chapter 99 / TOTAL left out)."""
    with open(HS2017_CSV, encoding="utf-8-sig", newline="") as fh:
        return [
            (r["section"], r["hscode"], r["description"])
            for r in csv.DictReader(fh)
            if r["level"] == "6" and r["section"] not in ("TOTAL", "")
        ]


def _zipf_log_share(n: int, s: float = 1.1) -> np.ndarray:
    ranks = np.arange(1, n + 1, dtype=np.float64)
    share = ranks**-s
    return np.log(share / share.sum())


def _universe(fmt: str, rng: np.random.Generator, flow: str) -> _Universe:
    hs6 = _hs6_rows()
    if fmt == "comtrade":
        codes = np.array([h for _, h, _ in hs6])
        desc = np.array([d for _, _, d in hs6], dtype=object)
        units = np.array(["kg"] * len(codes))
        iso = iso3_countries()
        rest = sorted(c for c in iso if c not in TOP_PARTNERS and c not in ("CHN", "TWN"))
        ranked = (TOP_PARTNERS + rest)[:200]
        partners = [
            (COMTRADE_CODE_OVERRIDES.get(c, str(int(iso[c][0]))), c, iso[c][1]) for c in ranked
        ]
        flows = ["M", "X"]
    else:
        # 1-4 national lines per subheading, with the usual Chinese tariff suffixes
        suffix_sets = (("00",), ("10", "90"), ("10", "20", "90"), ("11", "19", "20", "90"))
        counts = rng.choice(4, size=len(hs6), p=[0.45, 0.3, 0.15, 0.1])
        codes_l: list[str] = []
        desc_l: list[str] = []
        for (section, code, text), k in zip(hs6, counts, strict=True):
            label = SECTION_ZH.get(section, "其他商品")
            for suffix in suffix_sets[k]:
                codes_l.append(code + suffix)
                desc_l.append(f"{label}：{_ascii(text)[:60]}")
        codes = np.array(codes_l)
        desc = np.array(desc_l, dtype=object)
        units = UNITS_ZH[rng.integers(len(UNITS_ZH), size=len(codes))]
        table = china_customs_partners()
        rest = sorted(c for c in table if c not in TOP_CUSTOMS_PARTNERS and c != "142")
        partners = [(c, c, table[c][1]) for c in TOP_CUSTOMS_PARTNERS + rest]
        flows = [flow]
    return _Universe(
        codes=codes,
        descriptions=desc,
        log_popularity=rng.normal(0.0, 1.2, size=len(codes)),
        unit_price=np.exp(rng.normal(1.5, 1.5, size=len(codes))),
        units=units,
        partners=partners,
        log_share=_zipf_log_share(len(partners)),
        flows=flows,
    )


def _month_list(start: str, months: int) -> list[tuple[int, int]]:
    year, month = (int(x) for x in start.split("-"))
    out = []
    for i in range(months):
        m0 = month - 1 + i
        out.append((year + m0 // 12, m0 % 12 + 1))
    return out


def _allocate(rows: int, weights: np.ndarray) -> np.ndarray:
    """Split `rows` over months proportionally to `weights` (largest remainder: exact total)."""
    exact = rows * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    short = rows - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:short]] += 1
    return base


def _draw_cells(
    rng: np.random.Generator,
    k: int,
    universe: int,
    log_w: np.ndarray,
    cdf_prod: np.ndarray,
    cdf_part: np.ndarray,
    n_flow: int,
) -> np.ndarray:
    """k distinct cells, weighted sampling without replacement, sorted (product-major order).

    Few rows against a big universe (the usual case): successive sampling, i.e. weighted draws
    with replacement keeping the first occurrence of each cell, which is the same distribution
    and costs O(k). Dense months (k > universe / 4): Gumbel top-k over every cell, O(universe).
    """
    if k >= universe:
        return np.arange(universe)
    if 4 * k > universe:
        keys = log_w + rng.gumbel(size=universe)
        return np.sort(np.argpartition(-keys, k - 1)[:k])
    n_part = len(cdf_part)
    chosen = np.empty(0, dtype=np.int64)
    while len(chosen) < k:
        m = int((k - len(chosen)) * 1.3) + 16
        prod = np.searchsorted(cdf_prod, rng.random(m) * cdf_prod[-1], side="right")
        part = np.searchsorted(cdf_part, rng.random(m) * cdf_part[-1], side="right")
        flow = rng.integers(n_flow, size=m)
        draws = np.concatenate([chosen, (prod * n_part + part) * n_flow + flow])
        _, first = np.unique(draws, return_index=True)
        chosen = draws[np.sort(first)]  # keep draw order: first occurrences win
    return np.sort(chosen[:k])


def _fmt_thousands(values: np.ndarray) -> list[str]:
    return [f"{v:,}" for v in values.tolist()]


def _comtrade_table(
    u: _Universe,
    year: int,
    month: int,
    prod: np.ndarray,
    part: np.ndarray,
    flow: np.ndarray,
    value: np.ndarray,
    qty: np.ndarray,
    bad_kind: np.ndarray,
) -> pa.Table:
    n = len(prod)
    period = f"{year}{month:02d}"

    def const(text: str | None) -> pa.Array:
        return pa.nulls(n, pa.string()) if text is None else pa.repeat(text, n)

    codes = [p[0] for p in u.partners]
    isos = [p[1] for p in u.partners]
    names = [p[2] for p in u.partners]
    flow_codes = np.array(u.flows)[flow]
    value_text = value.astype(str).astype(object)
    hs = u.codes[prod].astype(object)
    partner_iso = np.array(isos, dtype=object)[part]
    # malformed rows: the damage a real bulk file shows
    for kind_id, kind in enumerate(MALFORMED_KINDS):
        rows = np.nonzero(bad_kind == kind_id)[0]
        if kind == "non_numeric_value":
            value_text[rows] = [v[:2] + "x" + v[2:] for v in value_text[rows]]
        elif kind == "negative_value":
            value_text[rows] = ["-" + v for v in value_text[rows]]
        elif kind == "bad_hs_code":
            hs[rows] = [h[:2] + "A" + h[3:] for h in hs[rows]]
        elif kind == "unknown_partner":
            partner_iso[rows] = "XXZ"
    is_import = flow_codes == "M"
    columns = {
        "typeCode": const("C"),
        "freqCode": const("M"),
        "refPeriodId": const(f"{period}01"),
        "refYear": const(str(year)),
        "refMonth": const(str(month)),
        "period": const(period),
        "reporterCode": const("156"),
        "reporterISO": const("CHN"),
        "reporterDesc": const("China"),
        "flowCode": pa.array(flow_codes),
        "flowDesc": pa.array(np.where(is_import, "Import", "Export")),
        "partnerCode": pa.array(np.array(codes, dtype=object)[part]),
        "partnerISO": pa.array(partner_iso),
        "partnerDesc": pa.array(np.array(names, dtype=object)[part]),
        "partner2Code": const("0"),
        "partner2ISO": const("W00"),
        "partner2Desc": const("World"),
        "classificationCode": const("H5"),
        "classificationSearchCode": const("HS"),
        "isOriginalClassification": const("true"),
        "cmdCode": pa.array(hs),
        "cmdDesc": pa.array(u.descriptions[prod]),
        "aggrLevel": const("6"),
        "isLeaf": const("true"),
        "customsCode": const("C00"),
        "customsDesc": const("TOTAL CPC"),
        "mosCode": const("0"),
        "motCode": const("0"),
        "motDesc": const("TOTAL MOT"),
        "qtyUnitCode": const("8"),
        "qtyUnitAbbr": const("kg"),
        "qty": pa.array(qty.astype(str)),
        "isQtyEstimated": const("false"),
        "altQtyUnitCode": const("8"),
        "altQtyUnitAbbr": const("kg"),
        "altQty": pa.array(qty.astype(str)),
        "isAltQtyEstimated": const("false"),
        "netWgt": pa.array(qty.astype(str)),
        "isNetWgtEstimated": const("false"),
        "grossWgt": const(None),
        "isGrossWgtEstimated": const("false"),
        "cifvalue": pa.array(np.where(is_import, value_text, None)),
        "fobvalue": pa.array(np.where(is_import, None, value_text)),
        "primaryValue": pa.array(value_text),
        "legacyEstimationFlag": const("0"),
        "isReported": const("true"),
        "isAggregate": const("false"),
        "": const(None),  # the trailing comma of every Comtrade data row
    }
    return pa.table(columns)


def _china_customs_table(
    u: _Universe,
    year: int,
    month: int,
    prod: np.ndarray,
    part: np.ndarray,
    value: np.ndarray,
    qty: np.ndarray,
    bad_kind: np.ndarray,
) -> pa.Table:
    n = len(prod)
    units = u.units[prod]
    weight_unit = units == "千克"
    qty1 = np.where(weight_unit, qty, np.maximum(1, qty // 25))
    value_text = np.array(_fmt_thousands(value), dtype=object)
    hs = u.codes[prod].astype(object)
    partner_code = np.array([p[0] for p in u.partners], dtype=object)[part]
    for kind_id, kind in enumerate(MALFORMED_KINDS):
        rows = np.nonzero(bad_kind == kind_id)[0]
        if kind == "non_numeric_value":
            value_text[rows] = "-"  # what the platform shows for a suppressed value
        elif kind == "negative_value":
            value_text[rows] = ["-" + v for v in value_text[rows]]
        elif kind == "bad_hs_code":
            hs[rows] = [h[:4] + "XX" + h[6:] for h in hs[rows]]
        elif kind == "unknown_partner":
            partner_code[rows] = "999"
    table = china_customs_partners()
    names = np.array([table.get(c, ("", "国别不详"))[1] for c in partner_code], dtype=object)
    qty2 = np.where(weight_unit, None, np.array(_fmt_thousands(qty), dtype=object))
    return pa.table(
        {
            "数据年月": pa.repeat(year * 100 + month, n),
            "商品编码": pa.array(hs),
            "商品名称": pa.array(u.descriptions[prod]),
            "贸易伙伴编码": pa.array(partner_code.astype(np.int64)),
            "贸易伙伴名称": pa.array(names),
            "第一数量": pa.array(_fmt_thousands(qty1)),
            "第一计量单位": pa.array(units),
            "第二数量": pa.array(qty2, pa.string()),
            "第二计量单位": pa.array(np.where(weight_unit, None, "千克"), pa.string()),
            "美元": pa.array(value_text),
            "": pa.nulls(n, pa.string()),  # the platform's trailing empty column
        }
    )


def _damage_field_count(data: bytes, eol: bytes, rows: list[int], rng_bits: list[int]) -> bytes:
    """Cut some lines after their second field, or add a field (wrong field count).

    Cutting after the second field never splits a quoted value: in both layouts the first two
    fields (Comtrade typeCode/freqCode, China Customs 数据年月/商品编码) hold no commas.
    """
    lines = data.split(eol)
    for row, bit in zip(rows, rng_bits, strict=True):
        line = lines[row]
        lines[row] = line + b',"extra"' if bit else b",".join(line.split(b",", 2)[:2])
    return eol.join(lines)


def generate(
    fmt: str,
    rows: int,
    out: Path,
    seed: int = 0,
    *,
    start: str = "2015-01",
    months: int = 120,
    flow: str = "import",
    encoding: str | None = None,
    chunk_rows: int = 100_000,
    malformed_rate: float = 0.001,
) -> GenerateResult:
    """Write `rows` synthetic data rows of format `fmt` to `out`; see the module docstring."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    if rows < 0 or months < 1:
        raise ValueError("rows must be >= 0 and months >= 1")
    if flow not in ("import", "export"):
        raise ValueError("flow must be 'import' or 'export'")
    encoding = encoding or ("gbk" if fmt == "china-customs" else "utf-8")
    rng = np.random.default_rng(seed)
    u = _universe(fmt, rng, flow)
    n_prod, n_part, n_flow = len(u.codes), len(u.partners), len(u.flows)
    universe = n_prod * n_part * n_flow
    # log-weight of every (product, partner, flow) cell, flattened product-major
    log_w = (
        u.log_popularity[:, None, None] + u.log_share[None, :, None] + np.zeros((1, 1, n_flow))
    ).ravel()
    cdf_prod = np.cumsum(np.exp(u.log_popularity))
    cdf_part = np.cumsum(np.exp(u.log_share))
    month_list = _month_list(start, months)
    per_month = _allocate(rows, SEASONALITY[[m - 1 for _, m in month_list]])
    if per_month.max(initial=0) > universe:
        raise ValueError(
            f"{per_month.max()} rows in one month exceed the {universe} distinct "
            f"(product, partner, flow) cells; use more --months"
        )
    header = COMTRADE_HEADER if fmt == "comtrade" else CHINA_CUSTOMS_HEADER
    eol = "\r\n"
    # the platform's export and Comtrade's bulk files both end the header as they end rows
    header_line = ",".join(header) + ("," if fmt == "china-customs" else "") + eol
    options = pacsv.WriteOptions(
        include_header=False,
        eol=eol,
        quoting_style="all_valid" if fmt == "comtrade" else "needed",
    )
    result = GenerateResult(path=Path(out), rows=0, malformed=dict.fromkeys(MALFORMED_KINDS, 0))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fh:
        fh.write(header_line.encode(encoding))
        for (year, month), k in zip(month_list, per_month, strict=True):
            result.months.append(f"{year}-{month:02d}")
            if k == 0:
                continue
            cells = _draw_cells(rng, k, universe, log_w, cdf_prod, cdf_part, n_flow)
            prod, rest = np.divmod(cells, n_part * n_flow)
            part, flw = np.divmod(rest, n_flow)
            season = math.log(SEASONALITY[month - 1])
            log_value = (
                9.0
                + 0.6 * u.log_popularity[prod]
                + 0.8 * (u.log_share[part] - u.log_share[0])
                + season
                + rng.normal(0.0, 1.6, size=k)
            )
            value = np.maximum(1, np.round(np.exp(np.minimum(log_value, 25.0)))).astype(np.int64)
            qty = np.maximum(
                1, np.round(value / u.unit_price[prod] * np.exp(rng.normal(0.0, 0.3, size=k)))
            ).astype(np.int64)
            bad = rng.random(k) < malformed_rate
            bad_kind = np.where(bad, rng.integers(len(MALFORMED_KINDS), size=k), -1)
            damage_bits = rng.integers(2, size=k)
            for lo in range(0, k, chunk_rows):
                sl = slice(lo, min(lo + chunk_rows, k))
                if fmt == "comtrade":
                    table = _comtrade_table(
                        u,
                        year,
                        month,
                        prod[sl],
                        part[sl],
                        flw[sl],
                        value[sl],
                        qty[sl],
                        bad_kind[sl],
                    )
                else:
                    table = _china_customs_table(
                        u, year, month, prod[sl], part[sl], value[sl], qty[sl], bad_kind[sl]
                    )
                buf = io.BytesIO()
                pacsv.write_csv(table, buf, write_options=options)
                data = buf.getvalue()
                wrong = np.nonzero(bad_kind[sl] == MALFORMED_KINDS.index("wrong_field_count"))[0]
                if len(wrong):
                    data = _damage_field_count(
                        data, eol.encode(), wrong.tolist(), damage_bits[sl][wrong].tolist()
                    )
                if encoding.lower().replace("-", "") not in ("utf8",):
                    data = data.decode("utf-8").encode(encoding)
                fh.write(data)
            for kind_id, kind in enumerate(MALFORMED_KINDS):
                result.malformed[kind] += int((bad_kind == kind_id).sum())
            result.rows += int(k)
    result.bytes = out.stat().st_size
    return result
