"""Broken copies of the real workbook: one clear error, non-zero exit, `current` untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from etl import runs
from etl.errors import SourceFormatError
from etl.ingest import piie
from etl.ingest.common import SourceFile
from etl.settings import Settings
from tests.helpers import PIIE_RELATIVE, PIIE_XLSX, PROJECT_ROOT, tree_checksums
from tests.xlsx_tools import rewrite_xlsx_members

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BROKEN = {
    "missing_sheet": {"xl/workbook.xml": [('name="Imports Value"', 'name="Imports 2017"')]},
    "renamed_column": {"xl/sharedStrings.xml": [("<t>hs10</t>", "<t>HS code</t>")]},
}


def run_cli(warehouse, landing, *args):
    env = {**os.environ, "TARIFF_ETL_WAREHOUSE": str(warehouse), "TARIFF_ETL_LANDING": str(landing)}
    return subprocess.run(
        [sys.executable, "-m", "etl.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def published_warehouse(published_copy):
    return published_copy("bad_input").warehouse


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "missing_sheet",
            ["bown-jung-zhang-2019-06-12.xlsx", "sheet 'Imports Value'", "sheet is missing"],
        ),
        (
            "renamed_column",
            [
                "bown-jung-zhang-2019-06-12.xlsx",
                "sheet 'China Tariff Rates'",
                "column 'hs10'",
                "'HS code'",
            ],
        ),
    ],
)
def test_broken_workbook_fails_in_one_line_and_keeps_current(
    case, expected, published_warehouse, landing_copy
):
    rewrite_xlsx_members(PIIE_XLSX, landing_copy / PIIE_RELATIVE, BROKEN[case])
    settings = Settings(warehouse=published_warehouse)
    before_run = runs.current_run_id(settings)
    before = tree_checksums(settings.current_dir)
    db_before = settings.duckdb_path.read_bytes()
    runs_before = [r["run_id"] for r in runs.list_runs(settings)]
    raw_before = (settings.warehouse / "raw").resolve()

    result = run_cli(published_warehouse, landing_copy, "run")

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in expected:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert runs.current_run_id(settings) == before_run
    assert tree_checksums(settings.current_dir) == before
    assert settings.duckdb_path.read_bytes() == db_before
    # the source is rejected at ingest, before any run: the raw zone keeps its last version
    assert [r["run_id"] for r in runs.list_runs(settings)] == runs_before
    assert (settings.warehouse / "raw").resolve() == raw_before


def test_debug_flag_shows_the_traceback(published_warehouse, landing_copy):
    rewrite_xlsx_members(PIIE_XLSX, landing_copy / PIIE_RELATIVE, BROKEN["missing_sheet"])
    result = run_cli(published_warehouse, landing_copy, "--debug", "run")
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "SourceFormatError" in result.stderr


@pytest.fixture(scope="module")
def messy_workbook(tmp_path_factory):
    """Codes stored as numbers (leading zeros lost), a '25.0%' string and a duplicated line."""
    import openpyxl

    book = openpyxl.load_workbook(PIIE_XLSX)
    imports = book["Imports Value"]
    for row in range(2, 40):  # chapter 01-02 codes: 01012100 -> 1012100
        imports.cell(row, 1).value = int(imports.cell(row, 1).value)
    rates = book["China Tariff Rates"]
    assert rates.cell(4, 1).value == "0101290010"
    rates.cell(4, 13).value = "15.0%"
    rates.cell(6, 1).value = rates.cell(5, 1).value  # duplicate line on row 6
    path = tmp_path_factory.mktemp("messy") / "messy.xlsx"
    book.save(path)
    return path


def test_codes_that_lost_leading_zeros_are_restored(messy_workbook):
    src = SourceFile.open(messy_workbook, messy_workbook.parent)
    flows = piie.load_trade_flows(src, NOW)
    assert flows.quarantine == []
    assert flows.rows[0]["hs_code"] == "01012100"
    assert sum(r["trade_value_usd"] for r in flows.rows) == 154_839_651_000


def test_duplicate_line_is_quarantined_and_percent_string_parsed(messy_workbook):
    src = SourceFile.open(messy_workbook, messy_workbook.parent)
    _, lines, rates = piie.load_tariff_schedule(src, NOW)
    lines.check_reconciled()
    assert lines.rows_read == 11_790
    assert len(lines.rows) == 11_789
    (q,) = lines.quarantine
    assert (q["source_row"], q["field"], q["reason_code"]) == (6, "hs10", "duplicate_key")
    assert "already on row 5" in q["reason"]
    june = {
        r["national_line_code"]: r["rate_pp"]
        for r in rates.rows
        if r["measure_id"] == "CHN-20190601-retaliation_change"
    }
    assert june["0101290010"] == 15.0


def test_a_quarantined_tariff_line_fails_the_run(messy_workbook, landing_copy, tmp_path):
    (landing_copy / PIIE_RELATIVE).write_bytes(messy_workbook.read_bytes())
    result = run_cli(tmp_path / "wh", landing_copy, "run")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "sheet 'China Tariff Rates', row 6, column 'hs10'" in line
    assert "already on row 5" in line
    settings = Settings(warehouse=tmp_path / "wh")
    # the batch is rejected at ingest: no raw version, no run, nothing published
    assert runs.current_run_id(settings) is None
    assert not (settings.warehouse / "raw").exists()
    assert not settings.runs_dir.exists() or not any(settings.runs_dir.iterdir())
    import pyarrow.parquet as pq

    (rejected,) = (settings.warehouse / "rejected").glob("piie_bown_jung_zhang-*")
    assert str(rejected) in line
    rows = pq.read_table(rejected / "tariff_lines.parquet").to_pylist()
    assert [(r["source_row"], r["field"], r["reason_code"]) for r in rows] == [
        (6, "hs10", "duplicate_key")
    ]


def test_missing_and_empty_files_are_clear_errors(tmp_path):
    with pytest.raises(SourceFormatError, match="file not found"):
        SourceFile.open(tmp_path / "nope.xlsx", tmp_path)
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="file is empty"):
        SourceFile.open(empty, tmp_path)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(PIIE_XLSX.read_bytes()[:5000])
    src = SourceFile.open(truncated, tmp_path)
    with pytest.raises(SourceFormatError, match="cannot be read as xlsx"):
        piie.load_trade_flows(src, NOW)
