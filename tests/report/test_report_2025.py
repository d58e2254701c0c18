"""PIIE's dated event list (landing CSV -> raw `piie_tariff_events`) and the report's charts to
2025: the tariff path runs to PIIE's last event (2025-11-14) with PIIE's line beside ours, the
coverage chart to the last action date (2025-11-10). The chart data is tested, not the pixels;
PIIE's values are read from the CSV with the csv module, ours from the published marts."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from etl import sql_runner
from etl.errors import SourceFormatError
from etl.ingest import piie_events
from etl.ingest.common import SourceFile
from etl.ingest.registry import SOURCES
from etl.orchestration.assets import RAW_DATASETS
from etl.quality import validate_frame
from etl.report import fmt_rate, load_piie_events, load_report_data
from expectations import raw as raw_suites
from expectations import staging as staging_suites
from tests.helpers import LANDING, PROJECT_ROOT

NOW = datetime(2026, 1, 1, tzinfo=UTC)
EVENTS_CSV = LANDING / "piie_trade_war_chart" / "tariffs_bown_timeline.csv"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "piie_events"


def csv_events() -> list[dict[str, str]]:
    """The landing file as the csv module reads it (independent of the adapter)."""
    with open(EVENTS_CSV, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def piie_as_of(events: list[dict[str, str]], when: date) -> float:
    """PIIE's cn_tariff_on_us in force on a date: its last event on or before it."""
    return float(
        [e for e in events if date.fromisoformat(e["date"]) <= when][-1]["cn_tariff_on_us"]
    )


def load(path: Path, landing: Path):
    (dataset,) = piie_events.load_events(SourceFile.open(path, landing), NOW)
    dataset.check_reconciled()
    return dataset


# ---------------------------------------------------------------- the adapter


@pytest.fixture(scope="module")
def real():
    return load(EVENTS_CSV, LANDING)


def test_all_77_events_load_with_the_files_values(real):
    expected = csv_events()
    assert real.rows_read == 77 == len(expected) == len(real.rows)
    assert real.quarantine == []
    assert [r["event_date"] for r in real.rows] == [date.fromisoformat(e["date"]) for e in expected]
    for row, event in zip(real.rows, expected, strict=True):
        assert row["tariff_action"] == event["tariff_action"]  # kept as in the file
        for column in piie_events.RATE_COLUMNS:
            assert row[f"{column}_pct"] == float(event[column])
    # lineage: file, checksum and the CSV line number (header = line 1)
    assert {r["_source_file"] for r in real.rows} == {
        "piie_trade_war_chart/tariffs_bown_timeline.csv"
    }
    assert [r["_source_row"] for r in real.rows] == list(range(2, 79))


def test_the_events_run_from_2018_to_2025_11_14_ascending_and_unique(real):
    dates = [r["event_date"] for r in real.rows]
    assert dates == sorted(dates)
    assert len(set(dates)) == len(dates)
    assert (dates[0], dates[-1]) == (date(2018, 1, 1), date(2025, 11, 14))
    # SOURCES.md 8.2: the dated rounds after June 2019 are in the list
    for when in ("2019-09-01", "2020-02-14", "2025-02-10", "2025-03-10", "2025-04-10"):
        assert date.fromisoformat(when) in dates
    for when in ("2025-04-12", "2025-05-14", "2025-11-10"):
        assert date.fromisoformat(when) in dates


def test_bad_rows_are_quarantined_with_file_row_and_field():
    dataset = load(FIXTURES / "quarantine_cases.csv", FIXTURES)
    assert dataset.rows_read == 12 == len(dataset.rows) + len(dataset.quarantine)
    assert [(r["_source_row"], r["event_date"]) for r in dataset.rows] == [
        (2, date(2018, 1, 1)),
        (3, date(2018, 4, 2)),
        (13, date(2018, 7, 1)),
    ]
    # the description keeps its trailing space, as in the file
    assert dataset.rows[2]["tariff_action"].endswith("ITA products ")
    reasons = [(q["source_row"], q["field"], q["reason_code"]) for q in dataset.quarantine]
    assert reasons == [
        (4, "date", "bad_date"),
        (5, "cn_tariff_on_us", "bad_rate"),
        (6, "us_tariff_on_cn", "missing_rate"),
        (7, "cn_tariff_on_us", "bad_rate"),
        (8, "date", "duplicate_key"),
        (9, "date", "not_ascending"),
        (10, "row", "field_count"),
        (11, "row", "blank_row"),
        (12, "tariff_action", "missing_description"),
    ]
    assert {q["source_file"] for q in dataset.quarantine} == {"quarantine_cases.csv"}
    assert "already on line 3" in dataset.quarantine[4]["reason"]
    assert "before 2018-04-02 on line 3" in dataset.quarantine[5]["reason"]
    # only the blank row is tolerated: every other reject stops the ingest
    assert len(dataset.blocking_quarantine) == 8


def test_a_renamed_column_is_a_one_line_error():
    with pytest.raises(SourceFormatError, match=r"renamed_column\.csv, row 1, column"):
        load(FIXTURES / "renamed_column.csv", FIXTURES)


def test_the_file_is_a_registered_source_of_a_listed_raw_dataset():
    (source,) = [s for s in SOURCES if s.relative_path.startswith("piie_trade_war_chart/")]
    assert source.loader is piie_events.load_events
    assert piie_events.DATASET in RAW_DATASETS


def critical_failures(frame, suite):
    results = validate_frame(frame, suite)
    return {(r.check, r.column) for r in results if not r.success and r.severity == "critical"}


def test_raw_suite_passes_the_real_rows_and_fails_broken_ones(real):
    frame = real.to_arrow().to_pandas()
    suite = raw_suites.piie_tariff_events()
    assert critical_failures(frame, suite) == set()
    broken = frame.copy()
    broken.loc[5, "event_date"] = broken.loc[4, "event_date"]
    assert critical_failures(broken, suite) == {("expect_column_values_to_be_unique", "event_date")}
    broken = frame.copy()
    broken.loc[5, "cn_tariff_on_us_pct"] = 1200.0
    assert critical_failures(broken, suite) == {
        ("expect_column_values_to_be_between", "cn_tariff_on_us_pct")
    }


# ---------------------------------------------------------------- the run and the report


@pytest.fixture(scope="module")
def data(published):
    settings, _ = published
    return load_report_data(settings)


def test_staging_model_numbers_the_events_and_passes_its_suite(published):
    settings, _ = published
    con = duckdb.connect()
    try:
        sql_runner.set_variables(con, {"raw_root": str(settings.current_dir / "raw")})
        con.execute("create schema staging")
        model = sql_runner.discover_models(PROJECT_ROOT / "sql")["staging.stg_piie__tariff_events"]
        frame = con.execute(model.sql).df()
    finally:
        con.close()
    assert list(frame["event_number"]) == list(range(1, 78))
    expected = csv_events()
    halving = next(i for i, e in enumerate(expected) if e["date"] == "2020-02-14")
    step = float(expected[halving]["cn_tariff_on_us"]) - float(
        expected[halving - 1]["cn_tariff_on_us"]
    )
    assert frame.loc[halving, "cn_tariff_on_us_change_pp"] == pytest.approx(step)
    assert step < 0  # the halving lowers China's average
    assert critical_failures(frame, staging_suites.stg_piie__tariff_events()) == set()


def test_report_reads_the_events_the_run_staged(published, data, tmp_path):
    expected = csv_events()
    assert [e["event_date"].isoformat() for e in data["piie_events"]] == [
        e["date"] for e in expected
    ]
    assert [e["cn_tariff_on_us_pct"] for e in data["piie_events"]] == [
        float(e["cn_tariff_on_us"]) for e in expected
    ]
    # a run without the dataset draws no PIIE line (it is a comparison, not the answer)
    con = duckdb.connect()
    try:
        assert load_piie_events(con, tmp_path) == []
    finally:
        con.close()


def test_tariff_path_runs_to_2025_11_14_with_piies_line_beside_ours(data, marts_con):
    rows = {r["as_of_date"]: r for r in data["average"]}
    ours = dict(
        marts_con.execute(
            "select as_of_date, avg_applied_rate_pct from fct_average_tariff "
            "where average_method = 'trade_weighted'"
        ).fetchall()
    )
    events = csv_events()
    # every date of our mart is on the chart, with the mart's value
    assert set(ours) <= set(rows)
    for when, value in ours.items():
        assert rows[when]["applied"] == value and rows[when]["ours_is_row"]
    assert max(ours) == date(2025, 11, 10)
    # the chart runs to PIIE's last event; ours there is the state of the last action date
    assert data["average"][-1]["as_of_date"] == date(2025, 11, 14)
    last = rows[date(2025, 11, 14)]
    assert last["ours_carried"] and last["ours_as_of"] == date(2025, 11, 10)
    assert last["applied"] == ours[date(2025, 11, 10)]
    # PIIE's line on every chart date is its value in force, read here with the csv module
    for when, row in rows.items():
        assert row["piie_event_pct"] == piie_as_of(events, when), when
    # every date on which PIIE's line moves is a date of the chart
    moves = [
        date.fromisoformat(b["date"])
        for a, b in zip(events, events[1:], strict=False)
        if a["cn_tariff_on_us"] != b["cn_tariff_on_us"]
    ]
    assert set(moves) <= set(rows)
    # the 2025 rounds move both lines the same way: up in April, down on 14 May
    for key in ("applied", "piie_event_pct"):
        path = [rows[date(2025, m, d)][key] for m, d in ((3, 10), (4, 10), (4, 12), (5, 14))]
        assert path[0] < path[1] < path[2] and path[3] < path[1], key


def test_piies_event_line_and_figure1_agree_where_both_exist(data):
    both = [r for r in data["average"] if r["piie"] is not None]
    assert len(both) == 10  # Figure 1: the ten dates of 2018-01-01 .. 2019-06-01
    for row in both:
        # two vintages of the same PIIE series: within 0.02 points
        assert row["piie_event_pct"] == pytest.approx(row["piie"], abs=0.02), row["as_of_date"]


def test_coverage_chart_runs_to_the_last_action_and_flags_incomplete_actions(data, marts_con):
    expected = marts_con.execute(
        "select as_of_date, sum(covered_value_usd), sum(total_value_usd), "
        "sum(covered_by_blanket_only_value_usd), bool_or(has_incomplete_action) "
        "from fct_retaliation_coverage group by 1 order by 1"
    ).fetchall()
    got = [
        (r["as_of_date"], r["covered"], r["total"], r["blanket_only"], r["incomplete_action"])
        for r in data["coverage"]
    ]
    assert got == [tuple(row) for row in expected]
    assert data["coverage"][-1]["as_of_date"] == date(2025, 11, 10)
    by_date = {r["as_of_date"]: r for r in data["coverage"]}
    # from 2025-04-10 the all-goods duty covers the whole base, partly by itself
    assert by_date[date(2025, 4, 10)]["covered"] == pytest.approx(
        by_date[date(2025, 4, 10)]["total"]
    )
    assert by_date[date(2025, 4, 10)]["blanket_only"] > 0
    assert by_date[date(2025, 3, 10)]["blanket_only"] == 0
    # the flagged dates name the incomplete actions behind the flag
    for row in data["coverage"]:
        assert bool(row["incomplete_action_ids"]) == row["incomplete_action"], row["as_of_date"]
    assert not by_date[date(2019, 6, 1)]["incomplete_action"]
    assert "CHN-20250210-retaliation" in by_date[date(2025, 11, 10)]["incomplete_action_ids"]


def test_the_html_shows_both_lines_to_2025_11_14(report, data):
    html = report["coverage_report"].read_text(encoding="utf-8")
    last = data["average"][-1]
    assert '<td class="date">2025-11-14' in html
    assert fmt_rate(last["piie_event_pct"]) in html
    assert "as of 2025-11-10" in html
    # the caption still explains why the two lines differ
    assert "exports to the" in html and "world in the year before the war" in html
