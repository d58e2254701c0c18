"""PIIE's December 2019 HS6 tariff list (tradewar-tracker CSV) -> raw `action_line_lists`, and
the raw suite of that dataset on the real rows of all three lists and on broken copies."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime

import pytest

from etl.ingest import tradewar_tracker
from etl.ingest.common import SourceFile
from etl.ingest.registry import SOURCES
from etl.quality import validate_frame
from expectations import raw as raw_suites
from tests.helpers import LANDING

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CSV = "tradewar_tracker/new_tariff_list_2020.csv"
# SOURCES.md 1.3: the 12 dates of the file
DATES = [
    date(2018, 1, 1),
    date(2018, 4, 2),
    date(2018, 5, 1),
    date(2018, 7, 1),
    date(2018, 7, 6),
    date(2018, 8, 23),
    date(2018, 9, 24),
    date(2018, 11, 1),
    date(2019, 1, 2),
    date(2019, 6, 1),
    date(2019, 9, 1),
    date(2019, 12, 26),
]


def load(path, landing):
    src = SourceFile.open(path, landing)
    (dataset,) = tradewar_tracker.load_tariff_list(src, NOW)
    dataset.check_reconciled()
    return dataset


@pytest.fixture(scope="module")
def real():
    return load(LANDING / CSV, LANDING)


@pytest.fixture(scope="module")
def levels(real):
    by_code = defaultdict(dict)
    for r in real.rows:
        by_code[r["code"]][r["as_of_date"]] = r["rate_pct"]
    return by_code


def test_every_row_is_loaded_5387_hs6_by_12_dates(real, levels):
    assert real.rows_read == 64_644 == len(real.rows) + len(real.quarantine)
    assert real.quarantine == []
    assert len(levels) == 5_387
    assert all(sorted(dates) == DATES for dates in levels.values())
    assert [r["item_no"] for r in real.rows] == list(range(1, 64_645))
    assert all(r["_source_row"] == r["item_no"] + 1 for r in real.rows)  # line 1 is the header
    assert {
        (r["list_id"], r["code_level"], r["nomenclature"], r["description"]) for r in real.rows
    } == {("tradewar_tracker_hs6_2019", 6, "HS2017", None)}


def test_codes_are_the_files_text_with_leading_zeros(real):
    with open(LANDING / CSV, encoding="utf-8", newline="") as fh:
        text_codes = [row["hs6"] for row in csv.DictReader(fh)]
    assert [r["code"] for r in real.rows] == text_codes  # nothing was padded or changed
    assert real.notes["codes_with_leading_zero_restored"] == 0
    assert real.rows[0]["code"] == "010121"
    assert sum(r["code"].startswith("0") for r in real.rows) > 6_000


def test_every_code_is_an_hs2017_subheading(real):
    with open(
        LANDING / "harmonized_system/hs2017/harmonized-system.csv", encoding="utf-8-sig"
    ) as fh:
        hs2017 = {r["hscode"] for r in csv.DictReader(fh) if r["level"] == "6"}
    with open(LANDING / "harmonized_system/hs2022/harmonized-system.csv", encoding="utf-8") as fh:
        hs2022 = {r["hscode"] for r in csv.DictReader(fh) if r["level"] == "6"}
    codes = {r["code"] for r in real.rows}
    assert codes <= hs2017
    assert codes - hs2022  # some of them no longer exist in HS2022: the list is not HS2022


def test_blank_tariffs_stay_null_never_zero(real):
    blank = {(r["code"], r["as_of_date"]) for r in real.rows if r["rate_pct"] is None}
    codes = {"370252", "370253", "370254", "370297"}
    days = {date(2018, 1, 1), date(2018, 5, 1), date(2018, 7, 1), date(2018, 11, 1)}
    assert blank == {(c, d) for c in codes for d in days}


def test_the_1_september_2019_round_is_in_the_levels(levels):
    soybeans = levels["120190"]
    # MFN 3% + 25 from 6 July 2018; +5 more in the 1 Sep 2019 round
    assert soybeans[date(2018, 7, 6)] - soybeans[date(2018, 1, 1)] == 25.0
    assert soybeans[date(2019, 9, 1)] - soybeans[date(2019, 6, 1)] == 5.0
    # SOURCES.md 1.3: 1,149 HS6 changed on 1 Sep 2019, mean +7.55 pp; 3 HS6 -30 on 26 Dec 2019
    steps = [
        v[date(2019, 9, 1)] - v[date(2019, 6, 1)]
        for v in levels.values()
        if v[date(2019, 9, 1)] != v[date(2019, 6, 1)]
    ]
    assert len(steps) == 1_149 and sum(steps) / len(steps) == pytest.approx(7.55, abs=0.005)
    december = [
        v[date(2019, 12, 26)] - v[date(2019, 9, 1)]
        for v in levels.values()
        if v[date(2019, 12, 26)] != v[date(2019, 9, 1)]
    ]
    assert december == [-30.0, -30.0, -30.0]


def test_messy_rows_are_restored_or_quarantined_and_reconciled(tmp_path):
    lines = [
        "time_of_tariff,hs6,tariff",
        "2018-01-01,10121,0.0",  # leading zero lost: restored
        "2018-01-01,120190,3.0",
        "2018-01-01,120190,3.0",  # same hs6 and date again
        "2018-13-01,120191,3.0",  # not a date
        "2018-01-01,1201,3.0",  # 4 digits
        "2018-01-01,120192,",  # blank tariff: kept as NULL
        "2018-01-01,120193,-1",  # negative level
        "2018-01-01,120194",  # a field missing
        ",,",
    ]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = load(path, tmp_path)
    assert dataset.rows_read == 9 == len(dataset.rows) + len(dataset.quarantine)
    assert [(r["item_no"], r["code"], r["rate_pct"]) for r in dataset.rows] == [
        (1, "010121", 0.0),
        (2, "120190", 3.0),
        (6, "120192", None),
    ]
    assert dataset.notes["codes_with_leading_zero_restored"] == 1
    reasons = [(q["source_row"], q["field"], q["reason_code"]) for q in dataset.quarantine]
    assert reasons == [
        (4, "hs6", "duplicate_key"),
        (5, "time_of_tariff", "bad_date"),
        (6, "hs6", "bad_code_length"),
        (8, "tariff", "bad_rate"),
        (9, "row", "field_count"),
        (10, "row", "blank_row"),
    ]
    assert "already on line 3" in dataset.quarantine[0]["reason"]
    # only the blank row is tolerated: the others stop the run at ingest
    assert len(dataset.blocking_quarantine) == 5


def test_a_renamed_column_is_a_clear_error(tmp_path):
    from etl.errors import SourceFormatError

    path = tmp_path / "list.csv"
    path.write_text("date,hs6,tariff\n2018-01-01,010121,0.0\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"list\.csv, row 1, column 'time_of_tariff'"):
        load(path, tmp_path)


@pytest.fixture(scope="module")
def registered_lists():
    """What the registered sources of `action_line_lists` produce on the bundled files."""
    parts = []
    for source in SOURCES:
        if source.folder != "landing":
            continue
        if not source.relative_path.startswith(("china_retaliation_2025/", "tradewar_tracker/")):
            continue
        src = SourceFile.open(LANDING / source.relative_path, LANDING)
        parts.extend(ds for ds in source.loader(src, NOW) if ds.name == "action_line_lists")
    return parts


def test_the_three_lists_are_registered_sources(registered_lists):
    counts = defaultdict(int)
    for part in registered_lists:
        part.check_reconciled()
        for r in part.rows:
            counts[(r["list_id"], r["rate_pct"] if r["code_level"] == 8 else None)] += 1
    assert dict(counts) == {
        ("cn_tcc_2025_02_annex1", 15.0): 29,
        ("cn_tcc_2025_02_annex2", 10.0): 711,
        ("tradewar_tracker_hs6_2019", None): 64_644,
    }


def critical_failures(frame):
    results = validate_frame(frame, raw_suites.action_line_lists())
    return {(r.check, r.column) for r in results if not r.success and r.severity == "critical"}


def test_raw_suite_passes_the_real_rows_and_fails_broken_ones(registered_lists):
    import pyarrow as pa

    table = pa.concat_tables([p.to_arrow() for p in registered_lists])
    frame = table.to_pandas()
    assert critical_failures(frame) == set()

    annex = frame["list_id"] == "cn_tcc_2025_02_annex2"
    broken = frame.copy()
    broken.loc[annex & (broken["item_no"] == 4), "code"] = "1201901"  # 7 digits at level 8
    assert critical_failures(broken) == {("expect_column_values_to_match_regex", "code")}

    broken = frame.copy()
    broken.loc[annex & (broken["item_no"] == 4), "rate_pct"] = None  # an annex line without rate
    assert critical_failures(broken) == {("expect_column_values_to_not_be_null", "rate_pct")}

    broken = frame.copy()
    broken.loc[annex & (broken["item_no"] == 4), "item_no"] = 3  # item numbers repeat
    assert critical_failures(broken) == {
        ("expect_compound_columns_to_be_unique", "list_id,item_no")
    }
