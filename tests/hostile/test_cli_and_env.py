"""Hostile command lines and environments: bad settings, run ids that are paths, rollback to a
damaged run, signals, --debug. Each names the problem in one line and exits 2 (or 130/143)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from etl import publishing, runs
from etl.settings import Settings
from tests.helpers import PROJECT_ROOT, tree_checksums

ENV_CASES = {
    "keep_runs_not_a_number": ({"TARIFF_ETL_KEEP_RUNS": "abc"}, "TARIFF_ETL_KEEP_RUNS=abc"),
    "keep_runs_negative": ({"TARIFF_ETL_KEEP_RUNS": "-1"}, "whole number >= 1"),
    "keep_runs_zero": ({"TARIFF_ETL_KEEP_RUNS": "0"}, "whole number >= 1"),
    "keep_runs_one_with_object_store": (
        {"TARIFF_ETL_KEEP_RUNS": "1", "TARIFF_ETL_PUBLISH_URI": "file:///tmp/nowhere"},
        ">= 2 (an object store is configured)",
    ),
    "lock_wait_not_a_number": ({"TARIFF_ETL_LOCK_WAIT_S": "abc"}, "TARIFF_ETL_LOCK_WAIT_S=abc"),
    "lock_wait_negative": ({"TARIFF_ETL_LOCK_WAIT_S": "-5"}, "number of seconds >= 0"),
    "lock_wait_nan": ({"TARIFF_ETL_LOCK_WAIT_S": "nan"}, "number of seconds >= 0"),
    "control_characters_in_a_value": (
        {"TARIFF_ETL_KEEP_RUNS": "\x1b[2J5"},
        "TARIFF_ETL_KEEP_RUNS=\\x1b[2J5",
    ),
}


@pytest.mark.parametrize("case", list(ENV_CASES))
def test_bad_settings_exit_2_naming_the_variable(run_cli, tmp_path, case):
    env, says = ENV_CASES[case]
    result = run_cli(tmp_path / "wh", "runs", env=env)
    assert result.code == 2 and says in result.err, result.err
    assert "\x1b" not in result.err and "unexpected" not in result.err


def test_lock_wait_zero_means_zero_for_airflow_tasks(monkeypatch):
    from etl import settings as settings_module

    monkeypatch.setenv("TARIFF_ETL_LOCK_WAIT_S", "0")
    settings_module.get_settings.cache_clear()
    try:
        assert settings_module.settings_for_task().lock_wait_s == 0
    finally:
        settings_module.get_settings.cache_clear()


@pytest.mark.parametrize("kind", ["a_file", "under_a_file", "unwritable_proc"])
def test_a_warehouse_that_cannot_be_one_exits_2_naming_it(run_cli, tmp_path, kind):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    path = {"a_file": afile, "under_a_file": afile / "wh", "unwritable_proc": "/proc/wh"}[kind]
    result = run_cli(path, "run")
    assert result.code == 2, result.err
    assert f"warehouse {path} (TARIFF_ETL_WAREHOUSE)" in result.err
    assert "unexpected" not in result.err


@pytest.fixture(scope="module")
def two_runs(published, tmp_path_factory):
    """A copy of the published warehouse holding a second, older published run (a byte copy
    of the current one under an earlier run id): rollback targets to damage."""
    source, _ = published
    settings = Settings(warehouse=tmp_path_factory.mktemp("hostile_rollback") / "warehouse")
    shutil.copytree(source.warehouse, settings.warehouse, symlinks=True)
    publishing.write_duckdb_views(settings)
    current = runs.current_run_id(settings)
    older = "20000101T000000Z-0a0b0c"
    shutil.copytree(settings.run_dir(current), settings.run_dir(older))
    manifest = runs.read_manifest(settings, older)
    manifest["run_id"] = older
    runs.manifest_path(settings, older).write_text(json.dumps(manifest))
    return settings, current, older


RUN_ID_CASES = {
    "absolute_path": lambda s: str(s.run_dir(runs.current_run_id(s))),
    "relative_escape": lambda s: "../runs/" + runs.current_run_id(s),
    "dot_dot": lambda s: "..",
    "glob": lambda s: "2*",
    "pattern_but_missing": lambda s: "19990101T000000Z-abcdef",
    "control_characters": lambda s: "\x1b]0;owned\x07",
    "very_long": lambda s: "9" * 5000,
}


@pytest.mark.parametrize("command", ["report", "quarantine", "rollback"])
@pytest.mark.parametrize("case", list(RUN_ID_CASES))
def test_run_ids_are_names_not_paths(two_runs, run_cli, tmp_path, command, case):
    settings, current, _ = two_runs
    run_id = RUN_ID_CASES[case](settings)
    args = ["quarantine", "--run-id", run_id] if command == "quarantine" else [command, run_id]
    before = sorted(p.name for p in settings.warehouse.iterdir())
    result = run_cli(settings.warehouse, *args)
    assert result.code == 2, result.err
    assert (
        "not a run id" in result.err
        or "not found" in result.err
        or "not a published" in (result.err)
    )
    assert "\x1b" not in result.err and len(result.err) < 600
    assert runs.current_run_id(settings) == current
    assert sorted(p.name for p in settings.warehouse.iterdir()) == before


def damage_truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damage_garbage(path):
    path.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")


def damage_remove(path):
    path.unlink()


@pytest.mark.parametrize("damage", [damage_truncate, damage_garbage, damage_remove])
def test_rollback_to_a_damaged_run_changes_nothing(two_runs, run_cli, damage):
    settings, current, older = two_runs
    mart = next((settings.run_dir(older) / "marts" / "fct_exemption_band").rglob("*.parquet"))
    saved = mart.read_bytes()
    before = (tree_checksums(settings.current_dir), settings.duckdb_path.read_bytes())
    damage(mart)
    try:
        result = run_cli(settings.warehouse, "rollback", older)
        assert result.code == 2, result.err
        assert f"run {older}: mart fct_exemption_band" in result.err
        assert runs.current_run_id(settings) == current
        assert (tree_checksums(settings.current_dir), settings.duckdb_path.read_bytes()) == before
        assert not list(settings.warehouse.glob(".*.tmp"))
        assert run_cli(settings.warehouse, "scenarios").code == 0
    finally:
        mart.write_bytes(saved)
    # undamaged, the same rollback goes through, and back
    assert run_cli(settings.warehouse, "rollback", older).code == 0
    assert runs.current_run_id(settings) == older
    assert run_cli(settings.warehouse, "rollback", current).code == 0


def test_a_contract_change_in_the_target_run_is_refused(two_runs, run_cli):
    import pyarrow.parquet as pq

    settings, current, older = two_runs
    mart = next((settings.run_dir(older) / "marts" / "dim_weight_bases").rglob("*.parquet"))
    saved = mart.read_bytes()
    table = pq.read_table(mart)
    pq.write_table(table.rename_columns([f"{c}_renamed" for c in table.column_names]), mart)
    try:
        result = run_cli(settings.warehouse, "rollback", older)
        assert result.code == 2 and "contract" in result.err, result.err
        assert runs.current_run_id(settings) == current
    finally:
        mart.write_bytes(saved)


def test_debug_keeps_exit_code_2(run_cli, tmp_path):
    result = run_cli(tmp_path / "wh", "--debug", "runs", env={"TARIFF_ETL_KEEP_RUNS": "x"})
    assert result.code == 2
    assert "Traceback" in result.err and "SettingsError" in result.err


def _cli_process(settings, *args, stdin=None):
    return subprocess.Popen(
        [sys.executable, "-m", "etl.cli", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "TARIFF_ETL_WAREHOUSE": str(settings.warehouse)},
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143)])
def test_a_signal_during_a_query_gives_its_exit_code(published, signum, code):
    settings, _ = published
    proc = _cli_process(settings, "sql", "select sum(hash(i)) from range(100000000000) t(i)")
    time.sleep(3)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_in_the_shell_gives_its_exit_code(published, signum, code):
    settings, _ = published
    proc = _cli_process(settings, "shell", stdin=subprocess.PIPE)
    time.sleep(3)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
