"""The whole pipeline on the real bundled files, checked against PIIE's published figures."""

from __future__ import annotations

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from etl import pipeline, runs
from etl.contract import MARTS
from tests.e2e.test_scenarios_on_bundled_data import ita_matrix
from tests.helpers import PIIE_XLSX, tree_checksums

pytestmark = pytest.mark.e2e


def figure2() -> dict[str, tuple[float, float, float]]:
    """PIIE's Figure 2 as published in the workbook: sector -> (not covered, covered, total), $B."""
    rows = CalamineWorkbook.from_path(str(PIIE_XLSX)).get_sheet_by_name("Figure 2").to_python()
    out = {}
    for row in rows[1:]:
        if not row[0]:
            break
        out[row[0]] = (row[1], row[2], row[3])
    return out


def china_tariff_rates() -> tuple[list, list[list]]:
    """PIIE's `China Tariff Rates` sheet as published: (header, rows with an hs10 code)."""
    sheet = CalamineWorkbook.from_path(str(PIIE_XLSX)).get_sheet_by_name("China Tariff Rates")
    header, *rows = sheet.to_python()
    return header, [row for row in rows if str(row[0]).strip()]


def test_run_publishes_every_mart_and_a_duckdb_view_each(published, marts_con):
    settings, summary = published
    assert (settings.current_dir / "manifest.json").exists()
    assert runs.current_run_id(settings) == summary.run_id
    for name in MARTS:
        files = list((settings.current_dir / "marts" / name).rglob("*.parquet"))
        partitions = MARTS[name].partition_by
        assert len(files) == 1 or (partitions and all("=" in f.parent.name for f in files)), name
        n = marts_con.execute(f"select count(*) from {name}").fetchall()[0][0]
        assert n == summary_marts(settings)[name]


def test_june_2019_coverage_reproduces_piie_headline(marts_con):
    covered, total = marts_con.execute(
        "select sum(covered_value_usd), sum(total_value_usd) from fct_retaliation_coverage "
        "where as_of_date = date '2019-06-01'"
    ).fetchall()[0]
    assert round(covered / 1e9, 2) == 87.14
    assert round(total / 1e9, 2) == 154.84
    assert total == 154_839_651_000  # to the dollar of the source (thousand USD x 1000)
    assert round(covered / total, 3) == 0.563


def test_june_2019_coverage_by_sector_matches_figure_2(marts_con):
    ours = dict(
        marts_con.execute(
            "select sector, covered_value_usd / 1e9 from fct_retaliation_coverage "
            "where as_of_date = date '2019-06-01'"
        ).fetchall()
    )
    published = figure2()
    assert len(published) == 12
    for sector, (_, covered, _) in published.items():
        assert ours[sector] == pytest.approx(covered, abs=0.01), sector
    assert round(ours["Soybeans"], 2) == 13.93
    assert round(ours["Pharmaceuticals"], 2) == 0.21
    assert round(ours["Autos and parts"], 2) == 0.00


def test_total_by_sector_matches_figure_2(marts_con):
    ours = dict(
        marts_con.execute(
            "select sector, total_value_usd / 1e9 from fct_retaliation_coverage "
            "where as_of_date = date '2019-06-01'"
        ).fetchall()
    )
    for sector, (_, _, total) in figure2().items():
        assert ours[sector] == pytest.approx(total, abs=0.01), sector


def test_soybeans_are_taxed_25_points_from_6_july_2018(marts_con):
    rows = marts_con.execute(
        "select national_line_code, valid_from_date, valid_to_date, additional_rate_pct, "
        "applied_rate_pct from fct_tariff_timeline where hs8_code in ('12019010', '12019020') "
        "order by 1, 2"
    ).fetchall()
    assert [r[1:] for r in rows if r[0] == "1201901000"][:2] == [
        (_d("2018-01-01"), _d("2018-07-06"), 0.0, 3.0),
        (_d("2018-07-06"), _d("2019-09-01"), 25.0, 28.0),
    ]


def test_retaliation_on_autos_is_suspended_from_2019(marts_con):
    rows = marts_con.execute(
        """
        select
            after.national_line_code,
            before.additional_rate_pct,
            after.additional_rate_pct
        from fct_tariff_timeline after
        inner join fct_tariff_timeline before
            on after.national_line_code = before.national_line_code
            and before.valid_to_date = after.valid_from_date
        where after.valid_from_date = date '2019-01-01'
            and after.action_ids like '%CHN-20190101-suspension%'
        """
    ).fetchall()
    header, sheet_rows = china_tariff_rates()
    (column,) = [i for i, name in enumerate(header) if "Suspension" in str(name)]
    suspended = {str(row[0]) for row in sheet_rows if row[column] not in (None, "", 0, 0.0)}
    assert len(suspended) == 343  # PIIE's suspension column touches 343 lines
    assert {code for code, _, _ in rows} == suspended
    assert all(code.startswith("87") for code, _, _ in rows)  # vehicles and parts
    assert all(before > 0 for _, before, _ in rows)
    assert all(after == 0 for _, _, after in rows)
    covered_autos = marts_con.execute(
        "select covered_value_usd from fct_retaliation_coverage "
        "where sector = 'Autos and parts' and as_of_date = date '2019-01-01'"
    ).fetchall()[0][0]
    assert covered_autos == 0


def test_timeline_windows_never_overlap_and_tile_each_line(marts_con):
    overlaps = marts_con.execute(
        """
        select count(*) from fct_tariff_timeline a
        inner join fct_tariff_timeline b
            on a.schedule_id = b.schedule_id
            and a.national_line_code = b.national_line_code
            and a.valid_from_date < b.valid_from_date
            and (a.valid_to_date is null or a.valid_to_date > b.valid_from_date)
        """
    ).fetchall()[0][0]
    assert overlaps == 0
    open_ended = dict(
        marts_con.execute(
            "select schedule_id, count(*) from fct_tariff_timeline "
            "where valid_to_date is null group by schedule_id"
        ).fetchall()
    )
    # one open window per line: every PIIE HS10 line and every China line of the 2025 matrix
    _, sheet_rows = china_tariff_rates()
    piie_lines = {str(row[0]) for row in sheet_rows}
    assert len(piie_lines) == len(sheet_rows) == 11_790
    assert open_ended == {"piie_2019_06": len(piie_lines), "ita_matrix_2025": len(ita_matrix())}


def test_average_tariff_for_every_measure_date(marts_con):
    rows = marts_con.execute(
        "select as_of_date, avg_applied_rate_pct, avg_mfn_rate_pct, avg_additional_rate_pct "
        "from fct_average_tariff where average_method = 'trade_weighted' "
        "and as_of_date <= date '2019-06-01' order by as_of_date"
    ).fetchall()
    assert [str(r[0]) for r in rows] == [
        "2018-01-01",
        "2018-04-02",
        "2018-05-01",
        "2018-07-01",
        "2018-07-06",
        "2018-08-23",
        "2018-09-24",
        "2018-11-01",
        "2019-01-01",
        "2019-06-01",
    ]
    for _, applied, mfn, additional in rows:
        assert applied == pytest.approx(mfn + additional)
    by_date = {str(r[0]): r for r in rows}
    assert by_date["2018-01-01"][3] == 0
    # retaliation raises the average with each round; the 2019 auto suspension lowers it
    assert by_date["2018-07-06"][1] > by_date["2018-07-01"][1]
    assert by_date["2018-09-24"][1] > by_date["2018-08-23"][1] > by_date["2018-07-06"][1]
    assert by_date["2019-01-01"][1] < by_date["2018-11-01"][1]
    assert by_date["2019-06-01"][1] > by_date["2019-01-01"][1]


def test_rerun_of_same_inputs_publishes_identical_marts(published, tmp_path):
    settings, _ = published
    first = tree_checksums(settings.current_dir / "marts")
    again = pipeline.run_all(type(settings)(warehouse=tmp_path / "wh2"))
    second = tree_checksums(again.published_to / "marts")
    assert first == second


def test_duckdb_file_is_usable_read_only(published):
    """tariffs.duckdb holds one view per mart of the contract, each with the contract's columns
    and the row count of the published Parquet files (counted from their footers), and opens
    read-only."""
    import pyarrow.parquet as pq

    settings, _ = published
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        views = {
            r[0]
            for r in con.execute(
                "select view_name from duckdb_views() where not internal and schema_name = 'main'"
            ).fetchall()
        }
        assert views == set(MARTS), (
            f"{settings.duckdb_path.name}: views missing {sorted(set(MARTS) - views)}, "
            f"unexpected {sorted(views - set(MARTS))}"
        )
        for name, spec in MARTS.items():
            files = sorted((settings.current_dir / "marts" / name).rglob("*.parquet"))
            parquet_rows = sum(pq.read_metadata(f).num_rows for f in files)
            view_rows = con.execute(f"select count(*) from main.{name}").fetchall()[0][0]
            assert files and view_rows == parquet_rows > 0, (
                f"view {name}: {view_rows} rows, its Parquet files hold {parquet_rows}"
            )
            columns = [r[0] for r in con.execute(f"describe main.{name}").fetchall()]
            assert columns == [c.name for c in spec.columns], f"view {name}: columns {columns}"
        with pytest.raises(duckdb.Error):
            con.execute("create table x as select 1")
    finally:
        con.close()


def _d(text: str):
    from datetime import date

    return date.fromisoformat(text)


def summary_marts(settings) -> dict[str, int]:
    return runs.read_manifest(settings, runs.current_run_id(settings))["marts"]
