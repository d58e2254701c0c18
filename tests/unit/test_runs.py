"""etl/runs.py on small run folders: ids, the run-id check, manifests, the current run,
pruning (the e2e tests do the same on whole pipeline runs, in minutes)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from etl import runs
from etl.errors import EtlError
from etl.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(warehouse=tmp_path / "warehouse", keep_runs=2)


def make_run(settings: Settings, run_id: str, **manifest) -> None:
    folder = settings.run_dir(run_id)
    folder.mkdir(parents=True)
    runs.write_json(runs.manifest_path(settings, run_id), {"run_id": run_id, **manifest})


def ids(n: int) -> list[str]:
    return [f"2026120{i}T000000Z-{i:06x}" for i in range(1, n + 1)]


def test_new_run_ids_sort_by_time_match_the_pattern_and_differ():
    at = datetime(2025, 3, 28, 10, 15, 0, tzinfo=UTC)
    first, second = runs.new_run_id(at), runs.new_run_id(at)
    assert first.startswith("20250328T101500Z-") and len(first) == len("20250328T101500Z-") + 6
    assert runs.RUN_ID_PATTERN.fullmatch(first) and first != second
    assert runs.new_run_id(datetime(2025, 3, 28, 10, 15, 1, tzinfo=UTC)) > max(first, second)
    assert runs.RUN_ID_PATTERN.fullmatch(runs.new_run_id())


@pytest.mark.parametrize(
    ("run_id", "message"),
    [
        ("../../etc", "is not a run id"),
        ("20261201T000000Z-abcdeg", "is not a run id"),
        ("20261201T000000Z-abcdef/x", "is not a run id"),
        (" 20261201T000000Z-abcdef", "is not a run id"),
        ("20261201T000000Z-abcdef", "not found under"),
    ],
)
def test_checked_run_id_refuses_paths_and_missing_runs(settings, run_id, message):
    with pytest.raises(EtlError, match=message):
        runs.checked_run_id(settings, run_id)


def test_checked_run_id_accepts_a_run_folder_but_not_a_symlink_to_one(settings, tmp_path):
    good, linked = ids(2)
    make_run(settings, good)
    assert runs.checked_run_id(settings, good) == good
    (settings.runs_dir / linked).symlink_to(tmp_path)
    with pytest.raises(EtlError, match="not found under"):
        runs.checked_run_id(settings, linked)


def test_a_manifest_is_read_updated_with_dicts_merged_and_written_sorted(settings):
    (run_id,) = ids(1)
    make_run(settings, run_id, status="running", checks={"raw": {"passed": 3}}, models={})
    updated = runs.update_manifest(
        settings, run_id, status="validated", checks={"marts": {"passed": 1}}, models=["x"]
    )
    assert updated == runs.read_manifest(settings, run_id)
    assert updated["status"] == "validated"
    assert updated["checks"] == {"raw": {"passed": 3}, "marts": {"passed": 1}}  # merged
    assert updated["models"] == ["x"]  # not a dict: replaced
    text = runs.manifest_path(settings, run_id).read_text()
    assert text == json.dumps(updated, indent=2, sort_keys=True)
    with pytest.raises(EtlError, match="run 20261202T000000Z-000002 not found under"):
        runs.read_manifest(settings, ids(2)[1])


def test_current_run_id_follows_the_symlink(settings):
    assert runs.current_run_id(settings) is None
    first, second = ids(2)
    make_run(settings, first)
    make_run(settings, second)
    settings.warehouse.mkdir(exist_ok=True)
    (settings.warehouse / "current").symlink_to(os.path.relpath(settings.run_dir(first)))
    assert runs.current_run_id(settings) == first


def test_prune_keeps_the_newest_runs_and_the_current_one(settings):
    run_ids = ids(5)
    for run_id in run_ids:
        make_run(settings, run_id)
    (settings.warehouse / "current").symlink_to(settings.run_dir(run_ids[0]))  # the oldest
    (settings.runs_dir / "stray-file.txt").write_text("not a run folder")
    removed = runs.prune_runs(settings)
    assert sorted(removed) == run_ids[1:3]
    left = sorted(p.name for p in settings.runs_dir.iterdir())
    assert left == [run_ids[0], *run_ids[3:], "stray-file.txt"]
    assert runs.prune_runs(settings) == []  # idempotent


def test_the_gates_are_the_four_layers_in_order():
    assert runs.GATES == ("raw", "staging", "intermediate", "marts")


def test_list_runs_is_newest_first_and_names_why_a_manifest_is_unreadable(settings):
    first, second, third = ids(3)
    for run_id in (second, first, third):  # created out of order
        make_run(settings, run_id, status="published")
    (settings.run_dir(third) / "manifest.json").write_text('{"run_id": "x"}')
    listed = runs.list_runs(settings)
    assert [r["run_id"] for r in listed] == [third, second, first]
    assert listed[0]["status"] == "unreadable"
    assert listed[0]["error"] == "manifest.json: ValueError: no run_id or status"
    assert runs.manifest_path(settings, first) == settings.run_dir(first) / "manifest.json"


def test_the_run_id_error_says_what_a_run_id_looks_like_and_where_to_find_them(settings):
    with pytest.raises(EtlError) as err:
        runs.checked_run_id(settings, "../x")
    assert str(err.value) == (
        "../x is not a run id (like 20250328T101500Z-1a2b3c); `tariff-etl runs` lists them"
    )


def test_a_manifest_value_json_cannot_hold_is_written_as_its_text(settings):
    (run_id,) = ids(1)
    make_run(settings, run_id)
    at = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
    runs.update_manifest(settings, run_id, finished_at=at, path=settings.warehouse)
    manifest = runs.read_manifest(settings, run_id)
    assert manifest["finished_at"] == "2026-12-03 18:00:00+00:00"
    assert manifest["path"] == str(settings.warehouse)


def test_run_ids_are_in_utc_whatever_the_local_time_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")  # UTC+8, no daylight saving
    time.tzset()
    try:
        made = runs.new_run_id()
        now = datetime.now(UTC)
    finally:
        monkeypatch.undo()
        time.tzset()
    stamp = datetime.strptime(made[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((now - stamp).total_seconds()) < 60, (made, now)


@pytest.mark.parametrize("point", ["publish_before_switch", "build_staging"])
def test_a_fault_point_kills_the_process_only_where_it_is_named(tmp_path, point):
    import signal
    import subprocess
    import sys

    code = (
        "from etl import runs; from etl.settings import Settings; "
        f"s = Settings(warehouse={str(tmp_path)!r}, fault_at={point!r}); "
        "runs.fault_point(s, 'publish_before_switch'); print('alive')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if point == "publish_before_switch":
        assert done.returncode == -signal.SIGKILL and done.stdout == ""
    else:
        assert done.returncode == 0 and done.stdout == "alive\n", done.stderr
