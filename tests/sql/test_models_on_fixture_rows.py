"""Build every layer from a handful of raw rows and compare with hand-computed results."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from etl import sql_runner
from etl.ingest import hs_nomenclature, piie
from etl.parquet_io import write_parquet_atomic
from tests.helpers import PROJECT_ROOT

LINEAGE = {
    "_source_file": "fixture",
    "_source_sha256": "0" * 64,
    "_source_sheet": None,
    "_source_row": 1,
    "_loaded_at": datetime(2026, 1, 1, tzinfo=UTC),
}
MEASURES = [
    ("CHN-20180101-mfn_level", "mfn_level", date(2018, 1, 1), 1),
    ("CHN-20180706-retaliation", "retaliation", date(2018, 7, 6), 2),
    ("CHN-20190101-suspension", "suspension", date(2019, 1, 1), 3),
]
# line -> (MFN level, retaliation, suspension); None = no ad valorem rate
LINES = {
    "1201901000": (3.0, 25.0, 0.0),
    "8703231911": (25.0, 25.0, -25.0),
    "8703231990": (15.0, 25.0, -25.0),
    "3702520000": (None, 0.0, 0.0),
}
FLOWS = {"12019010": 100.0, "87032319": 50.0, "37025200": 10.0, "99999999": 40.0}
SECTORS = {"12019010": "Soybeans", "87032319": "Autos and parts", "37025200": "All other goods"}


def _table(schema, rows):
    return pa.Table.from_pylist([{**LINEAGE, **r} for r in rows], schema=schema)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    import duckdb

    raw = tmp_path_factory.mktemp("fixture") / "raw"
    tables = {
        "tariff_measures": _table(
            piie.MEASURES_SCHEMA,
            [
                {
                    "measure_id": m,
                    "reporter_iso3": "CHN",
                    "target_partner_iso3": "USA",
                    "kind": k,
                    "effective_date": d,
                    "sequence": s,
                    "description": k,
                }
                for m, k, d, s in MEASURES
            ],
        ),
        "tariff_lines": _table(
            piie.TARIFF_LINES_SCHEMA,
            [
                {
                    "national_line_code": c,
                    "reporter_iso3": "CHN",
                    "hs_revision": "HS2017",
                    "description": c,
                }
                for c in LINES
            ],
        ),
        "tariff_line_rates": _table(
            piie.LINE_RATES_SCHEMA,
            [
                {"national_line_code": c, "measure_id": m[0], "rate_pp": v}
                for c, values in LINES.items()
                for m, v in zip(MEASURES, values, strict=True)
            ],
        ),
        "trade_flows": _table(
            piie.TRADE_FLOWS_SCHEMA,
            [
                {
                    "reporter_iso3": "CHN",
                    "partner_iso3": "USA",
                    "flow": "import",
                    "hs_code": c,
                    "hs_level": 8,
                    "hs_revision": "HS2017",
                    "period": "2017",
                    "period_year": 2017,
                    "trade_value_usd": v,
                    "source": "piie_itc_trade_map",
                }
                for c, v in FLOWS.items()
            ],
        ),
        "piie_sectors": _table(
            piie.SECTORS_SCHEMA,
            [{"hs8_code": c, "sector_label": s, "sector": s} for c, s in SECTORS.items()],
        ),
        "hs_nomenclature": _table(
            hs_nomenclature.NOMENCLATURE_SCHEMA,
            [
                {
                    "hs_revision": "HS2017",
                    "hs_code": "12",
                    "level": 2,
                    "description": "Oil seeds",
                    "section": "II",
                },
                {
                    "hs_revision": "HS2017",
                    "hs_code": "120190",
                    "level": 6,
                    "description": "Soya",
                    "section": "II",
                },
            ],
        ),
        "hs_sections": _table(
            hs_nomenclature.SECTIONS_SCHEMA,
            [{"hs_revision": "HS2017", "section": "II", "section_name": "Vegetable products"}],
        ),
    }
    for name, table in tables.items():
        write_parquet_atomic(table, raw / name / "part-0.parquet")
    con = duckdb.connect()
    sql_runner.set_variables(con, {"raw_root": str(raw), "reference_root": str(raw)})
    for layer in sql_runner.LAYERS:
        sql_runner.build_layer(con, PROJECT_ROOT / "sql", layer)
    yield con
    con.close()


def test_timeline_opens_a_window_only_when_something_changes(built):
    rows = built.execute(
        "select national_line_code, valid_from_date, valid_to_date, mfn_rate_pct, "
        "additional_rate_pct, applied_rate_pct, measure_ids from marts.fct_tariff_timeline "
        "order by 1, 2"
    ).fetchall()
    d = date
    assert rows == [
        ("1201901000", d(2018, 1, 1), d(2018, 7, 6), 3.0, 0.0, 3.0, "CHN-20180101-mfn_level"),
        (
            "1201901000",
            d(2018, 7, 6),
            None,
            3.0,
            25.0,
            28.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation",
        ),
        ("3702520000", d(2018, 1, 1), None, None, 0.0, None, "CHN-20180101-mfn_level"),
        ("8703231911", d(2018, 1, 1), d(2018, 7, 6), 25.0, 0.0, 25.0, "CHN-20180101-mfn_level"),
        (
            "8703231911",
            d(2018, 7, 6),
            d(2019, 1, 1),
            25.0,
            25.0,
            50.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation",
        ),
        (
            "8703231911",
            d(2019, 1, 1),
            None,
            25.0,
            0.0,
            25.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation,CHN-20190101-suspension",
        ),
        ("8703231990", d(2018, 1, 1), d(2018, 7, 6), 15.0, 0.0, 15.0, "CHN-20180101-mfn_level"),
        (
            "8703231990",
            d(2018, 7, 6),
            d(2019, 1, 1),
            15.0,
            25.0,
            40.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation",
        ),
        (
            "8703231990",
            d(2019, 1, 1),
            None,
            15.0,
            0.0,
            15.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation,CHN-20190101-suspension",
        ),
    ]


def test_coverage_counts_unmatched_trade_as_not_covered(built):
    rows = built.execute(
        "select as_of_date, sum(covered_value_usd), sum(not_covered_value_usd), "
        "sum(total_value_usd), sum(unmatched_value_usd), sum(lines_covered) "
        "from marts.fct_retaliation_coverage group by 1 order by 1"
    ).fetchall()
    assert rows == [
        (date(2018, 1, 1), 0.0, 200.0, 200.0, 40.0, 0),
        (date(2018, 7, 6), 150.0, 50.0, 200.0, 40.0, 3),
        (date(2019, 1, 1), 100.0, 100.0, 200.0, 40.0, 1),
    ]
    sectors = built.execute(
        "select sector, covered_value_usd, lines_covered from marts.fct_retaliation_coverage "
        "where as_of_date = date '2018-07-06' order by 1"
    ).fetchall()
    assert sectors == [
        ("All other goods", 0.0, 0),
        ("Autos and parts", 50.0, 2),
        ("Not in PIIE sector list", 0.0, 0),
        ("Soybeans", 100.0, 1),
    ]


def test_average_tariff_averages_lines_within_hs8_then_weights_by_trade(built):
    rows = {
        r[0]: r[1:]
        for r in built.execute(
            "select as_of_date, avg_applied_rate_pct, avg_additional_rate_pct, avg_mfn_rate_pct, "
            "weighted_value_usd, excluded_value_usd from marts.fct_average_tariff "
            "where weight_basis = 'china_imports_from_usa_2017'"
        ).fetchall()
    }
    # HS8 87032319 = mean of its two lines: MFN 20, +25 -> 45; soybeans 3 -> 28
    applied, additional, mfn, weighted, excluded = rows[date(2018, 7, 6)]
    assert applied == pytest.approx((100 * 28 + 50 * 45) / 150)
    assert additional == pytest.approx((100 * 25 + 50 * 25) / 150)
    assert mfn == pytest.approx((100 * 3 + 50 * 20) / 150)
    assert (weighted, excluded) == (
        150.0,
        50.0,
    )  # 37025200 has no ad valorem rate; 99999999 no line
    assert rows[date(2019, 1, 1)][0] == pytest.approx((100 * 28 + 50 * 20) / 150)


def test_dimension_covers_every_known_hs8(built):
    rows = built.execute(
        "select hs8_code, sector, is_in_tariff_schedule, has_trade_record, hs2_description "
        "from marts.dim_product_categories order by 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["12019010", "37025200", "87032319", "99999999"]
    assert rows[0] == ("12019010", "Soybeans", True, True, "Oil seeds")
    assert rows[3][1:4] == ("Not in PIIE sector list", False, True)
