"""China Customs adapter: flow, valuation, currency, units, periods and HS revisions, each on a
small export written by the test (the platform's layout, UTF-8), expected values computed from
the rows the test wrote. Complements test_china_customs.py (the GBK fixture)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from etl.customs.api import ingest_files
from etl.customs.china_customs import _piece_key
from etl.customs.core import FileContext, IngestOptions
from etl.customs.textscan import PieceKey
from etl.errors import SourceFormatError
from tests.customs.helpers import CHINA_GBK, landed, quarantine, settings_for

HEADER = (
    "数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,"
    "第一数量,第一计量单位,第二数量,第二计量单位,美元"
)
# (数据年月, 商品编码, 商品名称, 贸易伙伴编码, 第一数量, 第一计量单位, 美元) of each data row
ROWS = [
    ("201803", "12019019", "其他黄大豆", "502", "1,523,418", "千克", "646,212,345"),
    ("201612", "30049090", "其他药品", "502", "2,000", "千克", "98,765"),
    ("201701", "30049090", "其他药品", "502", "", "", "1,000"),
    ("202112", "90189099", "其他医疗仪器", "304", "45", "台", "76,543"),
    ("202201", "8011100", "干的椰子", "502", "7", "千克", "12"),
]


def _export(path: Path, rows=ROWS, header: str = HEADER) -> Path:
    lines = [header]
    for period, code, name, partner, qty, unit, value in rows:
        lines.append(f'{period},{code},{name},{partner},x,"{qty}",{unit},,,"{value}"')
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _by_row(settings) -> dict[int, dict]:
    return {r["_source_row"]: r for r in landed(settings)}


def test_every_row_of_an_import_file_lands_cif_in_dollars_with_its_own_numbers(tmp_path):
    path = _export(tmp_path / "进口_2016_2022.csv")
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (len(ROWS), 5, 0)
    rows = _by_row(settings)
    for number, (period, code, name, _, qty, unit, value) in enumerate(ROWS, start=2):
        row = rows[number]
        assert (row["reporter_iso3"], row["flow"], row["valuation"]) == ("CHN", "import", "CIF")
        assert row["hs_code"] == code.zfill(8) and row["hs_level"] == 8
        assert row["description"] == name
        assert row["period"] == f"{period[:4]}-{period[4:]}"
        assert (row["period_year"], row["period_month"]) == (int(period[:4]), int(period[4:]))
        # dollars as written: the amount is the value, no rate applied
        assert row["trade_value_usd"] == row["source_value"] == _number(value)
        assert row["source_unit"] == "USD" and row["source"] == "china_customs"
        assert row["quantity"] == (_number(qty) if qty else None)
        assert row["quantity_unit"] == (unit or None)
    assert rows[5]["partner_iso3"] == "DEU" and rows[2]["partner_iso3"] == "USA"


def test_the_hs_revision_follows_chinas_tariff_edition_of_the_year(tmp_path):
    """HS2012 to 2016, HS2017 from 2017 to 2021, HS2022 from 2022 (1 January each time)."""
    path = _export(tmp_path / "imports_2016_2022.csv")
    settings = settings_for(tmp_path)
    ingest_files(settings, "china-customs", [path])
    by_period = {r["period"]: r["hs_revision"] for r in landed(settings)}
    assert by_period == {
        "2016-12": "HS2012",
        "2017-01": "HS2017",
        "2018-03": "HS2017",
        "2021-12": "HS2017",
        "2022-01": "HS2022",
    }


def test_an_export_file_is_valued_fob_and_an_import_file_cif_by_the_flow_option(tmp_path):
    path = _export(tmp_path / "201803.csv")  # the name says neither
    as_import = settings_for(tmp_path / "imp")
    ingest_files(as_import, "china-customs", [path], options=IngestOptions(flow="import"))
    assert {(r["flow"], r["valuation"]) for r in landed(as_import)} == {("import", "CIF")}
    as_export = settings_for(tmp_path / "exp")
    ingest_files(as_export, "china-customs", [path], options=IngestOptions(flow="export"))
    assert {(r["flow"], r["valuation"]) for r in landed(as_export)} == {("export", "FOB")}
    # the values do not depend on the flow
    assert sorted(r["trade_value_usd"] for r in landed(as_import)) == sorted(
        r["trade_value_usd"] for r in landed(as_export)
    )


def test_a_flow_option_other_than_import_or_export_is_refused(tmp_path):
    path = _export(tmp_path / "进口_201803.csv")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(
            settings_for(tmp_path), "china-customs", [path], options=IngestOptions(flow="transit")
        )
    assert "进口_201803.csv" in str(err.value)
    assert "flow must be import or export, not 'transit'" in str(err.value)


@pytest.mark.parametrize(
    "file_name",
    ["simple_201803.csv", "expert_201803.csv", "trade_201803.csv"],
    ids=["imp-inside-a-word", "exp-inside-a-word", "no-flow-word"],
)
def test_a_file_name_without_a_flow_word_is_refused_not_guessed(tmp_path, file_name):
    path = _export(tmp_path / file_name)
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "china-customs", [path])
    assert str(err.value) == (
        f"file {path}: the export does not say whether it holds imports or exports (it is "
        "chosen in the query form, not written in the file); expected --flow import|export, "
        "or 进口/出口 (import/export) in the file name"
    )


def test_only_the_file_name_decides_the_flow_not_its_folder(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    path = _export(folder / "进口_201803.csv")
    settings = settings_for(tmp_path)
    ingest_files(settings, "china-customs", [path])
    assert {(r["flow"], r["valuation"]) for r in landed(settings)} == {("import", "CIF")}


def test_a_yuan_export_is_converted_to_dollars_at_the_given_rate(tmp_path):
    rate = 6.2848
    path = _export(tmp_path / "出口_人民币.csv", header=HEADER.replace("美元", "人民币"))
    settings = settings_for(tmp_path)
    ingest_files(settings, "china-customs", [path], options=IngestOptions(cny_per_usd=rate))
    rows = _by_row(settings)
    for number, row_in in enumerate(ROWS, start=2):
        yuan = _number(row_in[-1])
        row = rows[number]
        assert (row["source_value"], row["source_unit"]) == (yuan, "CNY")
        assert row["trade_value_usd"] == pytest.approx(yuan / rate, rel=1e-12)
        assert (row["flow"], row["valuation"]) == ("export", "FOB")


def test_a_rate_given_for_a_dollar_export_changes_no_value(tmp_path):
    path = _export(tmp_path / "imports.csv")
    settings = settings_for(tmp_path)
    ingest_files(settings, "china-customs", [path], options=IngestOptions(cny_per_usd=7.0))
    rows = _by_row(settings)
    assert {n: rows[n]["trade_value_usd"] for n in rows} == {
        n: _number(r[-1]) for n, r in enumerate(ROWS, start=2)
    }
    assert {r["source_unit"] for r in rows.values()} == {"USD"}


@pytest.mark.parametrize("rate", [-6.5, -0.01])
def test_a_negative_exchange_rate_is_refused(tmp_path, rate):
    path = _export(tmp_path / "imports_cny.csv", header=HEADER.replace("美元", "人民币"))
    with pytest.raises(SourceFormatError) as err:
        ingest_files(
            settings_for(tmp_path), "china-customs", [path], options=IngestOptions(cny_per_usd=rate)
        )
    assert "imports_cny.csv" in str(err.value) and "cny_per_usd must be positive" in str(err.value)


def test_a_yuan_export_without_a_rate_names_the_column_and_the_option(tmp_path):
    path = _export(tmp_path / "imports_cny.csv", header=HEADER.replace("美元", "人民币"))
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "china-customs", [path])
    assert err.value.field == "人民币" and err.value.row == 1
    assert "yuan" in str(err.value) and "--cny-per-usd RATE" in str(err.value)


@pytest.mark.parametrize(
    "header",
    [HEADER + ",人民币", HEADER.replace(",美元", "")],
    ids=["both-currencies", "no-value-column"],
)
def test_an_export_needs_exactly_one_value_column(tmp_path, header):
    path = tmp_path / "imports.csv"
    path.write_text(header + "\r\n201803,12019019,x,502,x,1,千克,,,1\r\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "china-customs", [path])
    assert "needs exactly one value column" in str(err.value)
    assert err.value.field == "美元" and err.value.row == 1


def test_an_export_grouped_by_trade_mode_is_refused_naming_the_column(tmp_path):
    header = HEADER.replace("美元", "贸易方式编码,美元")
    path = tmp_path / "imports.csv"
    path.write_text(header + "\r\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "china-customs", [path])
    assert err.value.field == "贸易方式编码" and err.value.row == 1
    assert "grouped by 商品 and 贸易伙伴 only" in str(err.value)


@pytest.mark.parametrize("separator", ["-", "/"])
def test_a_month_written_with_a_separator_is_the_same_month(tmp_path, separator):
    rows = [(f"{p[:4]}{separator}{p[4:]}", *rest) for p, *rest in ROWS]
    path = _export(tmp_path / "imports.csv", rows=rows)
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    assert result.rows_loaded == len(ROWS)
    assert sorted(r["period"] for r in landed(settings)) == sorted(
        f"{p[:4]}-{p[4:]}" for p, *_ in ROWS
    )


def test_each_quarantined_row_says_which_field_is_wrong_and_how(tmp_path):
    bad = [
        ("201803", "12019019", "a", "999", "1", "千克", "5"),  # row 2
        ("201800", "12019019", "b", "502", "1", "千克", "5"),  # row 3
        ("201803", "1201901X", "c", "502", "1", "千克", "5"),  # row 4
        ("201803", "120190", "d", "502", "1", "千克", "5"),  # row 5
        ("201803", "12019019", "e", "502", "1", "千克", ""),  # row 6
        ("201803", "12019019", "f", "502", "1", "千克", "n/a"),  # row 7
        ("201803", "12019019", "g", "502", "1", "千克", "-5"),  # row 8
        ("201803", "12019019", "h", "502", "-1", "千克", "5"),  # row 9
        ("187001", "12019019", "i", "502", "1", "千克", "5"),  # row 10
    ]
    path = _export(tmp_path / "imports.csv", rows=bad)
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    assert (result.rows_loaded, result.rows_quarantined) == (0, len(bad))
    got = {
        q["source_row"]: (q["reason_code"], q["field"], q["value"], q["reason"])
        for q in quarantine(settings)
    }
    assert got == {
        2: (
            "unknown_partner",
            "贸易伙伴编码",
            "999",
            "贸易伙伴编码 is not in reference/china_customs_partners.csv",
        ),
        3: ("bad_period", "数据年月", "201800", "数据年月 is not a month (YYYYMM)"),
        4: ("bad_code", "商品编码", "1201901X", "商品编码 is not all digits"),
        5: ("bad_code_length", "商品编码", "120190", "商品编码 does not have 8 digits"),
        6: ("missing_value", "美元", None, "美元 is empty"),
        7: ("bad_value", "美元", "n/a", "美元 is not a number"),
        8: ("negative_value", "美元", "-5", "美元 is negative"),
        9: ("bad_quantity", "第一数量", "-1", "第一数量 is not a non-negative number"),
        10: ("bad_period", "数据年月", "187001", "数据年月 is not a month (YYYYMM)"),
    }


def test_blank_and_short_rows_are_quarantined_with_the_header_width(tmp_path):
    path = tmp_path / "imports.csv"
    path.write_text(HEADER + "\r\n,,,,,,,,,\r\n201803,12019019,x,502\r\n", encoding="utf-8")
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 0, 2)
    got = {q["source_row"]: (q["reason_code"], q["reason"]) for q in quarantine(settings)}
    width = len(HEADER.split(","))
    assert got == {
        2: ("blank_row", "row is empty"),
        3: ("wrong_field_count", f"row does not have the header's {width} fields"),
    }


def _ctx(path: Path) -> FileContext:
    return FileContext(path, path.name, "", datetime.now(UTC), IngestOptions())


def test_the_cut_hint_of_an_export_is_the_year_of_its_first_column(tmp_path):
    """Big files are cut into pieces where the landed partition (the year) changes: the hint
    is the first 4 characters of 数据年月, in UTF-8 and GBK files alike."""
    utf8 = _export(tmp_path / "imports.csv")
    key = _piece_key(_ctx(utf8))
    assert key == PieceKey(((0, 4),))
    assert key.of(b"201803,12019019,x") == b"2018"
    assert _piece_key(_ctx(CHINA_GBK)) == PieceKey(((0, 4),))
    # 数据年月 not first: no hint (a wrong hint would cut on another column)
    moved = tmp_path / "moved.csv"
    moved.write_text("商品编码,数据年月,贸易伙伴编码,美元\r\n", encoding="utf-8")
    assert _piece_key(_ctx(moved)) is None
    # a header that is neither UTF-8 nor GB18030 gives no hint
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x81\x30\x81\xff,abc\r\n")
    assert _piece_key(_ctx(garbage)) is None


def test_every_landed_and_quarantined_row_carries_the_files_sha256(tmp_path):
    path = _export(
        tmp_path / "imports.csv", rows=[ROWS[0], ("201803", "1", "x", "502", "", "", "")]
    )
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (result.rows_loaded, result.rows_quarantined, result.sha256) == (1, 1, digest)
    assert [(r["_source_file"], r["_source_sha256"]) for r in landed(settings)] == [
        (str(path), digest)
    ]
    assert [(q["source_file"], q["source_sha256"]) for q in quarantine(settings)] == [
        (str(path), digest)
    ]


def test_an_export_with_only_the_required_columns_lands_without_name_or_quantity(tmp_path):
    path = tmp_path / "imports.csv"
    path.write_text('数据年月,商品编码,贸易伙伴编码,美元\r\n201803,12019019,502,"1,234"\r\n')
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    (row,) = landed(settings)
    assert (row["hs_code"], row["trade_value_usd"], row["period"]) == ("12019019", 1234, "2018-03")
    assert (row["description"], row["quantity"], row["quantity_unit"]) == (None, None, None)
