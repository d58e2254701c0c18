"""US Census adapter: flow and valuation, months from UTC timestamps, values, codes and levels,
HS revisions, quantities and units, the summing of HS10 lines cut to HS6, and the errors for
files that are not one of the known layouts. Files are written by the test (pyarrow / json);
expected values come from the rows the test wrote."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl.customs.api import ingest_files
from etl.errors import SourceFormatError
from tests.customs.helpers import landed, quarantine, settings_for
from tests.customs.test_census_hs6 import _hs6_table

MAR = datetime(2018, 3, 1, tzinfo=UTC)


def _write(path, table: pa.Table, pandas_index: list[str] | None = None):
    if pandas_index is not None:
        meta = {"index_columns": pandas_index, "columns": []}
        table = table.replace_schema_metadata({"pandas": json.dumps(meta)})
    pq.write_table(table, path)
    return path


def _phase_one_hs4(codes, values, times, descriptions=None, time_type=None) -> pa.Table:
    n = len(codes)
    return pa.table(
        {
            "china_exports": pa.array(values, pa.float64()),
            "hs4": pa.array(codes, pa.string()),
            "description": pa.array(descriptions or [f"HS CODE {c}" for c in codes], pa.string()),
            "time": pa.array(times, time_type or pa.timestamp("ns", tz="UTC")),
        }
    )[:n]


def _text(value, type_: pa.DataType | None = None) -> str:
    """A file value as the quarantine shows it: Arrow's text form of it."""
    return pa.scalar(value, type_ or pa.float64()).cast(pa.string()).as_py()


def _ingest(tmp_path, path):
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "census", [path])
    rows = {r["_source_row"]: r for r in landed(settings)} if result.rows_loaded else {}
    reasons = {q["source_row"]: q for q in quarantine(settings)}
    return result, rows, reasons


def test_a_phase_one_hs4_file_lands_us_exports_to_china_valued_fob(tmp_path):
    codes = ["1201", "0203", "8802", "3004"]
    values = [1161932817.0, 0.0, 12.5, 98765.0]
    times = [MAR, datetime(2016, 12, 1, tzinfo=UTC), datetime(2017, 1, 1, tzinfo=UTC), MAR]
    path = _write(tmp_path / "hs4.parquet", _phase_one_hs4(codes, values, times), ["time"])
    result, rows, _ = _ingest(tmp_path, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 4, 0)
    for i, (code, value, time) in enumerate(zip(codes, values, times, strict=True), start=1):
        row = rows[i]
        assert (row["reporter_iso3"], row["partner_iso3"]) == ("USA", "CHN")
        assert (row["flow"], row["valuation"], row["source_unit"]) == ("export", "FOB", "USD")
        assert row["source"] == "census_phase_one_products"
        assert (row["hs_code"], row["hs_level"]) == (code, 4)
        assert row["trade_value_usd"] == row["source_value"] == value
        assert row["period"] == f"{time.year}-{time.month:02d}"
        assert (row["period_year"], row["period_month"]) == (time.year, time.month)
        assert row["description"] == f"HS CODE {code}"
        assert (row["quantity"], row["quantity_unit"]) == (None, None)
    assert [rows[i]["hs_revision"] for i in (1, 2, 3)] == ["HS2017", "HS2012", "HS2017"]


def test_a_phase_one_hs2_file_lands_two_digit_codes_with_their_description(tmp_path):
    table = pa.table(
        {
            "hs2": pa.array(["01", "12"], pa.string()),
            "china_exports": pa.array([5.0, 7.0], pa.float64()),
            "E_COMMODITY_SDESC": pa.array(["LIVE ANIMALS", "OIL SEEDS"], pa.string()),
            "time": pa.array([MAR, MAR], pa.timestamp("ns", tz="UTC")),
        }
    )
    result, rows, _ = _ingest(tmp_path, _write(tmp_path / "hs2.parquet", table, ["time"]))
    assert result.rows_loaded == 2
    assert [(rows[i]["hs_code"], rows[i]["hs_level"], rows[i]["description"]) for i in (1, 2)] == [
        ("01", 2, "LIVE ANIMALS"),
        ("12", 2, "OIL SEEDS"),
    ]


def test_a_month_is_the_utc_month_start_and_anything_else_is_a_bad_period(tmp_path):
    new_york = timezone(timedelta(hours=-5))
    times = [
        datetime(2018, 3, 1, tzinfo=UTC),  # 1 loads
        datetime(2018, 3, 1, 0, 0, 0, 1, tzinfo=UTC),  # 2 one microsecond after midnight
        datetime(2018, 3, 2, tzinfo=UTC),  # 3 second day
        datetime(2018, 3, 1, tzinfo=new_york),  # 4 local midnight = 05:00 UTC
        datetime(2018, 3, 31, 19, tzinfo=new_york),  # 5 = 1 April 00:00 UTC: April
    ]
    table = _phase_one_hs4(["1201"] * 5, [1.0] * 5, times)
    result, rows, reasons = _ingest(tmp_path, _write(tmp_path / "t.parquet", table))
    assert (result.rows_loaded, result.rows_quarantined) == (2, 3)
    assert rows[1]["period"] == "2018-03" and rows[5]["period"] == "2018-04"
    assert {n: (q["reason_code"], q["field"], q["reason"]) for n, q in reasons.items()} == {
        n: ("bad_period", "time", "time is not a month YYYY-MM") for n in (2, 3, 4)
    }


def test_a_time_column_that_is_not_a_timestamp_is_an_error(tmp_path):
    table = _phase_one_hs4(["1201"], [1.0], ["2018-03-01"], time_type=pa.string())
    path = _write(tmp_path / "text_time.parquet", table)
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [path])
    assert "text_time.parquet" in str(err.value) and "column 'time' is not a timestamp" in str(
        err.value
    )
    assert err.value.field == "time"


def test_each_bad_phase_one_row_is_quarantined_with_its_reason(tmp_path):
    codes = ["1201", "120", "12A1", "1201", "1201", "1201", None]
    values = [1.0, 1.0, 1.0, None, -2.0, float("nan"), 3.0]
    table = _phase_one_hs4(codes, values, [MAR] * 7, descriptions=["d"] * 7)
    result, rows, reasons = _ingest(tmp_path, _write(tmp_path / "bad.parquet", table))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 1, 6)
    got = {n: (q["reason_code"], q["field"], q["value"], q["reason"]) for n, q in reasons.items()}
    code_reason = "commodity code is not 4 digits"
    assert got == {
        2: ("bad_code", "hs_code", "120", code_reason),
        3: ("bad_code", "hs_code", "12A1", code_reason),
        4: ("missing_value", "value", None, "trade value is empty"),
        5: ("negative_value", "value", _text(-2.0), "trade value is negative"),
        6: ("bad_value", "value", _text(float("nan")), "trade value is not a number"),
        7: ("bad_code", "hs_code", "", code_reason),
    }


@pytest.mark.parametrize(
    ("columns", "message", "field"),
    [
        (
            ["china_exports", "hs4", "description", "time", "extra"],
            "unknown column(s) ['extra']",
            "extra",
        ),
        (["china_exports", "hs4", "time"], "missing column(s) ['description']", "description"),
    ],
    ids=["unknown", "missing"],
)
def test_a_parquet_file_of_no_known_layout_names_the_column(tmp_path, columns, message, field):
    table = pa.table({c: pa.array(["1"], pa.string()) for c in columns})
    path = _write(tmp_path / "odd.parquet", table)
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [path])
    assert "odd.parquet" in str(err.value) and message in str(err.value)
    assert err.value.field == field
    assert "the columns of one of" in str(err.value)


def test_a_corrupt_parquet_file_or_pandas_metadata_is_an_error(tmp_path):
    table = _phase_one_hs4(["1201"], [1.0], [MAR])
    good = _write(tmp_path / "good.parquet", table)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(good.read_bytes()[:-40])  # PAR1 at the start, footer cut
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [broken])
    assert "broken.parquet" in str(err.value) and "cannot be read as Parquet" in str(err.value)
    bad_meta = tmp_path / "bad_meta.parquet"
    pq.write_table(table.replace_schema_metadata({"pandas": "{not json"}), bad_meta)
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [bad_meta])
    assert "unreadable pandas metadata" in str(err.value) and err.value.field == "pandas"
    # an index stored under its name is fine; a RangeIndex (a dict, not a column) is ignored
    ranged = _write(tmp_path / "ranged.parquet", table, [{"kind": "range"}, "time"])
    result, rows, _ = _ingest(tmp_path / "r", ranged)
    assert result.rows_loaded == 1 and rows[1]["period"] == "2018-03"


def test_a_missing_description_index_is_an_error_naming_it(tmp_path):
    table = _phase_one_hs4(["1201"], [1.0], [MAR])
    path = _write(tmp_path / "no_desc.parquet", table, ["time", "description", "E_COMMODITY"])
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [path])
    assert "pandas index column 'E_COMMODITY' is named" in str(err.value)
    assert err.value.field == "E_COMMODITY"


# ------------------------------------------------------------------------------ HS6 layout


_hs6 = _hs6_table


def test_hs6_rows_land_as_all_products_exports_with_quantity_and_unit(tmp_path):
    jan21, dec16 = datetime(2021, 1, 1, tzinfo=UTC), datetime(2016, 12, 1, tzinfo=UTC)
    rows_in = [
        ("5700", 123.0, "120190", 45.5, "T", jan21),
        ("5700", 7.0, "010121", 3.0, "NO", dec16),
        ("5700", 9.0, "300490", 0.0, "-", MAR),  # no quantity in the file: NULL, not 0
        ("5820", 11.0, "300490", 2.0, "KG", MAR),  # Hong Kong: another partner, not summed
    ]
    table = _hs6(rows_in, description=pa.array(["SOY", "HORSES", "MEDS", "MEDS"], pa.string()))
    result, rows, _ = _ingest(tmp_path, _write(tmp_path / "hs6.parquet", table, ["time"]))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 4, 0)
    for i, (_, value, code, _, _, time) in enumerate(rows_in, start=1):
        row = rows[i]
        assert (row["reporter_iso3"], row["flow"], row["valuation"]) == ("USA", "export", "FOB")
        assert (row["source"], row["source_unit"]) == ("us_census", "USD")
        assert (row["hs_code"], row["hs_level"]) == (code, 6)
        assert row["trade_value_usd"] == row["source_value"] == value
        assert (row["period"], row["period_year"], row["period_month"]) == (
            f"{time.year}-{time.month:02d}",
            time.year,
            time.month,
        )
    assert [rows[i]["partner_iso3"] for i in (1, 2, 3, 4)] == ["CHN", "CHN", "CHN", "HKG"]
    assert [(rows[i]["quantity"], rows[i]["quantity_unit"]) for i in (1, 2, 3, 4)] == [
        (45.5, "T"),
        (3.0, "NO"),
        (None, None),
        (2.0, "KG"),
    ]
    assert [rows[i]["hs_revision"] for i in (1, 2, 3)] == ["HS2017", "HS2012", "HS2017"]
    assert [rows[i]["description"] for i in (1, 2)] == ["SOY", "HORSES"]


def test_hs10_lines_cut_to_hs6_are_summed_into_the_first_row(tmp_path):
    rows_in = [
        ("5700", 1.5, "270112", 10.0, "T", MAR),  # 1 gets rows 3 and 5
        ("5700", 4.0, "271112", 0.0, "-", MAR),  # 2 gets row 4 (no quantity + a quantity)
        ("5700", 2.5, "270112", 20.0, "T", MAR),  # 3
        ("5700", 6.0, "271112", 8.0, "BBL", MAR),  # 4
        ("5700", 3.0, "270112", 30.0, "T", MAR),  # 5
        ("5700", 9.0, "270112", 1.0, "T", datetime(2018, 4, 1, tzinfo=UTC)),  # 6 other month
        ("5700", -1.0, "270112", 1.0, "T", MAR),  # 7 rejected: not summed
    ]
    result, rows, reasons = _ingest(tmp_path, _write(tmp_path / "s.parquet", _hs6(rows_in)))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 3, 4)
    assert sorted(rows) == [1, 2, 6]
    coal = [r for r in rows_in[:6] if r[2] == "270112" and r[5] == MAR]
    assert rows[1]["trade_value_usd"] == sum(r[1] for r in coal)
    assert (rows[1]["quantity"], rows[1]["quantity_unit"]) == (sum(r[3] for r in coal), "T")
    # the '-' row has no quantity, the other one has 8 BBL: their sum is 8 BBL
    assert rows[2]["trade_value_usd"] == 4.0 + 6.0
    assert (rows[2]["quantity"], rows[2]["quantity_unit"]) == (8.0, "BBL")
    assert (rows[6]["trade_value_usd"], rows[6]["quantity"]) == (9.0, 1.0)
    got = {n: (q["reason_code"], q["field"], q["value"]) for n, q in reasons.items()}
    assert got == {
        3: ("summed_into_row", "hs6", "270112 2018-03 -> row 1"),
        4: ("summed_into_row", "hs6", "271112 2018-03 -> row 2"),
        5: ("summed_into_row", "hs6", "270112 2018-03 -> row 1"),
        7: ("negative_value", "china_exports", "-1.0"),
    }
    assert {reasons[n]["reason"] for n in (3, 4, 5)} == {
        "same hs6, partner and month as an earlier row (HS10 lines cut to HS6): its value "
        "and quantity are added to that row"
    }
    # not a dollar lost: landed + summed-in values equal the file's loadable total
    assert sum(r["trade_value_usd"] for r in rows.values()) == sum(r[1] for r in rows_in[:6])


def test_each_bad_hs6_row_is_quarantined_with_its_field_and_reason(tmp_path):
    noon = datetime(2018, 3, 1, 12, tzinfo=UTC)
    rows_in = [
        ("5700", 1.0, None, 0.0, "-", MAR),  # 1 hs4_only_row (value: hs4)
        ("5700", 1.0, "", 0.0, "-", MAR),  # 2 hs4_only_row (value: hs4_o, hs4 empty)
        ("9999", 1.0, "120190", 0.0, "-", MAR),  # 3 unknown_partner
        ("5700", 1.0, "12019A", 0.0, "-", MAR),  # 4 bad_code
        ("5700", 1.0, "120190", 0.0, "-", noon),  # 5 bad_period
        ("5700", None, "120190", 0.0, "-", MAR),  # 6 missing_value
        ("5700", float("inf"), "120190", 0.0, "-", MAR),  # 7 bad_value
        ("5700", float("nan"), "120190", 0.0, "-", MAR),  # 8 bad_value
        ("5700", 1.0, "120190", float("nan"), "T", MAR),  # 9 bad_quantity
        ("5700", 1.0, "120190", float("inf"), "T", MAR),  # 10 bad_quantity
        ("5700", -0.5, "120190", 0.0, "-", MAR),  # 11 negative_value
    ]
    hs4 = pa.array(["1201"] + [None] * 10, pa.string())
    hs4_o = pa.array(["1201", "3004"] + [None] * 9)
    table = _hs6(rows_in, hs4=hs4, hs4_o=hs4_o)
    result, rows, reasons = _ingest(tmp_path, _write(tmp_path / "b.parquet", table))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (11, 0, 11)
    got = {n: (q["reason_code"], q["field"], q["value"], q["reason"]) for n, q in reasons.items()}
    hs4_reason = "hs6 is empty: an HS4-only row (value = its hs4), not an HS6 flow of all products"
    assert got == {
        1: ("hs4_only_row", "hs6", "1201", hs4_reason),
        2: ("hs4_only_row", "hs6", "3004", hs4_reason),
        3: (
            "unknown_partner",
            "CTY_CODE",
            "9999",
            "CTY_CODE is not in reference/census_countries.csv",
        ),
        4: ("bad_code", "hs6", "12019A", "hs6 is not 6 digits"),
        5: (
            "bad_period",
            "time",
            _text(noon, pa.timestamp("us", tz="UTC")),
            "time is not a UTC month start",
        ),
        6: ("missing_value", "china_exports", None, "trade value is empty"),
        7: ("bad_value", "china_exports", "inf", "trade value is not a number"),
        8: ("bad_value", "china_exports", "nan", "trade value is not a number"),
        9: (
            "bad_quantity",
            "china_exports_quant",
            "nan",
            "china_exports_quant is not a non-negative number",
        ),
        10: (
            "bad_quantity",
            "china_exports_quant",
            "inf",
            "china_exports_quant is not a non-negative number",
        ),
        11: ("negative_value", "china_exports", _text(-0.5), "trade value is negative"),
    }


def test_a_numeric_hs6_column_loses_leading_zeros_and_is_a_bad_code(tmp_path):
    table = _hs6([("5700", 1.0, "x", 0.0, "-", MAR)] * 2).set_column(
        2, "hs6", pa.array([10121, 120190], pa.int64())
    )
    result, rows, reasons = _ingest(tmp_path, _write(tmp_path / "n.parquet", table))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert rows[2]["hs_code"] == "120190"
    assert (reasons[1]["reason_code"], reasons[1]["value"]) == ("bad_code", "10121")


def test_a_non_numeric_value_column_is_an_error_naming_it(tmp_path):
    table = _hs6([("5700", 1.0, "120190", 0.0, "-", MAR)]).set_column(
        1, "china_exports", pa.array(["1.0"], pa.string())
    )
    path = _write(tmp_path / "text_value.parquet", table)
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [path])
    assert "text_value.parquet" in str(err.value)
    assert "column 'china_exports' is not numeric" in str(err.value)
    assert (err.value.field, err.value.value) == ("china_exports", "string")


def test_an_integer_value_column_and_no_quantity_column_are_fine(tmp_path):
    table = (
        _hs6([("5700", 1.0, "120190", 0.0, "-", MAR)])
        .set_column(1, "china_exports", pa.array([1234567], pa.int64()))
        .drop_columns(["china_exports_quant", "quant_type"])
    )
    result, rows, _ = _ingest(tmp_path, _write(tmp_path / "int.parquet", table))
    assert result.rows_loaded == 1 and rows[1]["trade_value_usd"] == 1234567
    assert (rows[1]["quantity"], rows[1]["quantity_unit"]) == (None, None)
    assert rows[1]["description"] is None


# ------------------------------------------------------------------------- API JSON


def _api(tmp_path, records: list[list], header=None, name="api.json"):
    header = header or ["ALL_VAL_MO", "E_COMMODITY", "E_COMMODITY_SDESC", "CTY_CODE", "time"]
    path = tmp_path / name
    path.write_text(json.dumps([header, *records]), encoding="utf-8")
    return path


def test_api_records_land_with_their_level_partner_value_and_quantity(tmp_path):
    header = [
        "ALL_VAL_MO",
        "E_COMMODITY",
        "E_COMMODITY_LDESC",
        "CTY_CODE",
        "time",
        "QTY_1_MO",
        "UNIT_QY1",
    ]
    records = [
        ["1,161,932,817", "12", "OIL SEED", "5700", "2018-03", "3,512,000", "T"],
        ["5", "1201", "SOYBEANS", "5700", "2017-01", "", ""],
        ["7", "120190", "SOY OTHER", "5820", "2016-12", "1", "KG"],
        ["9", "1201900010", "SOY TEN", "5700", "2022-01", "2", "KG"],
    ]
    result, rows, _ = _ingest(tmp_path, _api(tmp_path, records, header))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 4, 0)
    for n, (value, code, desc, _, time, qty, unit) in enumerate(records, start=2):
        row = rows[n]
        assert (row["flow"], row["valuation"], row["source"]) == ("export", "FOB", "us_census")
        assert (row["hs_code"], row["hs_level"]) == (code, len(code))
        assert row["trade_value_usd"] == row["source_value"] == float(value.replace(",", ""))
        assert row["description"] == desc  # the long description when no short one is given
        assert (row["period"], row["period_year"], row["period_month"]) == (
            time,
            int(time[:4]),
            int(time[5:]),
        )
        assert row["quantity"] == (float(qty.replace(",", "")) if qty else None)
        assert row["quantity_unit"] == (unit or None)
    assert [rows[n]["partner_iso3"] for n in (2, 3, 4, 5)] == ["CHN", "CHN", "HKG", "CHN"]
    assert [rows[n]["hs_revision"] for n in (2, 3, 4, 5)] == [
        "HS2017",
        "HS2017",
        "HS2012",
        "HS2022",
    ]


def test_each_bad_api_record_is_quarantined_with_its_field_and_reason(tmp_path):
    header = ["ALL_VAL_MO", "E_COMMODITY", "CTY_CODE", "time", "QTY_1_MO"]
    records = [
        ["1", "120", "5700", "2018-03", ""],  # 2 bad_code: 3 digits
        ["1", "12345678", "5700", "2018-03", ""],  # 3 bad_code: 8 digits
        ["1", "1201", "5700", "2018-3", ""],  # 4 bad_period
        ["1", "1201", "5700", "1959-03", ""],  # 5 bad_period
        ["", "1201", "5700", "2018-03", ""],  # 6 missing_value
        ["1", "1201", "5700", "2018-03", "-4"],  # 7 bad_quantity
        ["1", "1201", "5700", "2018-03", "some"],  # 8 bad_quantity
        ["1", "1201", "5700", "2018-03"],  # 9 wrong_field_count
        ["1", "1201", "5700", "2018-00", ""],  # 10 bad_period
    ]
    result, rows, reasons = _ingest(tmp_path, _api(tmp_path, records, header))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (9, 0, 9)
    got = {n: (q["reason_code"], q["field"], q["value"], q["reason"]) for n, q in reasons.items()}
    code = "commodity code is not 2/4/6/10 digits"
    period = "time is not a month YYYY-MM"
    qty = "QTY_1_MO is not a non-negative number"
    assert got == {
        2: ("bad_code", "hs_code", "120", code),
        3: ("bad_code", "hs_code", "12345678", code),
        4: ("bad_period", "time", "2018-3", period),
        5: ("bad_period", "time", "1959-03", period),
        6: ("missing_value", "value", None, "trade value is empty"),
        7: ("bad_quantity", "QTY_1_MO", "-4", qty),
        8: ("bad_quantity", "QTY_1_MO", "some", qty),
        9: (
            "wrong_field_count",
            "row",
            "4 fields, header has 5",
            "record does not have the expected fields",
        ),
        10: ("bad_period", "time", "2018-00", period),
    }


def test_an_unknown_country_code_is_quarantined_naming_it(tmp_path):
    result, _, reasons = _ingest(tmp_path, _api(tmp_path, [["1", "1201", "d", "0003", "2018-03"]]))
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    q = reasons[2]
    assert (q["reason_code"], q["field"], q["value"]) == ("unknown_partner", "CTY_CODE", "0003")
    assert q["reason"] == "CTY_CODE is not in reference/census_countries.csv"


EXPECTED_SHAPE = 'a list of lists, the first being the header: [["ALL_VAL_MO", ...], ...]'


@pytest.mark.parametrize(
    "text",
    ["{}", "[]", '[["ALL_VAL_MO"], {"a": 1}]', '["ALL_VAL_MO"]'],
    ids=["object", "empty", "record-not-list", "header-not-list"],
)
def test_a_file_that_is_not_a_census_api_response_is_an_error_naming_it(tmp_path, text):
    path = tmp_path / "census_api.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [path])
    assert str(err.value).endswith(
        f"census_api.json: is not a Census API response; expected {EXPECTED_SHAPE}"
    )


@pytest.mark.parametrize("data", [b"[[", b"\xff[]"], ids=["truncated", "not-utf8"])
def test_a_file_that_is_not_json_is_an_error_naming_it(tmp_path, data):
    path = tmp_path / "census_api.json"
    path.write_bytes(data)
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [path])
    assert "census_api.json: is not valid JSON: " in str(err.value)


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_landed_and_quarantined_row_carries_the_files_sha256(tmp_path):
    api = _api(tmp_path, [["5", "1201", "d", "5700", "2018-03"], ["5", "1201", "d", "5700"]])
    hs4 = _write(tmp_path / "hs4.parquet", _phase_one_hs4(["1201", "12"], [1.0, 2.0], [MAR] * 2))
    hs6 = _write(
        tmp_path / "hs6.parquet",
        _hs6([("5700", 1.0, "120190", 0.0, "-", MAR), ("0003", 1.0, "120190", 0.0, "-", MAR)]),
    )
    settings = settings_for(tmp_path)
    results = ingest_files(settings, "census", [api, hs4, hs6])
    assert [(r.rows_loaded, r.rows_quarantined) for r in results] == [(1, 1)] * 3
    for path, result in zip([api, hs4, hs6], results, strict=True):
        assert result.sha256 == _sha256(path)
        rows = [r for r in landed(settings) if r["_source_file"] == str(path)]
        assert [r["_source_sha256"] for r in rows] == [_sha256(path)]
        quarantined = [q for q in quarantine(settings) if q["source_file"] == str(path)]
        assert [q["source_sha256"] for q in quarantined] == [_sha256(path)]
        assert [q["dataset"] for q in quarantined] == ["trade_flows"]


def test_the_imports_endpoint_is_refused_naming_its_first_import_column(tmp_path):
    path = _api(tmp_path, [], header=["CON_VAL_MO", "I_COMMODITY", "CTY_CODE", "time"])
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [path])
    assert f"{path}, row 1, column 'CON_VAL_MO': is a Census imports response (CON_VAL_MO, " in (
        str(err.value)
    )
    assert (err.value.row, err.value.field) == (1, "CON_VAL_MO")


def test_an_api_response_with_a_bom_and_header_spaces_is_read(tmp_path):
    path = tmp_path / "bom.json"
    text = json.dumps(
        [[" ALL_VAL_MO ", "E_COMMODITY", "CTY_CODE", "time"], ["3", "12", "5700", "2018-03"]]
    )
    path.write_text("\ufeff" + text, encoding="utf-8")
    result, rows, _ = _ingest(tmp_path, path)
    assert result.rows_loaded == 1 and rows[2]["trade_value_usd"] == 3.0
