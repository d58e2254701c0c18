"""UN Comtrade adapter: the bundled bulk files keep their totals to the dollar; the API JSON
fixture's malformed records are quarantined with their reason; bad headers are errors."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal

import pytest

from etl.customs.api import ingest_files
from etl.customs.schema import LANDED_SCHEMA
from etl.errors import SourceFormatError
from tests.customs.helpers import (
    COMTRADE_CHN,
    COMTRADE_JSON,
    COMTRADE_USA,
    landed,
    quarantine,
    settings_for,
)


def _primary_value(path, reporter: str, flow: str, year: str) -> int:
    """The exact primaryValue of one row of a bundled file, read with the csv module."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for row in rows[1:]:
        rec = dict(zip(header, row, strict=False))  # data rows carry one extra empty field
        if (rec["reporterISO"], rec["flowCode"], rec["refYear"]) == (reporter, flow, year):
            return int(rec["primaryValue"])
    raise AssertionError("row not found")


def test_bundled_totals_land_to_the_dollar(tmp_path):
    settings = settings_for(tmp_path)
    results = ingest_files(settings, "comtrade", [COMTRADE_CHN, COMTRADE_USA])
    assert [(r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results] == [
        (22, 22, 0),
        (24, 24, 0),
    ]
    rows = {
        (r["reporter_iso3"], r["partner_iso3"], r["flow"], r["period"]): r for r in landed(settings)
    }
    china_imports = rows[("CHN", "USA", "import", "2017")]
    us_exports = rows[("USA", "CHN", "export", "2017")]
    # exact source values, computed from the files themselves
    assert china_imports["trade_value_usd"] == _primary_value(COMTRADE_CHN, "CHN", "M", "2017")
    assert us_exports["trade_value_usd"] == _primary_value(COMTRADE_USA, "USA", "X", "2017")
    assert china_imports["trade_value_usd"] == 154_441_855_874
    assert us_exports["trade_value_usd"] == 129_797_515_346
    assert round(Decimal(china_imports["trade_value_usd"]) / Decimal(1e9), 2) == Decimal("154.44")
    assert round(Decimal(us_exports["trade_value_usd"]) / Decimal(1e9), 2) == Decimal("129.80")
    assert (china_imports["valuation"], us_exports["valuation"]) == ("CIF", "FOB")
    assert china_imports["hs_code"] == "TOTAL" and china_imports["hs_level"] == 0
    assert china_imports["hs_revision"] == "HS2017"  # classificationCode H5
    assert rows[("USA", "CHN", "export", "2013")]["hs_revision"] == "HS2012"  # H4
    assert rows[("USA", "CHN", "export", "2024")]["hs_revision"] == "HS2022"  # H6
    assert china_imports["period_year"] == 2017 and china_imports["period_month"] is None
    assert china_imports["source"] == "un_comtrade"
    assert china_imports["_source_file"] == "un_comtrade_totals/TradeData_China_USA.csv"
    assert china_imports["_source_sheet"] is None
    # the 2017 rows are the 9th and 10th data rows: lines 10 and 11 of the file
    assert china_imports["_source_row"] == 10


def test_landed_files_have_the_landed_schema(tmp_path):
    import pyarrow.parquet as pq

    from etl.customs.store import LandedStore

    settings = settings_for(tmp_path)
    ingest_files(settings, "comtrade", [COMTRADE_CHN])
    files = list(LandedStore(settings).trade_flows.rglob("*.parquet"))
    assert files
    for f in files:
        assert pq.read_schema(f).remove_metadata() == LANDED_SCHEMA
    rel = {str(f.parent.relative_to(LandedStore(settings).trade_flows)) for f in files}
    assert "source=un_comtrade/reporter=CHN/year=2017" in rel and len(rel) == 11


def test_api_json_malformed_records_are_quarantined_with_their_reason(tmp_path):
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "comtrade", [COMTRADE_JSON])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (11, 5, 6)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    reasons = {(q["source_row"], q["reason_code"], q["field"]) for q in quarantine(settings)}
    assert reasons == {
        (5, "unknown_iso3", "partnerISO"),
        (6, "negative_value", "primaryValue"),
        (7, "bad_value", "primaryValue"),
        (8, "bad_code", "cmdCode"),
        (9, "unsupported_flow", "flowCode"),
        (10, "wrong_field_count", "row"),
    }
    loaded = landed(settings)
    soy = next(r for r in loaded if r["hs_code"] == "120190")
    assert soy["trade_value_usd"] == 1523601234.5 and soy["period"] == "2017-03"
    assert soy["period_month"] == 3 and soy["hs_level"] == 6
    assert soy["quantity"] == 3512000000 and soy["quantity_unit"] == "kg"
    aircraft = next(r for r in loaded if r["hs_code"] == "880240")
    assert aircraft["quantity"] is None and aircraft["quantity_unit"] is None  # unit N/A


def _rewrite_header(src, dst, old: str, new: str) -> None:
    data = src.read_bytes()
    head, rest = data.split(b"\r\n", 1)
    dst.write_bytes(head.replace(old.encode(), new.encode()) + b"\r\n" + rest)


def test_unknown_column_is_an_error_naming_file_and_column(tmp_path):
    bad = tmp_path / "renamed.csv"
    _rewrite_header(COMTRADE_CHN, bad, "primaryValue", "primaryValueUSD")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "comtrade", [bad])
    assert "renamed.csv" in str(err.value) and "'primaryValueUSD'" in str(err.value)
    assert err.value.field == "primaryValueUSD"


def test_spaces_around_a_header_name_are_trimmed_and_the_rows_land_unchanged(tmp_path):
    """', refYear ,' (a hand-edited header) names Comtrade's refYear column: the scan trims
    header names, so the same rows land as from the file as published."""
    spaced = tmp_path / "spaced.csv"
    _rewrite_header(COMTRADE_CHN, spaced, ",refYear,", ", refYear ,")
    assert b", refYear ," in spaced.read_bytes().split(b"\r\n", 1)[0]
    keys = ("reporter_iso3", "partner_iso3", "flow", "period", "hs_code", "trade_value_usd")
    rows = {}
    for name, path in (("as_published", COMTRADE_CHN), ("spaced", spaced)):
        settings = settings_for(tmp_path / name)
        (result,) = ingest_files(settings, "comtrade", [path])
        assert (result.rows_loaded, result.rows_quarantined) == (22, 0), name
        rows[name] = sorted(tuple(r[k] for k in keys) for r in landed(settings))
    assert rows["spaced"] == rows["as_published"]
    assert {r[3] for r in rows["spaced"]} >= {"2017", "2018"}


def test_missing_required_column_is_an_error_naming_it(tmp_path):
    payload = json.loads(COMTRADE_JSON.read_text())
    for rec in payload["data"]:
        rec.pop("flowCode", None)
    bad = tmp_path / "no_flow.json"
    bad.write_text(json.dumps(payload))
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "comtrade", [bad])
    assert "no_flow.json" in str(err.value) and "'flowCode'" in str(err.value)


def test_rows_without_the_trailing_comma_and_malformed_csv_rows(tmp_path):
    """A row without the trailing comma (47 fields) is fine; too few / too many fields, a
    blank line and a bad value are quarantined with their physical line number."""
    lines = COMTRADE_CHN.read_bytes().split(b"\r\n")
    header, data = lines[0], [x for x in lines[1:] if x]
    broken = [
        header,
        data[0][:-1],  # line 2: no trailing comma -> still 47 fields, loads
        data[1],  # line 3: loads
        b"",  # line 4: blank
        data[2].replace(b'"160064513783"', b'"1.6e11x"'),  # line 5: not a number
        b'"C","A","2015"',  # line 6: 3 fields
        data[3] + b'"surplus",',  # line 7: 49 fields
        data[4].replace(b'"156","CHN"', b'"156","CHX"'),  # line 8: unknown reporter
    ]
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\r\n".join(broken) + b"\r\n")
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "comtrade", [path])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 2, 5)
    got = {(q["source_row"], q["reason_code"]) for q in quarantine(settings)}
    assert got == {
        (4, "blank_row"),
        (5, "bad_value"),
        (6, "wrong_field_count"),
        (7, "wrong_field_count"),
        (8, "unknown_iso3"),
    }
    assert sorted(r["_source_row"] for r in landed(settings)) == [2, 3]


def test_a_copy_outside_the_landing_folder_is_named_by_its_path(tmp_path):
    copy = tmp_path / "TradeData_China_USA.csv"
    shutil.copy(COMTRADE_CHN, copy)
    settings = settings_for(tmp_path)
    ingest_files(settings, "comtrade", [copy])
    assert {r["_source_file"] for r in landed(settings)} == {str(copy.resolve())}
