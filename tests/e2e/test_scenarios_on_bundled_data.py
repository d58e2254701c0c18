"""The 2025 state, the exclusion lists and the exemption scenarios on the real bundled files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date

import pytest

from etl import pipeline
from etl.settings import Settings
from tests.helpers import PROJECT_ROOT, tree_checksums

PIIE_BASIS = "piie_itc_trade_map.chn_imports.2017.hs2017.hs8"

pytestmark = pytest.mark.e2e
FIRST_LIST = "税委会公告〔2019〕6号"


def state_on(con, day: str, where: str) -> list[tuple]:
    return con.execute(
        f"""
        select national_line_code, additional_rate_pct, is_exclusion_in_force,
               exclusion_announcement_ids
        from fct_tariff_timeline
        where valid_from_date <= date '{day}'
          and (valid_to_date is null or date '{day}' < valid_to_date)
          and {where}
        order by 1
        """
    ).fetchall()


def test_2025_state_has_every_china_line_of_the_matrix(marts_con):
    lines, soy = marts_con.execute(
        "select count(*), "
        "list(additional_rate_pct order by national_line_code) filter "
        "(where national_line_code in ('12019011', '12019019')) "
        "from fct_tariff_timeline where schedule_id = 'ita_matrix_2025' "
        "and valid_from_date = date '2025-03-28'"
    ).fetchall()[0]
    assert lines == 7_048
    assert soy == [37.5, 37.5]
    rates = dict(
        marts_con.execute(
            "select national_line_code, additional_rate_pct from fct_tariff_timeline "
            "where national_line_code in ('10019900', '27090000', '27111100') "
            "and schedule_id = 'ita_matrix_2025' and valid_from_date = date '2025-03-28'"
        ).fetchall()
    )
    assert rates == {"10019900": 40.0, "27090000": 12.5, "27111100": 40.0}


def test_mof_list_equals_piie_april_2018_measure(published):
    settings, summary = published
    assert summary.datasets["mof_retaliation_list_2018"]["rows_loaded"] == 128
    import duckdb

    con = duckdb.connect()
    piie = con.execute(
        "select count(distinct left(national_line_code, 8)) from read_parquet(?) "
        "where measure_id = 'CHN-20180402-retaliation' and rate_pp <> 0",
        [str(settings.current_dir / "raw/tariff_line_rates/*.parquet")],
    ).fetchall()[0][0]
    assert piie == 128
    gate = pipeline.read_manifest(settings, summary.run_id)["checks"]["intermediate"]
    assert gate["failed_critical"] == 0  # includes assert_mof_2018_list_matches_piie


def test_first_exclusion_list_lifts_retaliation_and_its_extension_keeps_it_lifted(marts_con):
    where = (
        "schedule_id = 'piie_2019_06' and hs8_code in ('03063610', '12141000', "
        "'12149000', '23012010', '27101991', '27101992', '29349990', '34021300', "
        "'34031900', '34039900', '90221400', '04041000', '27101299', '27101919', "
        "'27101993')"
    )
    before = state_on(marts_con, "2019-09-16", where)
    assert before and all(rate > 0 for _, rate, _, _ in before)
    during = state_on(marts_con, "2019-10-01", where)
    assert len({code[:8] for code, *_ in during}) == 15  # 16 items, 29349990 twice
    assert all(rate == 0 and excluded for _, rate, excluded, _ in during)
    assert {ids for *_, ids in during} == {FIRST_LIST}
    # 〔2020〕8号 extends the list for a year from 2020-09-17, 〔2021〕7号 to 2022-04-16
    a_year_later = state_on(marts_con, "2020-10-01", where)
    assert all(rate == 0 for _, rate, _, _ in a_year_later)
    assert {ids for *_, ids in a_year_later} == {"税委会公告〔2020〕8号"}
    assert {ids for *_, ids in state_on(marts_con, "2021-10-01", where)} == {
        "税委会公告〔2021〕7号"
    }
    # no extension in the data reaches past 2022-04-16: the duty is back
    after = state_on(marts_con, "2022-05-01", where)
    assert all(rate > 0 and not excluded for _, rate, excluded, _ in after)


def test_partial_exclusion_lists_are_flagged_incomplete(published):
    settings, _ = published
    import duckdb

    con = duckdb.connect()
    flags = dict(
        con.execute(
            """
        select exclusion_announcement_ids, bool_and(is_exclusion_list_complete)
        from read_parquet(?) where is_exclusion_in_force group by 1
        """,
            [str(settings.current_dir / "marts/fct_tariff_timeline/**/*.parquet")],
        ).fetchall()
    )
    assert flags[FIRST_LIST] is True
    assert flags["税委会公告〔2019〕8号"] is False  # 4 of 6 items known
    assert flags["税委会公告〔2020〕4号"] is False  # 15 of 79 items known
    covered = con.execute(
        "select as_of_date, bool_or(has_incomplete_exclusion_list) from read_parquet(?) "
        "group by 1 order by 1",
        [str(settings.current_dir / "marts/fct_retaliation_coverage/*.parquet")],
    ).fetchall()
    flagged = {str(d) for d, f in covered if f}
    assert "2019-12-26" in flagged and "2019-10-01" not in flagged
    assert "2019-09-17" not in flagged  # only the complete first list is in force


def test_every_scenario_has_every_basis_and_method_and_a_band(marts_con):
    rows = marts_con.execute(
        "select scenario_id, weight_basis_id, weighting_method, product_scope, "
        "count(distinct window_months), max(coverage_share) filter (where category = 'all'), "
        "bool_and(is_band_method) and bool_and(is_complete_year) "
        "from fct_exemption_coverage join dim_weight_bases using (weight_basis_id) "
        "group by all order by all"
    ).fetchall()
    scenarios = {r[0] for r in rows}
    assert scenarios == {
        "seed_story",
        "seed_story_2023",
        "seed_story_latest",
        "agri_medical_broad",
        "pharma_medical_only",
        "exclusion_2019_first_list",
    }
    bases = {r[0] for r in marts_con.sql("select weight_basis_id from dim_weight_bases").fetchall()}
    for scenario in scenarios:
        estimates = {(r[1], r[2]) for r in rows if r[0] == scenario}
        assert {m for b, m in estimates if b == PIIE_BASIS} == {
            "exact_hs8", "hs6", "concordance", "hs8_recoded"
        }
        assert {b for b, _ in estimates} == bases  # every basis, every scenario
        # the Census HS4 bases (US-reported, Phase One products) are matched at HS4 only
        assert {m for b, m in estimates if b.startswith("census_")} == {
            "hs4",
            "by_2017_hs8_shares",
        }
    band = {
        (r[0], r[1]): r[2:]
        for r in marts_con.execute(
            "select scenario_id, product_scope, coverage_share_low, coverage_share_high, "
            "low_weight_basis_id, low_method, high_weight_basis_id, high_method, estimates "
            "from fct_exemption_band"
        ).fetchall()
    }
    assert {scope for _, scope in band} == {"all_products", "phase_one_products"}
    for (scenario, scope), (low, high, low_b, low_m, high_b, high_m, n) in band.items():
        # the band spans the band methods on complete years only
        shares = {
            (r[1], r[2]): r[5] for r in rows if r[0] == scenario and r[3] == scope and r[6]
        }
        assert n == len(shares)
        assert low == min(shares.values()) and high == max(shares.values())
        assert shares[(low_b, low_m)] == low and shares[(high_b, high_m)] == high


def test_us_reported_census_bases_cover_every_year_of_the_file(marts_con):
    rows = marts_con.execute(
        "select weight_year, months_covered, hs_codes, trade_value_usd, reporter_side, "
        "product_scope, hs_revision from dim_weight_bases "
        "where weight_source = 'census_phase_one_products' order by 1"
    ).fetchall()
    assert [r[0] for r in rows] == list(range(2013, 2021))
    assert [r[1] for r in rows] == [12] * 7 + [11]  # the file ends in 2020-11
    assert {r[4:6] for r in rows} == {("us_reported", "phase_one_products")}
    assert [r[6] for r in rows] == ["HS2012"] * 4 + ["HS2017"] * 4
    # SOURCES.md: the Phase One products were about $78.8B of the 2017 exports to China
    assert rows[4][3] == pytest.approx(78.8e9, abs=0.05e9)
    default = marts_con.execute(
        "select weight_basis_id, trade_value_usd from dim_weight_bases where is_default_basis"
    ).fetchall()
    assert default == [(PIIE_BASIS, pytest.approx(154_839_651_000, abs=0.5))]
    # the README's table of bands (share rounded to 0.1 pp, year of the basis at each end)
    bands = {
        (r[0], r[1]): (
            round(100 * r[2], 1),
            r[3].split(".")[2],
            round(100 * r[4], 1),
            r[5].split(".")[2],
        )
        for r in marts_con.execute(
            "select scenario_id, product_scope, coverage_share_low, low_weight_basis_id, "
            "coverage_share_high, high_weight_basis_id from fct_exemption_band"
        ).fetchall()
    }
    assert bands[("seed_story", "phase_one_products")] == (12.5, "2018", 29.5, "2016")
    assert bands[("pharma_medical_only", "phase_one_products")] == (3.2, "2013", 7.6, "2019")
    assert bands[("agri_medical_broad", "phase_one_products")] == (23.9, "2018", 42.7, "2013")
    assert bands[("seed_story", "all_products")] == (9.9, "2018", 23.1, "2016")


def test_seed_story_numbers(marts_con):
    all_rows = {
        r[0]: r[1:]
        for r in marts_con.execute(
            "select weighting_method, taxed_value_usd, covered_value_usd, lines_taxed, "
            "lines_covered, avg_additional_rate_before_pct, avg_additional_rate_after_pct "
            "from fct_exemption_coverage where scenario_id = 'seed_story' and category = 'all' "
            "and window_months = 12 and weight_basis_id = ?",
            [PIIE_BASIS],
        ).fetchall()
    }
    for taxed, covered, lines_taxed, lines_covered, before, after in all_rows.values():
        assert lines_taxed == 7_048  # every line of the matrix carries retaliation
        assert lines_covered == 82  # soybeans 6, pharmaceuticals 18, medical 58
        assert 0 < covered < taxed
        assert after < before
    # the soybean lines were re-coded after 2017 (12019010 -> 12019011/19): the exact 8-digit
    # match loses them, the subheading methods keep them
    soy = dict(
        marts_con.execute(
            "select weighting_method, covered_value_usd from fct_exemption_coverage "
            "where scenario_id = 'seed_story' and category = 'soybeans' and window_months = 12 "
            "and weight_basis_id = ?",
            [PIIE_BASIS],
        ).fetchall()
    )
    assert soy["exact_hs8"] < 0.01e9
    assert soy["hs6"] == pytest.approx(13.93e9, abs=0.01e9)
    unmatched = marts_con.execute(
        "select unmatched_taxed_value_usd, lines_taxed_unmatched from fct_exemption_coverage "
        "where scenario_id = 'seed_story' and category = 'soybeans' and window_months = 12 "
        "and weighting_method = 'exact_hs8' and weight_basis_id = ?",
        [PIIE_BASIS],
    ).fetchall()[0]
    assert unmatched[1] == 2
    assert unmatched[0] == pytest.approx(13.934e9 * 2 / 5, rel=1e-3)
    relief = dict(
        marts_con.execute(
            "select window_months, duty_relief_flat_usd from fct_exemption_coverage "
            "where scenario_id = 'seed_story' and category = 'all' "
            "and weighting_method = 'hs6' and weight_basis_id = ?",
            [PIIE_BASIS],
        ).fetchall()
    )
    assert relief[6] == pytest.approx(relief[12] / 2)


def test_exclusion_scenario_matches_the_drop_in_the_coverage_series(marts_con):
    covered = dict(
        marts_con.execute(
            "select as_of_date, sum(covered_value_usd) from fct_retaliation_coverage "
            "where as_of_date in (date '2019-09-01', date '2019-09-17') group by 1"
        ).fetchall()
    )
    # the list took effect on 17 Sep 2019, after the 1 Sep round: the drop between the two
    drop = covered[date(2019, 9, 1)] - covered[date(2019, 9, 17)]
    scenario = marts_con.execute(
        "select covered_value_usd, lines_covered from fct_exemption_coverage "
        "where scenario_id = 'exclusion_2019_first_list' and category = 'all' "
        "and weighting_method = 'exact_hs8' and weight_basis_id = ?",
        [PIIE_BASIS],
    ).fetchall()[0]
    assert scenario[0] == pytest.approx(drop, rel=1e-9)
    assert scenario[1] > 15  # HS10 lines of the 15 HS8 codes


def test_bad_scenario_stops_the_run_before_publish(published, tmp_path):
    settings, _ = published
    scenarios = tmp_path / "scenarios"
    shutil.copytree(PROJECT_ROOT / "scenarios", scenarios)
    (scenarios / "seed_story.yaml").write_text(
        (scenarios / "seed_story.yaml").read_text().replace("[soybeans,", "[soyabeans,")
    )
    before = tree_checksums(settings.current_dir)
    env = {
        "TARIFF_ETL_WAREHOUSE": str(settings.warehouse),
        "TARIFF_ETL_SCENARIOS": str(scenarios),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "etl.cli", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: scenario file seed_story.yaml: include.categories[0]: unknown category "
        "'soyabeans'; known: ['agricultural', 'electric_vehicles', 'fish_and_seafood', "
        "'medical_diagnostic', 'pharmaceuticals', 'renewable_energy', 'semiconductors', "
        "'soybeans']"
    )
    assert tree_checksums(settings.current_dir) == before


def test_hostile_scenario_text_is_published_as_data(tmp_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    hostile = "x'); drop view fct_exemption_band; --"
    (scenarios / "hostile.yaml").write_text(
        (PROJECT_ROOT / "scenarios/pharma_medical_only.yaml")
        .read_text()
        .replace("id: pharma_medical_only", "id: hostile_text")
        .replace("description: >", f'description: "{hostile}"\nnotes: >')
    )
    settings = Settings(warehouse=tmp_path / "wh", scenarios_dir=scenarios)
    pipeline.run_all(settings)
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        rows = con.execute(
            "select distinct scenario_id, scenario_description from fct_exemption_band"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("hostile_text", hostile)]


def test_customs_data_a_user_drops_in_becomes_a_weight_basis_of_the_band(tmp_path):
    """China Customs' own monthly HS8 export (the GBK fixture, March 2018) landed with
    `tariff-etl ingest`: the next run weights every scenario by it as well."""
    from etl.customs.api import ingest_files

    settings = Settings(warehouse=tmp_path / "wh")
    fixture = PROJECT_ROOT / "tests/fixtures/customs/china_customs_import_201803.csv"
    (landed,) = ingest_files(settings, "china-customs", [fixture])
    assert landed.rows_quarantined > 0  # the fixture's malformed rows
    summary = pipeline.run_all(settings)
    counts = summary.datasets["landed_trade_flows"]
    assert counts["rows_read"] == counts["rows_loaded"] + counts["rows_quarantined"]
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        basis = con.execute(
            "select weight_basis_id, reporter_side, hs_level, months_covered, product_scope, "
            "trade_value_usd from dim_weight_bases where weight_source = 'china_customs'"
        ).fetchall()
        # the US rows of the fixture: soybeans, aircraft, medicines, medical instruments, CPUs,
        # cars, frozen pork (the corn row with '-' value, the bad codes, the 13th month and the
        # non-numeric quantity are quarantined)
        us_value = 646_212_345 + 1_203_456_789 + 98_765_432 + 76_543_210 + 2_345_678_901
        us_value += 123_456_789 + 4_321_000
        assert basis == [
            ("china_customs.chn_imports.2018.hs2017.hs8", "china_reported", 8, 1, "all_products",
             float(us_value)),
        ]  # fmt: skip
        methods = con.execute(
            "select weighting_method, covered_value_usd from fct_exemption_coverage "
            "where scenario_id = 'seed_story' and category = 'all' and window_months = 12 "
            "and weight_basis_id = 'china_customs.chn_imports.2018.hs2017.hs8' order by 1"
        ).fetchall()
        assert [m for m, _ in methods] == ["concordance", "exact_hs8", "hs6", "hs8_recoded"]
        # exact 8-digit match: soybeans 12019019 and instruments 90189099 are exempted; the 2025
        # matrix has no line 30049090 (only 30049051/54), so the medicines go unmatched; the
        # CPUs (semiconductors), aircraft, cars and pork stay taxed
        assert dict(methods)["exact_hs8"] == pytest.approx(646_212_345 + 76_543_210)
        # by subheading the medicines reach 30049051/54, which the scenario exempts too
        assert dict(methods)["hs6"] == pytest.approx(646_212_345 + 98_765_432 + 76_543_210)
        band = con.execute(
            "select estimates, weight_bases from fct_exemption_band "
            "where scenario_id = 'seed_story' and product_scope = 'all_products'"
        ).fetchall()
        # a one-month file is a weight basis (above) but never defines the band: band methods on
        # complete years only -- PIIE 2017 (hs8_recoded) + US Census HS6 2013-2020
        assert band == [(9, 9)]
    finally:
        con.close()
