"""The warehouse lock: fails at once by default, waits when asked, one holder per thread."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from etl.errors import LockError
from etl.lock import warehouse_lock
from tests.helpers import PROJECT_ROOT

HOLDER = (
    "import sys, time; from pathlib import Path; from etl.lock import warehouse_lock\n"
    "with warehouse_lock(Path(sys.argv[1]), 'test holder'):\n"
    "    print('locked', flush=True); time.sleep(float(sys.argv[2]))"
)


def hold(lock: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the lock for `seconds` (returns once it holds it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), str(seconds)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_waiting_writer_gets_the_lock_when_the_holder_releases_it(tmp_path):
    lock = tmp_path / "wh" / ".lock"
    holder = hold(lock, 1.0)
    try:
        started = time.monotonic()
        with warehouse_lock(lock, "waiting writer", wait_s=60):
            waited = time.monotonic() - started
            assert '"purpose": "waiting writer"' in lock.read_text()
        assert 0.3 < waited < 30
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_writer_gives_up_after_wait_s_naming_the_holder(tmp_path):
    lock = tmp_path / "wh" / ".lock"
    holder = hold(lock, 60)
    try:
        started = time.monotonic()
        with (
            pytest.raises(LockError, match=r"waited 0\.5 s.*test holder"),
            warehouse_lock(lock, "impatient writer", wait_s=0.5),
        ):
            pass
        assert 0.5 <= time.monotonic() - started < 5
        with (
            pytest.raises(LockError, match="locked by another writer: .*test holder"),
            warehouse_lock(lock, "no wait"),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_re_entrant_in_one_thread_exclusive_between_threads(tmp_path):
    lock = tmp_path / ".lock"
    outcome: dict[str, object] = {}

    def other_thread(wait_s: float) -> None:
        try:
            with warehouse_lock(lock, "other thread", wait_s=wait_s):
                outcome["got_it_at"] = time.monotonic()
        except LockError as exc:
            outcome["error"] = exc

    with warehouse_lock(lock, "main thread"):
        with warehouse_lock(lock, "nested, same thread"):  # re-entrant: no deadlock
            pass
        thread = threading.Thread(target=other_thread, args=(0,))
        thread.start()
        thread.join()
        assert isinstance(outcome.pop("error"), LockError)  # not re-entrant across threads

        thread = threading.Thread(target=other_thread, args=(30,))
        thread.start()
        time.sleep(0.3)
        assert "got_it_at" not in outcome  # queued behind the main thread
        released_at = time.monotonic()
    thread.join()
    assert outcome["got_it_at"] >= released_at


def test_airflow_tasks_queue_for_the_lock_and_the_cli_fails_at_once(tmp_path, monkeypatch):
    """A pipeline step run by an Airflow task waits for a holder (a customs commit); the same
    step from the CLI fails at once, naming the holder."""
    from etl import publishing
    from etl import settings as settings_module
    from etl.errors import EtlError
    from etl.settings import Settings

    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(tmp_path / "wh"))
    settings_module.get_settings.cache_clear()
    try:
        cli, task = settings_module.get_settings(), settings_module.settings_for_task()
    finally:
        settings_module.get_settings.cache_clear()
    assert (cli.lock_wait_s, task.lock_wait_s) == (0.0, settings_module.TASK_LOCK_WAIT_S)
    assert isinstance(task, Settings) and task.warehouse == cli.warehouse

    holder = hold(cli.lock_path, 1.5)
    try:
        with pytest.raises(LockError, match="test holder"):
            publishing.rollback(cli)
        started = time.monotonic()
        # the task's rollback waits for the holder, then gets the lock (and finds no run)
        with pytest.raises(EtlError, match="no earlier published run"):
            publishing.rollback(task)
        assert time.monotonic() - started > 0.5
    finally:
        holder.wait(timeout=30)
