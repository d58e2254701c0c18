"""US Census HS6 exports to China (all products, monthly 2013-01..2021-01): landing, weight
bases and seasonality, on the real bundled file. Expected numbers are computed from the file
itself (pyarrow / DuckDB arithmetic), or quoted from SOURCES.md section 8.3."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from etl import pipeline, sql_runner
from etl.customs.api import ingest_files
from etl.customs.inbox import BUNDLED
from etl.errors import SourceFormatError
from etl.settings import Settings
from tests.customs.helpers import landed, quarantine, settings_for
from tests.helpers import LANDING, PROJECT_ROOT

REL = "census_us_exports_china_hs6/phaseone-tradedata-C-febuary.parquet"
CENSUS_HS6 = LANDING / REL
# SOURCES.md 8.3: annual sums of the file, $B
SOURCES_ANNUAL_B = {
    2013: 121.0,
    2014: 123.2,
    2015: 115.3,
    2016: 114.9,
    2017: 129.0,
    2018: 119.6,
    2019: 106.0,
    2020: 124.1,
}


def file_sql(sql: str) -> list[tuple]:
    """DuckDB over the bundled file as `f` (its `time` index is an ordinary column)."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")  # months of the UTC `time`, whatever the machine's zone
    path = str(CENSUS_HS6).replace("'", "''")
    con.execute(f"create view f as select * from read_parquet('{path}')")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def months_from_file() -> dict[int, set[int]]:
    """{year: months} of the rows with an HS6 code, with pyarrow (`time` is UTC)."""
    table = pq.read_table(CENSUS_HS6, columns=["hs6", "time"])
    times = table.filter(pc.is_valid(table.column("hs6"))).column("time")
    out: dict[int, set[int]] = {}
    for year, month in zip(pc.year(times).to_pylist(), pc.month(times).to_pylist(), strict=True):
        out.setdefault(year, set()).add(month)
    return out


# the complete years of the file (all twelve months), SOURCES.md 8.3: 2013-01 .. 2021-01
YEARS = [year for year, months in sorted(months_from_file().items()) if len(months) == 12]


def annual_sums_from_file() -> dict[int, float]:
    table = pq.read_table(CENSUS_HS6, columns=["china_exports", "hs6", "time"])
    table = table.filter(pc.is_valid(table.column("hs6")))
    years = pc.year(table.column("time"))
    out = {}
    for year in sorted(set(years.to_pylist())):
        out[year] = pc.sum(table.column("china_exports").filter(pc.equal(years, year))).as_py()
    return out


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("hs6"))
    (result,) = ingest_files(settings, "census", [CENSUS_HS6])
    return settings, result


@pytest.fixture(scope="module")
def landed_rows(ingested):
    return landed(ingested[0])


def test_the_file_is_bundled_and_its_month_is_the_pandas_index():
    assert ("census", REL) in BUNDLED
    meta = json.loads(pq.read_schema(CENSUS_HS6).metadata[b"pandas"])
    assert meta["index_columns"] == ["time"]  # stored as a column: read, not dropped
    assert pq.read_metadata(CENSUS_HS6).num_rows == 364_306  # SOURCES.md 8.3: 364,306 rows


def test_rows_in_equal_rows_loaded_plus_quarantined(ingested, landed_rows):
    settings, result = ingested
    assert result.rows_read == pq.read_metadata(CENSUS_HS6).num_rows
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert len(landed_rows) == result.rows_loaded
    assert {r["source"] for r in landed_rows} == {"us_census"}
    assert len(quarantine(settings)) == result.rows_quarantined
    ((no_hs6, extra_lines),) = file_sql(
        "select count(*) filter (where hs6 is null), count(hs6) - (select count(*) from "
        "(select distinct hs6, CTY_CODE, time from f where hs6 is not null)) from f"
    )
    # every row without hs6 is an HS4-only row; each HS10 line beyond the first of its HS6
    # and month is summed into that first row
    assert result.quarantine_reasons == {"hs4_only_row": no_hs6, "summed_into_row": extra_lines}
    # the same two counts with pyarrow instead of DuckDB
    table = pq.read_table(CENSUS_HS6, columns=["hs6", "CTY_CODE", "time"])
    with_hs6 = table.filter(pc.is_valid(table.column("hs6")))
    groups = with_hs6.group_by(["hs6", "CTY_CODE", "time"]).aggregate([]).num_rows
    assert (no_hs6, extra_lines) == (table.num_rows - with_hs6.num_rows, with_hs6.num_rows - groups)
    assert no_hs6 > 0 and extra_lines > 0


def test_hs4_only_rows_of_2021_02_are_quarantined_not_lost(ingested, landed_rows):
    settings, _ = ingested
    rows = [q for q in quarantine(settings) if q["reason_code"] == "hs4_only_row"]
    positions = pc.indices_nonzero(pc.is_null(pq.read_table(CENSUS_HS6).column("hs6")))
    assert sorted(q["source_row"] for q in rows) == [i + 1 for i in positions.to_pylist()]
    assert all(q["field"] == "hs6" and "HS4-only" in q["reason"] for q in rows)
    assert next(q for q in rows if q["value"] == "1201")  # soybeans' heading is named
    ((months, value),) = file_sql(
        "select list(distinct strftime(time, '%Y-%m')), sum(china_exports) from f where hs6 is null"
    )
    hs4_only = pq.read_table(CENSUS_HS6, columns=["hs6", "china_exports"])
    hs4_only = hs4_only.filter(pc.is_null(hs4_only.column("hs6")))
    # SOURCES.md 8.3: 2021-02 rows exist at HS4 only
    assert months == ["2021-02"]
    assert value == pytest.approx(pc.sum(hs4_only.column("china_exports")).as_py(), rel=1e-12)
    assert value > 1e9
    assert not [r for r in landed_rows if r["period"] == "2021-02"]


def test_annual_sums_per_year_equal_the_file_and_sources_md(ingested):
    settings, _ = ingested
    got = {
        year: value
        for year, value in duckdb.sql(
            "select period_year, sum(trade_value_usd) from read_parquet("
            f"'{settings.warehouse}/landed/trade_flows/**/*.parquet', hive_partitioning = false)"
            " group by 1"
        ).fetchall()
    }
    expected = annual_sums_from_file()
    assert sorted(got) == sorted(months_from_file()) == list(range(2013, 2022))
    for year, value in expected.items():
        assert got[year] == pytest.approx(value, abs=0.5), year
    for year, billions in SOURCES_ANNUAL_B.items():
        assert got[year] / 1e9 == pytest.approx(billions, abs=0.05), year
    assert got[2017] / 1e9 == pytest.approx(129.0, abs=0.05)
    assert got[2019] / 1e9 == pytest.approx(106.0, abs=0.05)


def test_codes_months_and_the_summed_energy_lines(landed_rows):
    rows = landed_rows
    assert {len(r["hs_code"]) for r in rows} == {6} and {r["hs_level"] for r in rows} == {6}
    ((zero_led,),) = file_sql("select count(distinct hs6) from f where hs6 like '0%'")
    assert len({r["hs_code"] for r in rows if r["hs_code"].startswith("0")}) == zero_led > 0
    periods = sorted({r["period"] for r in rows})
    file_months = sorted(f"{y}-{m:02d}" for y, months in months_from_file().items() for m in months)
    assert periods == file_months
    # SOURCES.md 8.3: monthly, 2013-01 to 2021-01 (97 months)
    assert (periods[0], periods[-1], len(periods)) == ("2013-01", "2021-01", 97)
    assert all(int(r["period"][5:]) == r["period_month"] for r in rows[:1000])
    assert {(r["reporter_iso3"], r["partner_iso3"], r["flow"], r["valuation"]) for r in rows} == {
        ("USA", "CHN", "export", "FOB")
    }
    by_year = {r["period_year"]: r["hs_revision"] for r in rows}
    # HS2017 entered into force on 1 January 2017 (WCO); Schedule B followed it
    assert by_year == {y: "HS2012" if y < 2017 else "HS2017" for y in months_from_file()}
    assert (by_year[2016], by_year[2017], by_year[2021]) == ("HS2012", "HS2017", "HS2017")
    # coal 270112 in April 2013: two HS10 lines of the file, one landed row with their sum
    lines = file_sql(
        "select china_exports, china_exports_quant from f "
        "where hs6 = '270112' and time = '2013-04-01'"
    )
    assert len(lines) == 2
    (coal,) = [r for r in rows if r["hs_code"] == "270112" and r["period"] == "2013-04"]
    assert coal["trade_value_usd"] == sum(v for v, _ in lines)
    assert (coal["quantity"], coal["quantity_unit"]) == (sum(q for _, q in lines), "T")
    # no quantity in the file ('-', always 0) lands as NULL
    soy = next(r for r in rows if r["hs_code"] == "120190" and r["period"] == "2017-10")
    assert (soy["quantity"], soy["quantity_unit"]) == (None, None)


def _write(tmp_path, name: str, table: pa.Table, pandas_index: list[str] | None = None):
    if pandas_index is not None:
        meta = {"index_columns": pandas_index, "columns": []}
        table = table.replace_schema_metadata({"pandas": json.dumps(meta)})
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def _hs6_table(rows: list[tuple], **extra) -> pa.Table:
    cty, value, hs6, qty, unit, time = zip(*rows, strict=True)
    return pa.table(
        {
            "CTY_CODE": pa.array(cty, pa.string()),
            "china_exports": pa.array(value, pa.float64()),
            "hs6": pa.array(hs6, pa.string()),
            "china_exports_quant": pa.array(qty, pa.float64()),
            "quant_type": pa.array(unit, pa.string()),
            "time": pa.array(time, pa.timestamp("us", tz="UTC")),
            **extra,
        }
    )


def test_each_bad_row_is_quarantined_with_its_reason(tmp_path):
    from datetime import UTC, datetime

    jan = datetime(2019, 1, 1, tzinfo=UTC)
    table = _hs6_table(
        [
            ("5700", 10.0, "120190", 0.0, "-", jan),  # 1 loaded
            ("5700", 5.0, None, None, None, jan),  # 2 hs4_only_row
            ("0003", 5.0, "300490", 0.0, "-", jan),  # 3 unknown_partner
            ("5700", 5.0, "12019", 0.0, "-", jan),  # 4 bad_code (lost its zero?)
            ("5700", 5.0, "300490", 0.0, "-", datetime(2019, 1, 15, tzinfo=UTC)),  # 5 period
            ("5700", None, "300490", 0.0, "-", jan),  # 6 missing_value
            ("5700", -1.0, "300490", 0.0, "-", jan),  # 7 negative_value
            ("5700", 1.0, "300490", -3.0, "T", jan),  # 8 bad_quantity
            ("5700", 7.0, "270112", 2.0, "T", jan),  # 9 loaded with 10 and 11
            ("5700", 8.0, "270112", 3.0, "T", jan),  # 10 summed_into_row
            ("5700", 9.0, "271112", 4.0, "BBL", jan),  # 11 loaded, 12 summed, units differ
            ("5700", 1.0, "271112", 5.0, "M3", jan),  # 12 summed_into_row
        ]
    )
    settings = settings_for(tmp_path)
    (result,) = ingest_files(settings, "census", [_write(tmp_path, "x.parquet", table, ["time"])])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (12, 3, 9)
    assert {(q["source_row"], q["reason_code"]) for q in quarantine(settings)} == {
        (2, "hs4_only_row"),
        (3, "unknown_partner"),
        (4, "bad_code"),
        (5, "bad_period"),
        (6, "missing_value"),
        (7, "negative_value"),
        (8, "bad_quantity"),
        (10, "summed_into_row"),
        (12, "summed_into_row"),
    }
    got = {r["hs_code"]: r for r in landed(settings)}
    assert got["120190"]["trade_value_usd"] == 10.0 and got["120190"]["_source_row"] == 1
    assert (got["270112"]["trade_value_usd"], got["270112"]["quantity"]) == (15.0, 5.0)
    assert got["270112"]["quantity_unit"] == "T"
    # two units: the value is summed, a quantity in mixed units is not
    assert got["271112"]["trade_value_usd"] == 10.0
    assert (got["271112"]["quantity"], got["271112"]["quantity_unit"]) == (None, None)


def test_an_index_named_in_pandas_metadata_but_not_stored_is_an_error(tmp_path):
    from datetime import UTC, datetime

    table = _hs6_table([("5700", 1.0, "120190", 0.0, "-", datetime(2019, 1, 1, tzinfo=UTC))])
    path = _write(tmp_path, "no_index.parquet", table.drop_columns(["time"]), ["time"])
    with pytest.raises(SourceFormatError) as err:
        ingest_files(settings_for(tmp_path), "census", [path])
    assert "no_index.parquet" in str(err.value) and "'time'" in str(err.value)


# ---------------------------------------------------------------- a real pipeline run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """`tariff-etl run` once into a fresh warehouse; the staging and intermediate layers are
    rebuilt in memory from that run's raw zone (the build database is not kept)."""
    settings = Settings(warehouse=tmp_path_factory.mktemp("run") / "warehouse")
    summary = pipeline.run_all(settings)
    marts = duckdb.connect(str(settings.duckdb_path), read_only=True)
    models = duckdb.connect()
    sql_runner.set_variables(
        models,
        {
            "raw_root": str(settings.current_dir / "raw"),
            "reference_root": str(settings.reference_dir),
        },
    )
    for layer in ("staging", "intermediate"):
        sql_runner.build_layer(models, PROJECT_ROOT / "sql", layer)
    yield settings, summary, marts, models
    marts.close()
    models.close()


def test_a_run_lands_the_file_and_reconciles(run):
    settings, summary, _, _ = run
    counts = summary.datasets["landed_trade_flows"]
    assert counts["rows_read"] == counts["rows_loaded"] + counts["rows_quarantined"]
    manifest = json.loads((settings.warehouse / "landed" / "manifest.json").read_text())
    entry = manifest["files"][REL]
    rows_in_file = pq.read_metadata(CENSUS_HS6).num_rows
    assert (entry["rows_read"], entry["source"]) == (rows_in_file, "us_census")
    assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_quarantined"]


def test_every_year_2013_2020_is_an_all_products_basis(run):
    _, _, marts, _ = run
    rows = marts.execute(
        "select weight_basis_id, weight_year, hs_level, hs_revision, months_covered, "
        "is_complete_year, product_scope, reporter_side, trade_value_usd, weight_basis_label "
        "from dim_weight_bases where weight_source = 'us_census' order by weight_year"
    ).fetchall()
    expected = annual_sums_from_file()
    complete = [r for r in rows if r[1] in YEARS]
    assert [r[1] for r in complete] == YEARS == list(range(2013, 2021))
    for basis, year, level, revision, months, full, scope, side, value, _ in complete:
        assert basis == f"us_census.usa_exports.{year}.{revision.lower()}.hs6"
        assert revision == ("HS2012" if year < 2017 else "HS2017")
        assert (level, months, full, scope, side) == (6, 12, True, "all_products", "us_reported")
        assert value == pytest.approx(expected[year], abs=1.0)
    # 2021: January only -- listed, flagged, never presented as an annual weight
    (partial,) = [r for r in rows if r[1] not in YEARS]
    assert partial[1] == 2021 and partial[4:7] == (
        len(months_from_file()[2021]),
        False,
        "all_products",
    )
    assert "partial year" in partial[9] and partial[8] == pytest.approx(expected[2021], abs=1.0)
    # every basis is an estimate of the coverage mart (seed_story on the 2019 basis)
    ((share, methods),) = marts.execute(
        "select max(coverage_share), list(distinct weighting_method order by weighting_method) "
        "from fct_exemption_coverage where scenario_id = 'seed_story' and category = 'all' "
        "and weight_basis_id = 'us_census.usa_exports.2019.hs2017.hs6'"
    ).fetchall()
    assert 0 < share < 1 and methods == ["by_2017_hs8_shares", "concordance", "hs6"]


def test_monthly_values_give_soybeans_their_autumn_season(run):
    _, _, _, models = run
    shares = dict(
        models.execute(
            "select calendar_month, avg_month_share from "
            "intermediate.int_weight_flows_monthly_shares "
            "where weight_source = 'us_census' and hs_code = '120190' order by 1"
        ).fetchall()
    )
    assert sorted(shares) == list(range(1, 13)) and sum(shares.values()) == pytest.approx(1)
    # the same average straight from the file: Oct-Dec share of each year 2013-2020, averaged
    ((from_file,),) = file_sql(
        "select avg(q4 / total) from (select year(time) y, "
        "sum(china_exports) filter (where month(time) >= 10) q4, sum(china_exports) total "
        "from f where hs6 = '120190' and year(time) between 2013 and 2020 group by 1)"
    )
    q4 = shares[10] + shares[11] + shares[12]
    assert q4 == pytest.approx(from_file, abs=1e-9)
    assert q4 > 0.45  # well above an even 3/12
    # only complete years are averaged: 2021 (January only) would load January alone
    ((years, first, last),) = models.execute(
        "select any_value(years_averaged), min(first_year), max(last_year) "
        "from intermediate.int_weight_flows_monthly_shares "
        "where weight_source = 'us_census' and hs_code = '120190'"
    ).fetchall()
    assert (years, first, last) == (len(YEARS), min(YEARS), max(YEARS)) == (8, 2013, 2020)
    bad = models.execute(
        "select weight_source, hs_code, sum(avg_month_share) from "
        "intermediate.int_weight_flows_monthly_shares group by all "
        "having abs(sum(avg_month_share) - 1) > 1e-9"
    ).fetchall()
    assert bad == []
