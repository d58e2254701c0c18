"""US Census adapter: the bundled Phase One Parquet files and the Census API JSON shape."""

from __future__ import annotations

import json

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from etl.customs.api import ingest_files
from etl.errors import SourceFormatError
from tests.customs.helpers import (
    CENSUS_HS2,
    CENSUS_HS4,
    CENSUS_JSON,
    landed,
    quarantine,
    settings_for,
)


def test_hs4_file_loads_530_headings_from_2013_01_to_2020_11(tmp_path):
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "census", [CENSUS_HS4])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (45247, 45247, 0)
    rows = landed(settings)
    assert len({r["hs_code"] for r in rows}) == 530
    assert {len(r["hs_code"]) for r in rows} == {4} and {r["hs_level"] for r in rows} == {4}
    periods = sorted({r["period"] for r in rows})
    assert periods[0] == "2013-01" and periods[-1] == "2020-11" and len(periods) == 95
    assert {(r["reporter_iso3"], r["partner_iso3"], r["flow"], r["valuation"]) for r in rows} == {
        ("USA", "CHN", "export", "FOB")
    }
    assert {r["source"] for r in rows} == {"census_phase_one_products"}
    # not a dollar lost: the landed total is the file's total
    expected = pc.sum(pq.read_table(CENSUS_HS4).column("china_exports")).as_py()
    assert sum(r["trade_value_usd"] for r in rows) == pytest.approx(expected, abs=0.5)
    by_year = {r["period_year"]: r["hs_revision"] for r in rows}
    assert (by_year[2016], by_year[2017], by_year[2020]) == ("HS2012", "HS2017", "HS2017")
    first = next(r for r in rows if r["_source_row"] == 1)
    assert first["hs_code"] == "2911" and first["period"] == "2013-01"
    assert first["period_month"] == 1 and first["trade_value_usd"] == 76799.0
    assert first["description"].startswith("HS CODE 2911, Acetals")


def test_hs2_file_keeps_leading_zeros(tmp_path):
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "census", [CENSUS_HS2])
    assert (result.rows_loaded, result.rows_quarantined) == (4291, 0)
    codes = {r["hs_code"] for r in landed(settings)}
    assert len(codes) == 46 and "01" in codes


def test_api_json_fixture(tmp_path):
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "census", [CENSUS_JSON])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (10, 4, 6)
    got = {(q["source_row"], q["reason_code"]) for q in quarantine(settings)}
    assert got == {
        (5, "unknown_partner"),  # CTY_CODE 0003 is a country group, not a country
        (6, "negative_value"),
        (7, "bad_value"),
        (8, "bad_code"),
        (9, "bad_period"),
        (10, "wrong_field_count"),
    }
    rows = landed(settings)
    soy = next(r for r in rows if r["hs_code"] == "1201")
    assert (soy["partner_iso3"], soy["period"], soy["trade_value_usd"]) == (
        "CHN",
        "2018-03",
        1161932817.0,
    )
    assert soy["source"] == "us_census" and soy["_source_row"] == 2
    assert {r["hs_level"] for r in rows} == {4, 6}
    assert next(r for r in rows if r["hs_code"] == "3004")["partner_iso3"] == "HKG"


def test_imports_endpoint_and_unknown_columns_are_errors(tmp_path):
    imports = tmp_path / "imports.json"
    imports.write_text(json.dumps([["GEN_VAL_MO", "I_COMMODITY", "CTY_CODE", "time"]]))
    with pytest.raises(SourceFormatError, match="imports response"):
        ingest_files(settings_for(tmp_path), "census", [imports])
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([["ALL_VAL_MO", "E_COMMODITY", "CTY_CODE", "time", "FOO"]]))
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [odd])
    assert "odd.json" in str(err.value) and "'FOO'" in str(err.value)
