"""China Customs platform export: the GBK fixture, encodings, period forms, yuan, flow."""

from __future__ import annotations

import csv

import pytest

from etl.customs.api import ingest_files
from etl.customs.core import IngestOptions
from etl.errors import SourceFormatError
from tests.customs.helpers import CHINA_GBK, landed, quarantine, settings_for

EXPECTED_QUARANTINE = {
    (11, "unknown_partner", "贸易伙伴编码", "701"),
    (12, "bad_value", "美元", "-"),
    (13, "negative_value", "美元", "-12,345"),
    (14, "bad_code", "商品编码", "1201AB90"),
    (15, "bad_code_length", "商品编码", "120190"),
    (16, "bad_period", "数据年月", "201813"),
    (17, "wrong_field_count", "row", "fewer than 10 fields"),
    (18, "wrong_field_count", "row", "12 fields"),
    (19, "blank_row", "row", None),
    (20, "blank_row", "row", None),
    (21, "missing_value", "美元", None),
    (22, "bad_quantity", "第一数量", "abc"),
}


def test_gbk_fixture_loads_and_quarantines_each_malformed_row(tmp_path):
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [CHINA_GBK])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (22, 10, 12)
    assert result.partitions_written == ["source=china_customs/reporter=CHN/year=2018"]
    got = {
        (q["source_row"], q["reason_code"], q["field"], q["value"]) for q in quarantine(settings)
    }
    assert got == EXPECTED_QUARANTINE
    rows = landed(settings)
    assert [r["_source_row"] for r in rows] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 23]
    soy = rows[0]
    assert soy["hs_code"] == "12019019" and soy["description"] == "其他黄大豆"
    assert (soy["partner_iso3"], soy["flow"], soy["valuation"]) == ("USA", "import", "CIF")
    assert (soy["period"], soy["period_year"], soy["period_month"]) == ("2018-03", 2018, 3)
    assert soy["trade_value_usd"] == 646_212_345 and soy["source_unit"] == "USD"
    assert soy["quantity"] == 1_523_418_000 and soy["quantity_unit"] == "千克"
    assert soy["hs_revision"] == "HS2017" and soy["hs_level"] == 8
    # a code that lost its leading zero gets it back; a quoted comma stays in the name
    assert rows[7]["hs_code"] == "08011100" and rows[7]["partner_iso3"] == "VNM"
    assert rows[8]["description"] == "排气量超过1500毫升,但不超过2000毫升的小轿车"
    assert {r["partner_iso3"] for r in rows} == {"USA", "DEU", "TWN", "VNM"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_and_without_bom_land_the_same_rows(tmp_path, encoding):
    text = CHINA_GBK.read_bytes().decode("gbk")
    path = tmp_path / "china_customs_import_201803_utf8.csv"
    path.write_bytes(text.encode(encoding))
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    assert (result.rows_loaded, result.rows_quarantined) == (10, 12)
    assert landed(settings)[0]["description"] == "其他黄大豆"


def test_period_with_dash_and_lf_line_endings(tmp_path):
    text = CHINA_GBK.read_bytes().decode("gbk").replace("\r\n", "\n").replace("201803,", "2018-03,")
    path = tmp_path / "imports_2018-03.csv"
    path.write_bytes(text.encode("gbk"))
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    assert (result.rows_loaded, result.rows_quarantined) == (10, 12)
    assert {r["period"] for r in landed(settings)} == {"2018-03"}


def test_yuan_needs_a_rate(tmp_path):
    text = CHINA_GBK.read_bytes().decode("gbk").replace(",美元,", ",人民币,", 1)
    path = tmp_path / "进口_人民币_201803.csv"
    path.write_bytes(text.encode("gbk"))
    settings = settings_for(tmp_path)
    with pytest.raises(SourceFormatError, match="人民币") as err:
        ingest_files(settings, "china-customs", [path])
    assert "--cny-per-usd" in str(err.value)
    (result,) = ingest_files(
        settings, "china-customs", [path], options=IngestOptions(cny_per_usd=6.5)
    )
    assert result.rows_loaded == 10
    soy = landed(settings)[0]
    assert soy["source_unit"] == "CNY" and soy["source_value"] == 646_212_345
    assert soy["trade_value_usd"] == pytest.approx(646_212_345 / 6.5)


def _usd_by_row(path) -> dict[int, int]:
    """The 美元 value of every data row of a China Customs export, by file row number
    (1 = the header), read with the csv module: what a loaded row must carry."""
    with open(path, encoding="gbk", newline="") as fh:
        rows = list(csv.reader(fh))
    column = rows[0].index("美元")
    out = {}
    for number, row in enumerate(rows[1:], start=2):
        text = row[column].replace(",", "") if len(row) > column else ""
        if text.isdigit():
            out[number] = int(text)
    return out


def _flows_and_values(settings, source_file) -> tuple[set, dict[int, float]]:
    rows = [r for r in landed(settings) if r["_source_file"].endswith(source_file)]
    flows = {(r["flow"], r["valuation"]) for r in rows}
    return flows, {r["_source_row"]: r["trade_value_usd"] for r in rows}


@pytest.mark.parametrize(
    ("file_name", "flow", "valuation"),
    [
        ("2018年3月出口.csv", "export", "FOB"),
        ("2018年3月进口.csv", "import", "CIF"),
        ("china_exports_201803.csv", "export", "FOB"),
        ("china_imports_201803.csv", "import", "CIF"),
        ("cn-exp-201803.csv", "export", "FOB"),
        ("cn-imp-201803.csv", "import", "CIF"),
    ],
    ids=["chukou", "jinkou", "exports", "imports", "exp", "imp"],
)
def test_flow_and_valuation_come_from_the_file_name(tmp_path, file_name, flow, valuation):
    path = tmp_path / file_name
    path.write_bytes(CHINA_GBK.read_bytes())
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "china-customs", [path])
    flows, values = _flows_and_values(settings, file_name)
    assert flows == {(flow, valuation)}, (
        f"{file_name} must land as {flow}/{valuation} (China Customs: imports CIF, exports "
        f"FOB), landed as {sorted(flows)}"
    )
    # the values are the file's 美元 column, row for row, whatever the flow
    usd = _usd_by_row(path)
    assert result.rows_loaded == len(values) > 0
    assert values == {row: usd[row] for row in values}, f"{file_name}: values differ from the file"


def test_flow_comes_from_the_option_or_the_file_name(tmp_path):
    data = CHINA_GBK.read_bytes()
    unnamed = tmp_path / "201803.csv"
    unnamed.write_bytes(data)
    settings = settings_for(tmp_path)
    with pytest.raises(SourceFormatError, match="--flow"):
        ingest_files(settings, "china-customs", [unnamed])
    ingest_files(settings, "china-customs", [unnamed], options=IngestOptions(flow="export"))
    flows, values = _flows_and_values(settings, "201803.csv")
    assert flows == {("export", "FOB")}, f"--flow export landed as {sorted(flows)}"
    assert values == {row: _usd_by_row(unnamed)[row] for row in values} and values
    # the option wins over the file name: an 进口 (import) file landed with --flow export
    named_import = tmp_path / "进口_201803.csv"
    named_import.write_bytes(data)
    other = settings_for(tmp_path / "other")
    ingest_files(other, "china-customs", [named_import], options=IngestOptions(flow="export"))
    flows, _ = _flows_and_values(other, "进口_201803.csv")
    assert flows == {("export", "FOB")}, f"--flow export on an 进口 file landed as {sorted(flows)}"
    # without the option, 出口 (export) in the name decides
    chinese = tmp_path / "2018年3月出口.csv"
    chinese.write_bytes(data)
    by_name = settings_for(tmp_path / "by_name")
    (result,) = ingest_files(by_name, "china-customs", [chinese])
    flows, values = _flows_and_values(by_name, "2018年3月出口.csv")
    assert flows == {("export", "FOB")}, f"an 出口 file landed as {sorted(flows)}"
    assert result.rows_loaded == len(values) == 10
    # a name that says both is refused rather than guessed
    both = tmp_path / "进口_出口_201803.csv"
    both.write_bytes(data)
    with pytest.raises(SourceFormatError, match="--flow"):
        ingest_files(settings_for(tmp_path / "both"), "china-customs", [both])


def test_unknown_and_unsupported_columns_are_errors(tmp_path):
    text = CHINA_GBK.read_bytes().decode("gbk")
    odd = tmp_path / "import_odd.csv"
    odd.write_bytes(text.replace("商品名称", "品名", 1).encode("gbk"))
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "china-customs", [odd])
    assert "import_odd.csv" in str(err.value) and "'品名'" in str(err.value)
    grouped = tmp_path / "import_by_mode.csv"
    grouped.write_bytes(
        text.replace("第二计量单位,", "第二计量单位,贸易方式名称,", 1).encode("gbk")
    )
    with pytest.raises(SourceFormatError, match="贸易方式名称"):
        ingest_files(settings_for(tmp_path), "china-customs", [grouped])


def test_undecodable_bytes_are_an_error(tmp_path):
    path = tmp_path / "import_bad.csv"
    path.write_bytes(CHINA_GBK.read_bytes() + b"201803,\xff\xff\xff\n")
    with pytest.raises(SourceFormatError, match="GBK"):
        ingest_files(settings_for(tmp_path), "china-customs", [path])
