"""UN Comtrade adapter: flow and valuation, HS level and revision, annual and monthly periods,
quantities and their units, each malformed record's reason, and the CSV/JSON detection. Records
are written by the test; expected values come from the records it wrote."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from etl.customs.api import ingest_files
from etl.customs.comtrade import _piece_key
from etl.customs.core import FileContext, IngestOptions
from etl.customs.schema import COMTRADE_HS_REVISIONS
from etl.customs.textscan import PieceKey
from etl.errors import SourceFormatError
from tests.customs.helpers import COMTRADE_CHN, landed, quarantine, settings_for

BASE = {
    "freqCode": "M",
    "refYear": 2017,
    "refMonth": 3,
    "period": "201703",
    "reporterISO": "CHN",
    "flowCode": "M",
    "partnerISO": "USA",
    "classificationCode": "H5",
    "cmdCode": "120190",
    "cmdDesc": "Soya beans",
    "primaryValue": 1234.5,
    "qty": 100,
    "qtyUnitAbbr": "kg",
    "qtyUnitCode": 8,
}


def _record(**changes) -> dict:
    return {**BASE, **changes}


def _write(path: Path, records: list[dict], prefix: str = "") -> Path:
    path.write_text(prefix + json.dumps({"data": records}), encoding="utf-8")
    return path


def _ingest(tmp_path: Path, records: list[dict], prefix: str = ""):
    settings = settings_for(tmp_path)
    path = _write(tmp_path / "comtrade.json", records, prefix)
    (result,) = ingest_files(settings, "comtrade", [path])
    rows = {r["_source_row"]: r for r in landed(settings)} if result.rows_loaded else {}
    return result, rows, settings


def test_imports_are_valued_cif_and_exports_fob(tmp_path):
    records = [
        _record(flowCode="M"),
        _record(flowCode="X", reporterISO="USA", partnerISO="CHN", primaryValue=99.25),
    ]
    result, rows, _ = _ingest(tmp_path, records)
    assert result.rows_loaded == 2
    assert (rows[1]["flow"], rows[1]["valuation"]) == ("import", "CIF")
    assert (rows[2]["flow"], rows[2]["valuation"]) == ("export", "FOB")
    assert (rows[2]["reporter_iso3"], rows[2]["partner_iso3"]) == ("USA", "CHN")
    for pos, rec in enumerate(records, start=1):
        assert rows[pos]["trade_value_usd"] == rows[pos]["source_value"] == rec["primaryValue"]
        assert rows[pos]["source_unit"] == "USD" and rows[pos]["source"] == "un_comtrade"
        assert rows[pos]["description"] == rec["cmdDesc"]


def test_each_classification_code_gives_its_hs_revision(tmp_path):
    records = [_record(classificationCode=code) for code in COMTRADE_HS_REVISIONS]
    _, rows, _ = _ingest(tmp_path, records)
    got = {rec["classificationCode"]: rows[i]["hs_revision"] for i, rec in enumerate(records, 1)}
    assert got == {
        "H0": "HS1992",
        "H1": "HS1996",
        "H2": "HS2002",
        "H3": "HS2007",
        "H4": "HS2012",
        "H5": "HS2017",
        "H6": "HS2022",
    }


def test_the_hs_level_is_the_code_length_and_total_is_level_zero(tmp_path):
    codes = ["12", "1201", "120190", "TOTAL"]
    _, rows, _ = _ingest(tmp_path, [_record(cmdCode=c) for c in codes])
    assert [(rows[i]["hs_code"], rows[i]["hs_level"]) for i in range(1, 5)] == [
        ("12", 2),
        ("1201", 4),
        ("120190", 6),
        ("TOTAL", 0),
    ]


def test_annual_and_monthly_periods(tmp_path):
    records = [
        _record(freqCode="A", refYear=2019, refMonth=52, period="2019"),
        _record(freqCode="M", refYear=2019, refMonth=11, period="201911"),
        _record(freqCode="M", refYear=1960, refMonth=1, period="196001"),
    ]
    _, rows, _ = _ingest(tmp_path, records)
    assert (rows[1]["period"], rows[1]["period_year"], rows[1]["period_month"]) == (
        "2019",
        2019,
        None,
    )
    assert (rows[2]["period"], rows[2]["period_year"], rows[2]["period_month"]) == (
        "2019-11",
        2019,
        11,
    )
    assert rows[3]["period"] == "1960-01"


def test_a_quantity_keeps_its_unit_and_na_or_code_minus_one_means_none(tmp_path):
    records = [
        _record(qty=3512000000, qtyUnitAbbr="kg", qtyUnitCode=8),
        _record(qty=5, qtyUnitAbbr="N/A", qtyUnitCode=-1),
        _record(qty=5, qtyUnitAbbr="u", qtyUnitCode=-1),  # code -1: no unit whatever the abbr
        _record(qty=7, qtyUnitAbbr="", qtyUnitCode=5),  # no unit: a bare number is not kept
        _record(qty=None, qtyUnitAbbr="kg", qtyUnitCode=8),
        _record(qty=0, qtyUnitAbbr="u", qtyUnitCode=5),
    ]
    result, rows, _ = _ingest(tmp_path, records)
    assert result.rows_loaded == len(records)
    assert [(rows[i]["quantity"], rows[i]["quantity_unit"]) for i in range(1, 7)] == [
        (3512000000, "kg"),
        (None, None),
        (None, None),
        (None, None),
        (None, "kg"),
        (0, "u"),
    ]


def test_each_malformed_record_is_quarantined_with_its_field_and_reason(tmp_path):
    records = [
        _record(reporterISO="XXA"),  # 1
        _record(partnerISO="XXB"),  # 2
        _record(flowCode="RX"),  # 3
        _record(classificationCode="H9"),  # 4
        _record(cmdCode="1201901"),  # 5
        _record(freqCode="A", refMonth=3, period="2017"),  # 6: annual needs refMonth 52
        _record(period="201704"),  # 7: period disagrees with refYear/refMonth
        _record(refYear=1959, period="195903"),  # 8
        _record(freqCode="Q"),  # 9
        _record(primaryValue=None),  # 10
        _record(primaryValue="1e9x"),  # 11
        _record(primaryValue=-0.5),  # 12
        _record(qty="many"),  # 13
        _record(qty=-1),  # 14
        _record(freqCode="M", refYear=2017, refMonth=13, period="201713"),  # 15
    ]
    result, rows, settings = _ingest(tmp_path, records)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (15, 0, 15)
    got = {
        q["source_row"]: (q["reason_code"], q["field"], q["value"], q["reason"])
        for q in quarantine(settings)
    }
    period = (
        "freqCode/refYear/refMonth/period do not make an annual (refMonth 52) or monthly period"
    )
    iso = "is not an ISO 3166 alpha-3 code"
    assert got == {
        1: ("unknown_iso3", "reporterISO", "XXA", f"reporterISO {iso}"),
        2: ("unknown_iso3", "partnerISO", "XXB", f"partnerISO {iso} (or W00, World)"),
        3: ("unsupported_flow", "flowCode", "RX", "flowCode is not M (import) or X (export)"),
        4: (
            "unknown_classification",
            "classificationCode",
            "H9",
            "classificationCode is not an HS revision H0-H6",
        ),
        5: ("bad_code", "cmdCode", "1201901", "cmdCode is not TOTAL or a 2, 4 or 6 digit HS code"),
        6: ("bad_period", "period", "A/2017/3/2017", period),
        7: ("bad_period", "period", "M/2017/3/201704", period),
        8: ("bad_period", "period", "M/1959/3/195903", period),
        9: ("bad_period", "period", "Q/2017/3/201703", period),
        10: ("missing_value", "primaryValue", None, "primaryValue is empty"),
        11: ("bad_value", "primaryValue", "1e9x", "primaryValue is not a number"),
        12: ("negative_value", "primaryValue", "-0.5", "primaryValue is negative"),
        13: ("bad_quantity", "qty", "many", "qty is not a non-negative number"),
        14: ("bad_quantity", "qty", "-1", "qty is not a non-negative number"),
        15: ("bad_period", "period", "M/2017/13/201713", period),
    }


def test_the_world_partner_w00_is_kept_as_is(tmp_path):
    _, rows, _ = _ingest(tmp_path, [_record(partnerISO="W00")])
    assert rows[1]["partner_iso3"] == "W00"


def test_a_record_lacking_a_key_is_quarantined_naming_the_keys(tmp_path):
    short = {k: v for k, v in BASE.items() if k not in ("qty", "cmdDesc")}
    result, rows, settings = _ingest(tmp_path, [_record(), short, _record(primaryValue=7)])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert sorted(rows) == [1, 3] and rows[3]["trade_value_usd"] == 7
    (q,) = quarantine(settings)
    assert (q["source_row"], q["reason_code"], q["field"]) == (2, "wrong_field_count", "row")
    assert q["value"] == "lacks cmdDesc, qty"


@pytest.mark.parametrize("prefix", ["\ufeff", "  \r\n\t"], ids=["bom", "whitespace"])
def test_api_json_is_recognised_after_a_bom_or_blank_space(tmp_path, prefix):
    result, rows, _ = _ingest(tmp_path, [_record()], prefix=prefix)
    assert result.rows_loaded == 1 and rows[1]["hs_code"] == "120190"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"data": [1, 2]}', "a record of 'data' is not a JSON object"),
        ('{"rows": []}', 'is not a Comtrade API response; expected {"data": [...]}'),
        ('{"data": {}}', "is not a Comtrade API response"),
        ('{"data": [', "is not valid JSON"),
    ],
    ids=["record-not-object", "no-data-key", "data-not-list", "truncated"],
)
def test_a_file_that_is_not_an_api_response_is_an_error_naming_it(tmp_path, text, expected):
    path = tmp_path / "api_2017.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "comtrade", [path])
    assert "api_2017.json" in str(err.value) and expected in str(err.value)


def _ctx(path: Path) -> FileContext:
    return FileContext(path, path.name, "", datetime.now(UTC), IngestOptions())


def test_the_cut_hint_of_a_bulk_file_is_its_year_and_reporter(tmp_path):
    """Big bulk files are cut where the landed partition (reporter, year) changes: refYear (4
    characters) and reporterISO (3), found by header name; no hint when a column that may
    hold a quoted comma comes first."""
    key = _piece_key(_ctx(COMTRADE_CHN))
    header = COMTRADE_CHN.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert key == PieceKey(((header.index("refYear"), 4), (header.index("reporterISO"), 3)))
    assert key.of(b'"C","A","20130101","2013","52","2013","156","CHN","China"') == b"2013|CHN"
    reordered = tmp_path / "reordered.csv"
    reordered.write_text("reporterISO,freqCode,refYear,cmdCode\r\n", encoding="utf-8")
    assert _piece_key(_ctx(reordered)) == PieceKey(((2, 4), (0, 3)))
    unsafe = tmp_path / "unsafe.csv"
    unsafe.write_text("cmdDesc,refYear,reporterISO\r\n", encoding="utf-8")
    assert _piece_key(_ctx(unsafe)) is None
    late_unsafe = tmp_path / "late_unsafe.csv"
    late_unsafe.write_text("refYear,cmdDesc,reporterISO\r\n", encoding="utf-8")
    assert _piece_key(_ctx(late_unsafe)) is None
    no_year = tmp_path / "no_year.csv"
    no_year.write_text("freqCode,reporterISO,period\r\n", encoding="utf-8")
    assert _piece_key(_ctx(no_year)) is None
    # every column before the later of the two must be a short code
    for safe in ("typeCode", "freqCode", "refPeriodId", "refMonth", "period", "reporterCode"):
        path = tmp_path / f"{safe}.csv"
        path.write_text(f"{safe},flowCode,partnerCode,partnerISO,refYear,reporterISO\r\n")
        assert _piece_key(_ctx(path)) == PieceKey(((4, 4), (5, 3))), safe


def test_every_landed_and_quarantined_row_carries_the_files_sha256(tmp_path):
    lines = COMTRADE_CHN.read_bytes().split(b"\r\n")
    csv_path = tmp_path / "TradeData_two.csv"
    csv_path.write_bytes(b"\r\n".join([lines[0], lines[1], b'"C","A"', b""]))
    json_path = _write(tmp_path / "api.json", [_record(), _record(flowCode="RX")])
    settings = settings_for(tmp_path)
    results = ingest_files(settings, "comtrade", [csv_path, json_path])
    assert [(r.rows_loaded, r.rows_quarantined) for r in results] == [(1, 1), (1, 1)]
    for path, result in zip([csv_path, json_path], results, strict=True):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert result.sha256 == digest
        rows = [r for r in landed(settings) if r["_source_file"] == str(path)]
        assert [r["_source_sha256"] for r in rows] == [digest]
        quarantined = [q for q in quarantine(settings) if q["source_file"] == str(path)]
        assert [(q["source_sha256"], q["dataset"]) for q in quarantined] == [
            (digest, "trade_flows")
        ]


def test_a_header_that_is_not_utf8_is_a_clear_error_not_a_crash(tmp_path):
    lines = COMTRADE_CHN.read_bytes().split(b"\r\n")
    path = tmp_path / "bad_header.csv"
    path.write_bytes(lines[0].replace(b"cmdDesc", b"cmdDesc\xff") + b"\r\n" + lines[1] + b"\r\n")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "comtrade", [path])
    assert "bad_header.csv" in str(err.value) and "is neither UTF-8 nor GBK" in str(err.value)
