"""Parallel-safe ingestion: files land side by side (as mapped Airflow tasks do), only their
commits are serialized by the warehouse lock, and no commit loses another one's manifest entry.

Each test holds the warehouse lock while the writers start, so both must do their heavy work
without it and then queue at the commit: the overlap is certain, not left to timing."""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from etl.customs.api import display_name, ingest_files, landed_glob
from etl.customs.generate import generate
from etl.customs.store import LandedStore
from etl.lock import warehouse_lock
from etl.settings import Settings
from tests.customs.helpers import part_files, settings_for
from tests.helpers import PROJECT_ROOT

WAITING = "waiting up to"  # what etl.lock logs when a writer queues for the lock
WRITER = """
import json, logging, sys
from pathlib import Path
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
from etl.customs.api import ingest_files
from etl.settings import Settings
(r,) = ingest_files(Settings(warehouse=Path(sys.argv[1])), sys.argv[2], [Path(sys.argv[3])])
print(json.dumps({"skipped": r.skipped_unchanged, "read": r.rows_read, "loaded": r.rows_loaded,
                  "quarantined": r.rows_quarantined, "partitions": r.partitions_written}))
"""


@pytest.fixture
def two_files(tmp_path) -> tuple[Path, Path]:
    """Two Comtrade files feeding the same partitions (same reporters, same year)."""
    a, b = tmp_path / "in" / "comtrade_a.csv", tmp_path / "in" / "comtrade_b.csv"
    generate("comtrade", 3000, a, seed=11, start="2018-01", months=12, malformed_rate=0.01)
    generate("comtrade", 2000, b, seed=12, start="2018-01", months=12, malformed_rate=0.01)
    return a, b


class Writer:
    """One `ingest_files` call in its own process, its stderr pumped into a queue."""

    def __init__(self, settings: Settings, fmt: str, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(settings.warehouse), fmt, str(path)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put("")  # EOF

    def wait_until_queued(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            self.stderr.append(line)
            if WAITING in line:
                return
            if line == "":
                break
        self.proc.kill()
        pytest.fail(f"writer never queued for the lock: {''.join(self.stderr)[-3000:]}")

    def result(self) -> dict:
        out, _ = self.proc.communicate(timeout=120)
        while not self.lines.empty():
            self.stderr.append(self.lines.get())
        assert self.proc.returncode == 0, "".join(self.stderr)[-3000:]
        return json.loads(out.strip().splitlines()[-1])


def landed_rows_by_file(settings: Settings) -> dict[str, int]:
    rows = duckdb.sql(
        f"select _source_file, count(*) from read_parquet('{landed_glob(settings)}', "
        "hive_partitioning = false) group by all"
    ).fetchall()
    return dict(rows)


def test_two_files_ingested_at_once_both_land_and_reconcile(tmp_path, two_files):
    settings = settings_for(tmp_path)
    names = [display_name(p, settings.landing_dir) for p in two_files]
    with warehouse_lock(settings.lock_path, "test: a build step"):
        writers = [Writer(settings, "comtrade", path) for path in two_files]
        for writer in writers:
            writer.wait_until_queued()  # parsed and streamed, waiting only to commit
        assert not LandedStore(settings).manifest_path.exists()  # nothing committed yet
    results = [writer.result() for writer in writers]

    assert [r["skipped"] for r in results] == [False, False]
    assert results[0]["partitions"] == results[1]["partitions"]  # same partitions, own parts
    manifest = LandedStore(settings).read_manifest()
    assert sorted(manifest["files"]) == sorted(names)  # neither commit lost the other's entry
    by_file = landed_rows_by_file(settings)
    for name, r in zip(names, results, strict=True):
        entry = manifest["files"][name]
        assert r["read"] == r["loaded"] + r["quarantined"] and r["quarantined"] > 0
        assert by_file[name] == r["loaded"] == entry["rows_loaded"]
        assert sum(p["rows"] for p in entry["partitions"].values()) == r["loaded"]
        assert LandedStore(settings).parts_present(entry)
    assert sum(r["read"] for r in results) == 5000
    leftovers = [p for p in LandedStore(settings).tmp.rglob("*") if p.is_file()]
    assert leftovers == []  # work folders and DuckDB spill folders are gone

    # and a second ingest of both, in this process, finds them unchanged
    again = ingest_files(settings, "comtrade", list(two_files))
    assert all(r.skipped_unchanged for r in again)


def test_the_same_file_ingested_twice_at_once_is_committed_once(tmp_path, two_files):
    """The unchanged check is redone under the lock: the second writer finds the file landed
    by the first (same sha256) and writes nothing."""
    settings = settings_for(tmp_path)
    path = two_files[0]
    with warehouse_lock(settings.lock_path, "test: a build step"):
        writers = [Writer(settings, "comtrade", path) for _ in range(2)]
        for writer in writers:
            writer.wait_until_queued()
    results = [writer.result() for writer in writers]
    assert sorted(r["skipped"] for r in results) == [False, True]
    assert len({r["loaded"] for r in results}) == 1
    (loaded,) = [r for r in results if not r["skipped"]]
    (name,) = LandedStore(settings).read_manifest()["files"]
    assert landed_rows_by_file(settings) == {name: loaded["loaded"]}
    assert len(part_files(settings)) == len(loaded["partitions"])  # one part per partition


def test_threads_of_one_process_queue_for_the_commit_too(tmp_path, two_files):
    settings = settings_for(tmp_path)
    queued: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: queued.append(record.getMessage())  # type: ignore[method-assign]
    lock_log = logging.getLogger("etl.lock")
    lock_log.addHandler(handler)
    old_level = lock_log.level
    lock_log.setLevel(logging.INFO)
    outcome: dict[Path, object] = {}

    def ingest(path: Path) -> None:
        try:
            outcome[path] = ingest_files(settings, "comtrade", [path])[0]
        except Exception as exc:  # reported below
            outcome[path] = exc

    try:
        with warehouse_lock(settings.lock_path, "test: main thread"):
            threads = [threading.Thread(target=ingest, args=(p,)) for p in two_files]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 120
            while sum(WAITING in m for m in queued) < 2 and time.monotonic() < deadline:
                assert not outcome, outcome  # nobody may commit while the main thread holds it
                time.sleep(0.05)
            assert sum(WAITING in m for m in queued) == 2, queued
        for thread in threads:
            thread.join(timeout=120)
    finally:
        lock_log.removeHandler(handler)
        lock_log.setLevel(old_level)
    results = [outcome[p] for p in two_files]
    assert all(not isinstance(r, Exception) and not r.skipped_unchanged for r in results), results
    manifest = LandedStore(settings).read_manifest()
    names = [display_name(p, settings.landing_dir) for p in two_files]
    assert sorted(manifest["files"]) == sorted(names)
    by_file = landed_rows_by_file(settings)
    assert [by_file[n] for n in names] == [r.rows_loaded for r in results]
