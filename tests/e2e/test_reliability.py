"""Write-audit-publish under failure: broken stages, killed processes, concurrent writers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from etl import pipeline, publishing, runs, sql_runner
from etl.errors import LockError, QualityGateError
from etl.lock import warehouse_lock
from etl.settings import Settings
from tests.helpers import PROJECT_ROOT, PUBLISH_STEP, gated_tiny_run, tree_checksums

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def warehouse(published_copy):
    """A warehouse with one published run; tests check it survives what they do."""
    return published_copy("reliability")


def snapshot(settings: Settings) -> tuple[str | None, dict[str, str]]:
    return runs.current_run_id(settings), tree_checksums(settings.current_dir)


def views_readable(settings: Settings) -> int:
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute("select count(*) from fct_retaliation_coverage").fetchall()[0][0]
    finally:
        con.close()


def tamper_raw(settings, run_id, dataset, change):
    # the run's snapshot is hard-linked to the raw zone: replace the file, never edit it
    path = settings.run_dir(run_id) / "raw" / dataset / "piie_bown_jung_zhang.parquet"
    frame = pq.read_table(path).to_pandas()
    frame = change(frame)
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False, schema=pq.read_schema(path))
    path.unlink()
    pq.write_table(table, path)


def lost_zero(frame):
    frame.loc[0, "national_line_code"] = frame.loc[0, "national_line_code"].lstrip("0")
    return frame


def huge_rate(frame):
    frame.loc[3, "rate_pp"] = 1e6
    return frame


def duplicate_line(frame):
    import pandas as pd

    return pd.concat([frame, frame.head(1)], ignore_index=True)


def fan_out(con):
    con.execute(
        "insert into intermediate.int_trade_flows_joined_to_tariff_lines "
        "select * from intermediate.int_trade_flows_joined_to_tariff_lines limit 3"
    )


def overlap(con):
    con.execute(
        "update marts.fct_tariff_timeline set valid_to_date = date '2030-01-01' "
        "where national_line_code = '1201901000' and valid_from_date = '2018-01-01'"
    )


CASES = {
    "raw_lost_leading_zero": (
        "raw",
        ("tariff_lines", lost_zero),
        None,
        "raw.tariff_lines: expect_column_values_to_match_regex on column 'national_line_code'",
    ),
    "raw_rate_1e6": (
        "raw",
        ("tariff_line_rates", huge_rate),
        None,
        "raw.tariff_line_rates: expect_column_values_to_be_between on column 'rate_pp'",
    ),
    "staging_duplicate_key": (
        "staging",
        ("tariff_lines", duplicate_line),
        None,
        "staging.stg_tariffs__schedule_lines: expect_compound_columns_to_be_unique",
    ),
    "intermediate_fan_out": (
        "intermediate",
        None,
        fan_out,
        "intermediate.int_trade_flows_joined_to_tariff_lines: expect_compound_columns_to_be_unique",
    ),
    "marts_overlapping_window": (
        "marts",
        None,
        overlap,
        "sql_tests.assert_timeline_windows_do_not_overlap",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_stage_stops_the_run_and_keeps_current(warehouse, case):
    failing_layer, raw_change, db_change, expected = CASES[case]
    before = snapshot(warehouse)
    pipeline.ingest_raw(warehouse)
    run_id = pipeline.start_run(warehouse)
    if raw_change:
        tamper_raw(warehouse, run_id, *raw_change)
    with pytest.raises(QualityGateError) as err:
        for layer in runs.GATES:
            if layer != "raw":
                pipeline.build_layer(warehouse, run_id, layer)
            if db_change and layer == failing_layer:
                con = duckdb.connect(str(warehouse.run_dir(run_id) / "build.duckdb"))
                db_change(con)
                con.close()
            pipeline.check_layer(warehouse, run_id, layer)
    message = str(err.value)
    assert message.startswith(f"quality gate '{failing_layer}' failed: {expected}"), message
    assert "\n" not in message
    report = (warehouse.run_dir(run_id) / "quality" / "report.html").read_text()
    assert "FAIL" in report and expected.split(":")[0] in report
    assert "http://" not in report and "https://" not in report  # self-contained
    with pytest.raises(QualityGateError, match="cannot be published"):
        pipeline.publish(warehouse, run_id)
    assert snapshot(warehouse) == before
    assert views_readable(warehouse) > 0


def test_trade_total_is_the_same_in_raw_staging_and_marts(warehouse):
    con = duckdb.connect()
    raw = con.execute(
        "select sum(trade_value_usd) from read_parquet(?)",
        [str(warehouse.current_dir / "raw/trade_flows/*.parquet")],
    ).fetchall()[0][0]
    marts = con.execute(
        "select sum(total_value_usd) from read_parquet(?) where as_of_date = '2019-06-01'",
        [str(warehouse.current_dir / "marts/fct_retaliation_coverage/*.parquet")],
    ).fetchall()[0][0]
    assert raw == marts == 154_839_651_000
    manifest = runs.read_manifest(warehouse, runs.current_run_id(warehouse))
    for name, counts in manifest["datasets"].items():
        assert counts["rows_read"] == counts["rows_loaded"] + counts["rows_quarantined"], name
    staging_gate = manifest["checks"]["staging"]
    assert staging_gate["failed_critical"] == 0  # assert_raw_trade_value_reconciles_to_staging


# The stages of `tariff-etl run` before publishing, each killed in a whole run; the publish
# step's own kill points are checked below on a small run (the same code, seconds not minutes).
KILL_POINTS = ["ingest", "build_intermediate"]
PUBLISH_KILL_POINTS = ["publish_during_export", "publish_before_switch", "publish_after_switch"]


def kill_at(settings: Settings, point: str, *argv: str) -> subprocess.CompletedProcess:
    """`python <argv>` (default: `tariff-etl run --reingest`), killed at fault point `point`."""
    return subprocess.run(
        [sys.executable, *(argv or ("-m", "etl.cli", "run", "--reingest"))],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "TARIFF_ETL_WAREHOUSE": str(settings.warehouse),
            "TARIFF_ETL_FAULT_AT": point,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_killed_runs_leave_current_readable_and_the_next_run_publishes(warehouse):
    for point in KILL_POINTS:
        before = snapshot(warehouse)
        result = kill_at(warehouse, point)
        assert result.returncode == -signal.SIGKILL, (point, result.stderr)
        assert views_readable(warehouse) > 0, point
        assert snapshot(warehouse) == before, point
    before_runs = {p.name for p in warehouse.runs_dir.iterdir()}
    # the killed runs left folders: with keep_runs 2 the next publish has something to prune
    pruning = replace(warehouse, keep_runs=2)
    assert len(before_runs) + 1 > pruning.keep_runs, sorted(before_runs)
    summary = pipeline.run_all(pruning)
    assert runs.current_run_id(warehouse) == summary.run_id
    assert views_readable(warehouse) > 0
    # publishing pruned the run folders to the newest keep_runs (the new run among them)
    expected = set(sorted(before_runs | {summary.run_id})[-pruning.keep_runs :])
    left = {p.name for p in warehouse.runs_dir.iterdir()}
    assert left == expected, (
        f"after publish with keep_runs={pruning.keep_runs}: expected {sorted(expected)}, "
        f"found {sorted(left)}"
    )


@pytest.mark.parametrize("point", PUBLISH_KILL_POINTS)
def test_a_publish_killed_at_each_point_leaves_current_readable(published_copy, point):
    """The publish step of a run (`pipeline.publish`: export, report, switch, views) killed at
    each of its fault points, on a run whose gates passed over a small build database."""
    settings = published_copy(f"killed_{point}")
    before = snapshot(settings)
    run_id = gated_tiny_run(settings)
    result = kill_at(settings, point, "-c", PUBLISH_STEP, run_id)
    assert result.returncode == -signal.SIGKILL, (point, result.stderr)
    assert views_readable(settings) > 0, point
    status = runs.read_manifest(settings, run_id)["status"]
    if point == "publish_after_switch":
        # killed after the atomic switch: current is the new, fully validated run
        assert runs.current_run_id(settings) == run_id
        assert status == "published"
        assert views_readable(settings) == 2  # the small run's rows, through the same views
    else:
        assert snapshot(settings) == before, point
        # exported (or half-exported), never current: never "published", so never a rollback
        # target
        assert status == ("validated" if point == "publish_before_switch" else "built")


def test_a_second_writer_fails_at_once_and_a_dead_holder_does_not_block(warehouse):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from etl.lock import warehouse_lock\n"
            "with warehouse_lock(Path(sys.argv[1]), 'test holder'):\n"
            "    print('locked', flush=True); time.sleep(120)",
            str(warehouse.lock_path),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(LockError) as err:
            pipeline.run_all(warehouse)
        assert time.monotonic() - started < 5
        assert f'"pid": {holder.pid}' in str(err.value)
        assert "test holder" in str(err.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the lock file is still there, with the dead holder's details: it must not block
    assert warehouse.lock_path.exists() and str(holder.pid) in warehouse.lock_path.read_text()
    with warehouse_lock(warehouse.lock_path, "after a dead holder"):
        pass


@pytest.fixture
def two_published_runs(published, tmp_path):
    """A copy of the published warehouse plus an older published run: the same run under an
    earlier id with the last row of fct_exemption_band cut (its manifest says so), so a reader
    can tell which run `current` and tariffs.duckdb serve."""
    source, _ = published
    settings = Settings(warehouse=tmp_path / "warehouse")
    shutil.copytree(source.warehouse, settings.warehouse, symlinks=True)
    publishing.write_duckdb_views(settings)  # its views point at this copy's `current`
    newer = runs.current_run_id(settings)
    older = "20000101T000000Z-0a0b0c"
    shutil.copytree(settings.run_dir(newer), settings.run_dir(older))
    (band,) = (settings.run_dir(older) / "marts" / "fct_exemption_band").rglob("*.parquet")
    table = pq.read_table(band)
    band.unlink()  # a new file, never an edit of one hard-linked or shared
    pq.write_table(table.slice(0, table.num_rows - 1), band)
    manifest = runs.read_manifest(settings, older)
    manifest["run_id"] = older
    manifest["marts"]["fct_exemption_band"] = table.num_rows - 1
    runs.manifest_path(settings, older).write_text(json.dumps(manifest))
    return settings, newer, older, table.num_rows


def band_rows_served(settings: Settings) -> int:
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute("select count(*) from fct_exemption_band").fetchall()[0][0]
    finally:
        con.close()


def test_rollback_switches_current_back_and_forth(two_published_runs):
    from etl import publishing

    settings, newer, older, band_rows = two_published_runs
    published = [r["run_id"] for r in runs.list_runs(settings) if r["status"] == "published"]
    assert published == [newer, older]
    assert band_rows_served(settings) == band_rows
    # no run id: the newest published run older than current
    assert publishing.rollback(settings) == older
    assert runs.current_run_id(settings) == older
    assert band_rows_served(settings) == band_rows - 1, "tariffs.duckdb still serves the newer run"
    with pytest.raises(Exception, match="no earlier published run"):
        publishing.rollback(settings)
    assert publishing.rollback(settings, newer) == newer
    assert runs.current_run_id(settings) == newer and band_rows_served(settings) == band_rows
    with pytest.raises(Exception, match="not a published run"):
        publishing.rollback(settings, "19990101T000000Z-000000")
    assert runs.current_run_id(settings) == newer


def _run_ids(count: int) -> list[str]:
    """`count` run ids one day apart, oldest first (the names runs.new_run_id makes)."""
    start = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    return [runs.new_run_id(start + timedelta(days=i)) for i in range(count)]


@pytest.mark.parametrize("current_at", ["newest", "oldest", "none"])
def test_old_runs_are_pruned_to_keep_runs(tmp_path, current_at):
    from etl.atomic import switch_symlink

    settings = Settings(warehouse=tmp_path / "warehouse", keep_runs=3)
    ids = _run_ids(7)
    for run_id in ids:
        settings.run_dir(run_id).mkdir(parents=True)
        (settings.run_dir(run_id) / "manifest.json").write_text(json.dumps({"run_id": run_id}))
    current = {"newest": ids[-1], "oldest": ids[0], "none": None}[current_at]
    if current:
        switch_symlink(settings.current_dir, settings.run_dir(current))
    expected = set(ids[-settings.keep_runs :]) | ({current} if current else set())

    removed = runs.prune_runs(settings)
    left = {p.name for p in settings.runs_dir.iterdir()}
    assert left == expected, (
        f"keep_runs={settings.keep_runs}, current={current}: expected {sorted(expected)} "
        f"to remain, found {sorted(left)}"
    )
    assert sorted(removed) == sorted(set(ids) - expected)
    assert runs.current_run_id(settings) == current
    # pruning again removes nothing
    assert runs.prune_runs(settings) == []
    assert {p.name for p in settings.runs_dir.iterdir()} == expected


def test_keep_runs_setting_decides_how_many_runs_stay(tmp_path, monkeypatch):
    from etl import settings as settings_module

    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(tmp_path / "warehouse"))
    monkeypatch.setenv("TARIFF_ETL_KEEP_RUNS", "2")
    settings_module.get_settings.cache_clear()
    try:
        settings = settings_module.get_settings()
    finally:
        settings_module.get_settings.cache_clear()
    assert settings.keep_runs == 2
    ids = _run_ids(4)
    for run_id in ids:
        settings.run_dir(run_id).mkdir(parents=True)
    assert sorted(runs.prune_runs(settings)) == ids[:2]
    assert sorted(p.name for p in settings.runs_dir.iterdir()) == ids[2:]


def test_sql_layer_names_stay_in_sync_with_gates():
    assert ("raw", *sql_runner.LAYERS) == runs.GATES
