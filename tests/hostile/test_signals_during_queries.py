"""SIGINT and SIGTERM during `tariff-etl sql`: exit 130 / 143 every time, promptly, one line, no
traceback, no abort.

The query runs in a worker thread inside DuckDB. The process used to exit now and then while
that worker was still inside DuckDB (SIGINT landing in `Thread.start()`, a second signal while
the interrupt was awaited, or DuckDB's extension being imported) and died of SIGABRT (134,
"FATAL: exception not rethrown") instead of exiting 130; a signal landing in DuckDB's own calls
on the main thread gave exit 1 ("unexpected RuntimeError: Query interrupted"). Each run below
starts a fresh CLI process and signals it while the query runs; several runs make a race
visible. The in-process tests pin the pieces: a signal during a query is deferred, the query
interrupted, and the signal handed on only after DuckDB has returned.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time

import pytest

from etl import analyst, cli
from tests.helpers import PROJECT_ROOT

# runs for minutes unless interrupted; DuckDB checks for an interrupt between vectors
# long enough to be signalled mid-way (about 85 s on 2 idle cores), but finite: a signal that
# is lost makes a test fail on its timing assertions instead of hanging the suite
LONG_QUERY = "select sum(hash(i)) from range(20000000000) t(i)"
RUNS = 5


@pytest.fixture(autouse=True)
def python_signal_handlers():
    """Each test starts from Python's own SIGINT/SIGTERM handlers, whatever this process
    inherited: a suite started in the background by a non-interactive shell has SIGINT
    ignored, and the code under test (rightly) keeps an ignored SIGINT ignored, so an
    in-process test's SIGINT would be lost and its query never interrupted."""
    previous = {num: signal.getsignal(num) for num in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        for num, handler in previous.items():
            signal.signal(num, handler)


def _start_cli(settings, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "etl.cli", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "TARIFF_ETL_WAREHOUSE": str(settings.warehouse)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a run started in the background by a non-interactive shell inherits SIGINT ignored;
        # the CLI (rightly) keeps it ignored, so give the child the ordinary disposition
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.fixture(scope="module")
def startup_cpu(published) -> float:
    """CPU seconds the CLI spends before a query runs (imports, sandboxed connection): a
    `select 1` from start to end."""
    settings, _ = published
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = _start_cli(settings, "sql", "select 1")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _wait_until_the_query_runs(proc: subprocess.Popen, startup_cpu: float) -> None:
    """The query runs once the process has used more CPU than a whole `select 1` and then
    some (counted in CPU time, so a loaded machine only makes the wait longer); without /proc,
    a fixed sleep."""
    if not os.path.isdir(f"/proc/{proc.pid}"):
        time.sleep(1.5)
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if _cpu_seconds(proc.pid) > startup_cpu + 0.5:
            return
        time.sleep(0.05)
    raise AssertionError(f"the query did not start within 30 s (startup CPU {startup_cpu} s)")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_long_query_gives_its_exit_code_every_time(
    published, startup_cpu, signum, code
):
    settings, _ = published
    outcomes = []
    for _ in range(RUNS):
        proc = _start_cli(settings, "sql", LONG_QUERY)
        try:
            _wait_until_the_query_runs(proc, startup_cpu)
            sent = time.monotonic()
            proc.send_signal(signum)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        outcomes.append((proc.returncode, time.monotonic() - sent, out, err))
    codes = [o[0] for o in outcomes]
    assert codes == [code] * RUNS, outcomes
    for _, seconds, out, err in outcomes:
        assert seconds < 5, outcomes  # interrupted, not run to the end
        assert out == ""
        assert "Traceback" not in err and "FATAL" not in err and "terminate" not in err, err
        assert err.strip().startswith("interrupted") and len(err.strip().splitlines()) == 1, err


def test_a_signal_during_a_query_is_handed_on_only_after_duckdb_returned(published):
    """In process: SIGINT during `run_query` interrupts the query; KeyboardInterrupt is raised
    only after the worker thread has left DuckDB and the connection is closed."""
    settings, _ = published
    timer = threading.Timer(0.8, os.kill, (os.getpid(), signal.SIGINT))
    before = {t.ident for t in threading.enumerate()}
    handler = signal.getsignal(signal.SIGINT)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            analyst.run_query(settings, LONG_QUERY)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 10
    workers = [
        t for t in threading.enumerate() if t.name == "analyst-query" and t.ident not in before
    ]
    for worker in workers:  # done, or finishing its last Python lines
        worker.join(timeout=2)
        assert not worker.is_alive()
    # the handler in place before the query is back
    assert signal.getsignal(signal.SIGINT) is handler


def test_a_signal_inside_thread_start_still_waits_for_the_worker(published, monkeypatch):
    """The race behind the exit 134: SIGINT handled while the main thread is still inside
    `Thread.start()` of the query worker used to raise there, outside the code that
    interrupts and awaits the worker, so the process exited with the worker inside DuckDB.
    Now the query is interrupted and the worker has left DuckDB before anything is raised."""
    settings, _ = published
    real_thread = threading.Thread
    raised_inside_start: list[str] = []

    class SignalledWhileStarting(real_thread):
        def start(self) -> None:
            super().start()
            if self.name != "analyst-query":
                return
            try:
                time.sleep(0.5)  # the worker is inside DuckDB by now
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # the handler runs here, still inside start()
            except BaseException as exc:
                raised_inside_start.append(type(exc).__name__)
                raise

    monkeypatch.setattr(threading, "Thread", SignalledWhileStarting)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        analyst.run_query(settings, LONG_QUERY)
    monkeypatch.undo()
    assert raised_inside_start == []  # deferred to after the worker returned
    assert time.monotonic() - started < 10
    workers = [t for t in threading.enumerate() if t.name == "analyst-query"]
    for worker in workers:
        worker.join(timeout=2)
    assert not any(w.is_alive() for w in workers), "the query worker is still inside DuckDB"


def test_a_signal_while_connecting_does_not_start_the_query(published, monkeypatch):
    """A signal that lands in DuckDB's own calls on the main thread (opening the sandbox)
    used to surface as `RuntimeError: Query interrupted` (exit 1): it is deferred, the query is
    not started, and the signal raises afterwards."""
    settings, _ = published
    real_check = analyst.check_read_only
    real_thread = threading.Thread
    started: list[str] = []

    def check_then_signal(con, sql, depth=0):
        texts = real_check(con, sql, depth)
        os.kill(os.getpid(), signal.SIGINT)  # handled at once, in this thread
        return texts

    class Recorded(real_thread):
        def start(self) -> None:
            started.append(self.name)
            super().start()

    monkeypatch.setattr(analyst, "check_read_only", check_then_signal)
    monkeypatch.setattr(threading, "Thread", Recorded)
    with pytest.raises(KeyboardInterrupt):
        analyst.run_query(settings, LONG_QUERY)
    monkeypatch.undo()
    assert started == []


def test_sigterm_in_process_exits_143_through_main(published, monkeypatch, capsys):
    """`main` in this process: SIGTERM during the query returns 143 with one line."""
    settings, _ = published
    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(settings.warehouse))
    from etl import settings as settings_module

    settings_module.get_settings.cache_clear()
    timer = threading.Timer(0.8, os.kill, (os.getpid(), signal.SIGTERM))
    previous = signal.getsignal(signal.SIGTERM)
    timer.start()
    try:
        code = cli.main(["sql", LONG_QUERY])
    finally:
        timer.cancel()
        settings_module.get_settings.cache_clear()
    assert code == 143
    assert capsys.readouterr().err.strip() == "interrupted by SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is previous
