"""fct_average_tariff on hand-made national-line states: both bases recomputed in the test.

The fixture is a few national lines' rates on two dates (`int_tariff_lines_stated_by_date`), the
trade flows and the blanket rates; the roll-up to HS8, the join to trade and the mart are
built from their real SQL. Expected values are arithmetic on LINES and FLOWS below.
"""

from __future__ import annotations

from datetime import date
from statistics import mean

import duckdb
import pytest

from etl import sql_runner
from tests.helpers import PROJECT_ROOT

SCHEDULE = "piie_2019_06"
MFN_ONLY, RETALIATION = date(2018, 1, 1), date(2018, 7, 6)
# national line -> (HS8, MFN rate or None for no ad valorem rate, retaliation from 2018-07-06)
LINES = {
    "1201901000": ("12019010", 3.0, 25.0),
    "8703231911": ("87032319", 25.0, 25.0),
    "8703231990": ("87032319", 15.0, 25.0),
    "0203110010": ("02031100", 20.0, 10.0),  # taxed, but no trade: simple average only
    "3702520000": ("37025200", None, 0.0),  # no ad valorem rate: left out of both averages
}
# HS8 -> China's 2017 imports from the US; 99999999 has no tariff line (excluded value)
FLOWS = {"12019010": 100.0, "87032319": 50.0, "37025200": 10.0, "99999999": 40.0}


def _line_rates(day: date) -> dict[str, tuple[str, float | None, float, float | None]]:
    """national line -> (HS8, MFN, additional, applied) on `day`."""
    out = {}
    for code, (hs8, mfn, retaliation) in LINES.items():
        additional = retaliation if day >= RETALIATION else 0.0
        out[code] = (hs8, mfn, additional, None if mfn is None else mfn + additional)
    return out


def _hs8_rates(day: date) -> dict[str, tuple[float | None, float, float | None]]:
    """HS8 -> (MFN, additional, applied): the mean of its national lines (rated ones only)."""
    by_hs8: dict[str, list] = {}
    for hs8, mfn, additional, applied in _line_rates(day).values():
        by_hs8.setdefault(hs8, []).append((mfn, additional, applied))
    out = {}
    for hs8, rows in by_hs8.items():
        mfns = [r[0] for r in rows if r[0] is not None]
        applieds = [r[2] for r in rows if r[2] is not None]
        out[hs8] = (
            mean(mfns) if mfns else None,
            mean(r[1] for r in rows),
            mean(applieds) if applieds else None,
        )
    return out


@pytest.fixture
def average(con: duckdb.DuckDBPyConnection) -> dict[tuple[date, str], dict]:
    lines = [(SCHEDULE, code, hs8, "HS2017") for code, (hs8, _, _) in LINES.items()]
    con.execute(
        "create table staging.stg_tariffs__schedule_lines (schedule_id varchar, "
        "national_line_code varchar, hs8_code varchar, hs_revision varchar)"
    )
    con.executemany("insert into staging.stg_tariffs__schedule_lines values (?, ?, ?, ?)", lines)
    con.execute(
        "create table intermediate.int_tariff_lines_stated_by_date (schedule_id varchar, "
        "national_line_code varchar, as_of_date date, mfn_rate_pct double, "
        "additional_rate_pct double, applied_rate_pct double, is_retaliation_in_force boolean, "
        "is_exclusion_in_force boolean, is_exclusion_list_complete boolean)"
    )
    for day in (MFN_ONLY, RETALIATION):
        con.executemany(
            "insert into intermediate.int_tariff_lines_stated_by_date "
            "values (?, ?, ?, ?, ?, ?, ?, false, true)",
            [
                (SCHEDULE, code, day, mfn, additional, applied, additional > 0)
                for code, (_, mfn, additional, applied) in _line_rates(day).items()
            ],
        )
    con.execute(
        "create table staging.stg_customs__trade_flows (trade_flow_id varchar, source varchar, "
        "reporter_iso3 varchar, partner_iso3 varchar, flow_direction varchar, "
        "hs_level integer, hs_code varchar, hs_revision varchar, period_year integer, "
        "period_month integer, valuation varchar, trade_value_usd double)"
    )
    con.executemany(
        "insert into staging.stg_customs__trade_flows values "
        "(?, 'piie_itc_trade_map', 'CHN', 'USA', 'import', 8, ?, 'HS2017', 2017, null, 'CIF', ?)",
        [(f"flow-{hs8}", hs8, value) for hs8, value in FLOWS.items()],
    )
    con.execute("create table staging.stg_piie__sectors (hs8_code varchar, sector varchar)")
    con.execute(
        "create table intermediate.int_blanket_rates_by_date (hs_revision varchar, "
        "as_of_date date, blanket_rate_pp double)"
    )
    con.execute(
        "create table intermediate.int_tariff_actions_incomplete (action_id varchar, "
        "effective_date date, end_date date)"
    )
    models = sql_runner.discover_models(PROJECT_ROOT / "sql")
    for relation in (
        "intermediate.int_tariff_lines_rolled_up_to_hs8",
        "intermediate.int_weight_flows",
        "intermediate.int_trade_flows_joined_to_tariff_lines",
        "marts.fct_average_tariff",
    ):
        con.execute(f"create table {relation} as\n{models[relation].sql.strip().rstrip(';')}")
    cursor = con.execute("select * from marts.fct_average_tariff")
    names = [d[0] for d in cursor.description]
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}


@pytest.mark.parametrize("day", [MFN_ONLY, RETALIATION], ids=str)
def test_simple_average_hs8_is_the_unweighted_mean_of_hs8_rates(average, day):
    hs8 = _hs8_rates(day)
    rated = {code: rates for code, rates in hs8.items() if rates[2] is not None}
    row = average[day, "simple"]
    expected_applied = mean(r[2] for r in rated.values())
    assert row["avg_applied_rate_pct"] == pytest.approx(expected_applied), (
        f"simple_average_hs8 applied rate on {day} is {row['avg_applied_rate_pct']}, but the "
        f"mean of the HS8 applied rates (MFN + retaliation) is {expected_applied}: the simple "
        "average lost part of the applied rate (the retaliation?)"
    )
    assert row["avg_additional_rate_pct"] == pytest.approx(mean(r[1] for r in rated.values()))
    assert row["avg_mfn_rate_pct"] == pytest.approx(mean(r[0] for r in rated.values()))
    assert row["hs8_codes_weighted"] == len(rated) == 3
    assert (row["weighted_value_usd"], row["excluded_value_usd"]) == (None, None)
    assert row["has_incomplete_action"] is False
    assert row["has_incomplete_exclusion_list"] is False


def test_simple_average_differs_from_the_trade_weighted_one_where_trade_is_uneven(average):
    # 2018-07-06: (28 + 45 + 30) / 3 unweighted, (100 x 28 + 50 x 45) / 150 weighted
    simple = average[RETALIATION, "simple"]["avg_applied_rate_pct"]
    weighted = average[RETALIATION, "trade_weighted"]["avg_applied_rate_pct"]
    assert simple == pytest.approx((28 + 45 + 30) / 3)
    assert weighted == pytest.approx((100 * 28 + 50 * 45) / 150)


@pytest.mark.parametrize("day", [MFN_ONLY, RETALIATION], ids=str)
def test_trade_weighted_average_weights_hs8_rates_by_2017_imports(average, day):
    hs8 = _hs8_rates(day)
    weighted = {c: v for c, v in FLOWS.items() if c in hs8 and hs8[c][2] is not None}
    total = sum(weighted.values())
    row = average[day, "trade_weighted"]
    for column, index in (
        ("avg_mfn_rate_pct", 0),
        ("avg_additional_rate_pct", 1),
        ("avg_applied_rate_pct", 2),
    ):
        expected = sum(v * hs8[c][index] for c, v in weighted.items()) / total
        assert row[column] == pytest.approx(expected), f"{column} on {day}"
    assert row["weighted_value_usd"] == total == 150.0
    # 37025200 has no ad valorem rate, 99999999 no tariff line
    assert row["excluded_value_usd"] == sum(FLOWS.values()) - total == 50.0
    assert row["hs8_codes_weighted"] == len(weighted)
