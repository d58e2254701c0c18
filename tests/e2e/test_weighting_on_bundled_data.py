"""The weighting that defines the band, checked on the published marts against arithmetic the
test does itself on PIIE's 2017 HS8 values (read from the workbook) and the schedules."""

from __future__ import annotations

from collections import defaultdict

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from tests.helpers import LANDING, PIIE_XLSX

pytestmark = pytest.mark.e2e

CHINA_2017 = "piie_itc_trade_map.chn_imports.2017.hs2017.hs8"
BAND_METHODS = {"hs8_recoded", "by_2017_hs8_shares"}
SEED_BASES = ("seed_story", "seed_story_2023", "seed_story_latest")
CENSUS_HS6 = LANDING / "census_us_exports_china_hs6" / "phaseone-tradedata-C-febuary.parquet"
CENSUS_HS4 = LANDING / "tradewar_tracker_aws" / "data-hs4.parquet"


def complete_years(path, code_column: str) -> list[int]:
    """Years with all twelve months among the rows with a code, read with pyarrow."""
    table = pq.read_table(path, columns=["time", code_column])
    times = table.filter(pc.is_valid(table.column(code_column))).column("time")
    months: dict[int, set[int]] = defaultdict(set)
    for year, month in zip(pc.year(times).to_pylist(), pc.month(times).to_pylist(), strict=True):
        months[year].add(month)
    return sorted(year for year, m in months.items() if len(m) == 12)


@pytest.fixture(scope="module")
def con(published) -> duckdb.DuckDBPyConnection:
    settings, _ = published
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    yield con
    con.close()


def _china_2017_by_hs8() -> dict[str, float]:
    """PIIE's 'Imports Value' sheet: HS8 code, description, China's 2017 imports from the US in
    thousand USD (the codes are text with their leading zeros)."""
    sheet = CalamineWorkbook.from_path(str(PIIE_XLSX)).get_sheet_by_name("Imports Value")
    values: dict[str, float] = defaultdict(float)
    for hs8, _, value_thousands in sheet.to_python()[1:]:
        if hs8:
            values[str(hs8)] += value_thousands * 1000
    return values


def test_band_ends_come_from_band_methods_and_complete_years(con) -> None:
    rows = con.execute(
        """select b.scenario_id, b.product_scope, b.low_method, b.high_method,
                  lo.is_complete_year, hi.is_complete_year
           from fct_exemption_band b
           join dim_weight_bases lo on lo.weight_basis_id = b.low_weight_basis_id
           join dim_weight_bases hi on hi.weight_basis_id = b.high_weight_basis_id"""
    ).fetchall()
    assert {r[0] for r in rows} >= set(SEED_BASES)
    for scenario, scope, low, high, low_complete, high_complete in rows:
        assert {low, high} <= BAND_METHODS, (scenario, scope, low, high)
        assert low_complete and high_complete, (scenario, scope)


def test_diagnostics_are_published_but_flagged(con) -> None:
    flags = dict(
        con.execute(
            "select weighting_method, bool_and(is_band_method) from fct_exemption_coverage "
            "group by 1"
        ).fetchall()
    )
    assert flags == {
        "hs8_recoded": True,
        "by_2017_hs8_shares": True,
        "exact_hs8": False,
        "hs6": False,
        "concordance": False,
        "hs4": False,
    }


def test_soybeans_are_never_weighted_zero_by_a_band_method(con) -> None:
    rows = con.execute(
        """select scenario_id, weight_basis_id, weighting_method, covered_value_usd
           from fct_exemption_coverage
           where scenario_id in ('seed_story', 'seed_story_2023', 'seed_story_latest')
             and category = 'soybeans' and is_band_method and window_months = 12
             and weight_basis_id in (select weight_basis_id from dim_weight_bases
                                     where is_complete_year)"""
    ).fetchall()
    # one band estimate per seed base and complete-year basis: China's 2017 HS8 imports
    # (hs8_recoded) and each complete year of the two Census files (by_2017_hs8_shares)
    hs6_years, hs4_years = complete_years(CENSUS_HS6, "hs6"), complete_years(CENSUS_HS4, "hs4")
    assert (hs6_years, hs4_years) == (list(range(2013, 2021)), list(range(2013, 2020)))
    assert len(rows) == len(SEED_BASES) * (1 + len(hs6_years) + len(hs4_years))
    assert {r[0] for r in rows} == set(SEED_BASES)
    assert all(value > 0 for *_, value in rows), [r for r in rows if r[3] <= 0]
    # the diagnostic that loses the re-coded soybeans keeps only black soybeans (12019020)
    exact, recoded = con.execute(
        "select sum(covered_value_usd) filter (where weighting_method = 'exact_hs8'), "
        "sum(covered_value_usd) filter (where weighting_method = 'hs8_recoded') "
        "from fct_exemption_coverage where scenario_id = 'seed_story' "
        "and category = 'soybeans' and window_months = 12"
    ).fetchone()
    assert exact < 0.01 * recoded


def test_recoded_soybeans_go_to_the_new_codes_and_untaxed_medicines_stay_out(con) -> None:
    china = _china_2017_by_hs8()
    mapping = dict(
        (code, step)
        for code, step in con.execute(
            "select hs_code, mapping_step from fct_weight_value_mapping "
            "where schedule_id = 'ita_matrix_2025' and weight_basis_id = ?",
            [CHINA_2017],
        ).fetchall()
    )
    assert mapping["12019010"] == "recoded_spread"  # split into 12019011/19 after 2017
    assert mapping["30049090"] == "kept_out_untaxed"  # still a code, not in the matrix
    assert mapping["98000000"] == "unmatched"
    # the soybean value reaches exactly the lines that took it, and nothing else in 1201.90
    soy = con.execute(
        """select national_line_code, trade_value_hs6_usd from fct_exemption_eligibility
           where scenario_id = 'seed_story' and national_line_code like '120190%'"""
    ).fetchall()
    assert soy  # the lines exist
    covered = con.execute(
        "select covered_value_usd from fct_exemption_coverage where scenario_id = 'seed_story' "
        "and category = 'soybeans' and weighting_method = 'hs8_recoded' and window_months = 12"
    ).fetchone()[0]
    expected = sum(v for code, v in china.items() if code.startswith("1201"))
    assert covered == pytest.approx(expected, rel=1e-9)


def test_no_untaxed_code_contributes_to_a_taxed_base(con) -> None:
    china = _china_2017_by_hs8()
    kept_out = {
        code
        for (code,) in con.execute(
            "select hs_code from fct_weight_value_mapping where schedule_id = 'ita_matrix_2025' "
            "and weight_basis_id = ? and mapping_step in ('kept_out_untaxed', 'unmatched')",
            [CHINA_2017],
        ).fetchall()
    }
    kept_out_value = sum(v for code, v in china.items() if code in kept_out)
    taxed = con.execute(
        "select taxed_value_usd from fct_exemption_coverage where scenario_id = 'seed_story' "
        "and category = 'all' and weighting_method = 'hs8_recoded' and window_months = 12 "
        "and weight_basis_id = ?",
        [CHINA_2017],
    ).fetchone()[0]
    # the value of codes that still exist untaxed (or match nothing) never reaches the base
    assert kept_out >= {"30049090", "98000000"}
    assert china["30049090"] > 1e9  # $1.11B in PIIE's `Imports Value` sheet
    assert taxed <= sum(china.values()) - kept_out_value + 1
    # and under the equal-split diagnostic it does: 30049090's trade lands on 30049051/54
    lines_300490 = dict(
        con.execute(
            "select national_line_code, trade_value_hs6_usd from fct_exemption_eligibility "
            "where scenario_id = 'seed_story' and national_line_code like '300490%'"
        ).fetchall()
    )
    assert sum(v or 0 for v in lines_300490.values()) >= china["30049090"]


def test_the_band_on_each_base_and_the_2019_basis_are_published(con) -> None:
    band = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            "select scenario_id, coverage_share_low, coverage_share_high from fct_exemption_band "
            "where product_scope = 'all_products'"
        ).fetchall()
    }
    for scenario in SEED_BASES:
        low, high = band[scenario]
        assert 0 < low <= high < 1
    shares = con.execute(
        """select c.scenario_id, c.coverage_share from fct_exemption_coverage c
           join dim_weight_bases b using (weight_basis_id)
           where b.weight_source = 'us_census' and b.weight_year = 2019 and c.category = 'all'
             and c.is_band_method and c.window_months = 12"""
    ).fetchall()
    assert {s for s, _ in shares} >= set(SEED_BASES)
    for scenario, share in shares:
        if scenario in band:
            assert band[scenario][0] <= share <= band[scenario][1]


def test_every_dollar_of_china_2017_is_accounted_for_code_by_code(con) -> None:
    """The mapping's parts on lines sum to what the weighting put on lines; exact codes keep
    their whole value, partly re-coded codes lose the part sent to subheadings with no new
    code, and the five steps partition PIIE's total (read from the workbook)."""
    china = _china_2017_by_hs8()
    rows = con.execute(
        "select hs_code, mapping_step, trade_value_usd, value_on_lines_usd, "
        "basis_value_on_lines_usd from fct_weight_value_mapping "
        "where schedule_id = 'ita_matrix_2025' and weight_basis_id = ?",
        [CHINA_2017],
    ).fetchall()
    assert {code for code, *_ in rows} == set(china)
    assert sum(r[2] for r in rows) == pytest.approx(sum(china.values()), abs=1)
    on_lines = sum(r[3] for r in rows)
    assert on_lines == pytest.approx(rows[0][4], abs=5)  # cents of rounding per re-coded code
    by_step = defaultdict(list)
    for code, step, value, on, _ in rows:
        by_step[step].append((code, value, on))
    assert all(on == value for _, value, on in by_step["exact"])
    assert all(on == 0 for s in ("kept_out_untaxed", "unmatched") for *_, on in by_step[s])
    partly = by_step["recoded_spread_partly"]
    assert all(on < value for _, value, on in partly if value > 0)
    assert all(on == 0 for _, value, on in partly if value == 0)
    # 90278099 (2017) went to several HS2022 subheadings, 854999 among them: no new code there
    assert "90278099" in {code for code, *_ in partly}
    taxed = con.execute(
        "select taxed_value_usd from fct_exemption_coverage where scenario_id = 'seed_story' "
        "and category = 'all' and weighting_method = 'hs8_recoded' and window_months = 12 "
        "and weight_basis_id = ?",
        [CHINA_2017],
    ).fetchone()[0]
    assert taxed == pytest.approx(on_lines, abs=5)  # every matrix line is taxed


def test_a_split_never_hands_out_more_than_the_code_has(con) -> None:
    """HS2022 subheading 852990 holds value re-coded from other 2017 subheadings: its lines'
    2017 value exceeds 852990's own, and the HS6 split must still give out at most 852990's
    US value (it gave 2.97 times that before)."""
    over = con.execute(
        "select weight_basis_id, hs_code, trade_value_usd, value_on_lines_usd "
        "from fct_weight_value_mapping where value_on_lines_usd > trade_value_usd + 0.5"
    ).fetchall()
    assert over == []
    (value, on) = con.execute(
        "select trade_value_usd, value_on_lines_usd from fct_weight_value_mapping "
        "where schedule_id = 'ita_matrix_2025' "
        "and weight_basis_id = 'us_census.usa_exports.2017.hs2017.hs6' and hs_code = '852990'"
    ).fetchone()
    assert 0 < on <= value + 0.5
