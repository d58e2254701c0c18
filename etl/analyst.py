"""Ad-hoc SQL for analysts over the published DuckDB file: a sandbox, not only a statement list.

Two layers, each enough for the attacks we know of, together for the ones we do not:

1. The engine. `tariffs.duckdb` is opened read-only with extension autoinstall and autoload off,
   `allowed_directories` set to the published data (`<warehouse>/current/` and
   `<warehouse>/runs/`, plus any folder given with `--allow-files`), then
   `enable_external_access = false` (DuckDB may then open no other path and no URL, and loads no
   extension: nothing is downloaded, no `~/.duckdb` is created) and `lock_configuration = true`
   (no `SET`/`RESET` can undo it).
2. The statements. DuckDB allows writes inside an allowed directory (`COPY ... TO` a mart file),
   so every statement is parsed by DuckDB and only queries run: SELECT (incl. WITH, FROM-first,
   DESCRIBE, SHOW, SUMMARIZE) and EXPLAIN [ANALYZE] of a query (`EXPLAIN ANALYZE` executes its
   statement, so that statement is checked the same way, recursively). COPY, EXPORT, ATTACH,
   INSTALL/LOAD, SET, PRAGMA, CALL, PREPARE/EXECUTE, transactions and DDL/DML are refused, and so
   are table functions that run SQL text (`query()`, `query_table()`).

Reading local files outside the warehouse is not part of the product by default (an analyst
query has no reason to read `~/.ssh`); `tariff-etl sql --allow-files DIR` opens one more folder
for reading, explicitly.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from etl import render
from etl.errors import EtlError, clip
from etl.settings import Settings

# statement types that only read (DESCRIBE / SHOW / SUMMARIZE / FROM-first parse as SELECT)
ALLOWED = {"SELECT"}
# functions that run SQL given as text (the text would escape the statement check) or act on
# the engine (logging, profiling, checkpoints, extensions, Python objects of this process)
SQL_TEXT_FUNCTIONS = {"query", "query_table", "json_execute_serialized_sql"}
REFUSED_FUNCTIONS = re.compile(
    r"(enable|disable)_(logging|profiling|profile)|truncate_duckdb_logs|write_log|"
    r"(force_)?checkpoint|(enable|disable)_checkpoint_on_shutdown|\w*grammar_extension|"
    r"\w*external_resource\w*|python_\w+|pandas_scan|\w*arrow_scan\w*|setval|nextval"
)
MAX_EXPLAIN_DEPTH = 4


class ReadOnlyQueryError(EtlError):
    """A statement other than a query was given to the read-only SQL tool."""


def allowed_directories(settings: Settings, extra: Sequence[Path] = ()) -> list[str]:
    """Folders the analyst connection may read: the published runs (and `current`, a symlink
    to one of them), plus folders given explicitly. Trailing '/' so a sibling such as
    `<warehouse>/runs-old` does not match by prefix."""
    folders = [settings.current_dir, settings.runs_dir]
    for folder in extra:
        path = Path(folder).expanduser().resolve()
        if not path.is_dir():
            raise EtlError(f"--allow-files {clip(str(folder))}: not a folder")
        folders.append(path)
    return [str(f).rstrip("/") + "/" for f in folders]


@contextmanager
def read_only_connection(
    settings: Settings, allow_files: Sequence[Path] = ()
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The sandboxed analyst connection (see the module docstring)."""
    if not settings.duckdb_path.is_file():
        raise EtlError(f"no published database at {settings.duckdb_path}: run `tariff-etl run`")
    config = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "python_enable_replacements": False,  # no scans of this process's Python objects
    }
    try:
        con = duckdb.connect(str(settings.duckdb_path), read_only=True, config=config)
    except duckdb.Error as exc:
        raise EtlError(f"cannot open {settings.duckdb_path}: {_first_line(exc)}") from None
    try:
        # order matters: the allowed folders must be set while external access is still on,
        # and the configuration is locked last
        con.execute("set allowed_directories = ?", [allowed_directories(settings, allow_files)])
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
        yield con
    finally:
        with contextlib.suppress(duckdb.Error):  # busy only if a query outlived its interrupt
            con.close()


def _first_line(exc: BaseException) -> str:
    return clip((str(exc).strip().splitlines() or [type(exc).__name__])[0], 300)


def _tokens(sql: str) -> list[tuple[str, str]]:
    """(text, kind) of each token, comments dropped (DuckDB's own tokenizer)."""
    offsets = duckdb.tokenize(sql)
    out = []
    for i, (start, kind) in enumerate(offsets):
        end = offsets[i + 1][0] if i + 1 < len(offsets) else len(sql)
        name = str(kind).rsplit(".", 1)[-1]
        if name != "comment":
            out.append((sql[start:end].strip(), name))
    return out


def _explained_statement(query: str) -> str:
    """The statement inside `EXPLAIN [ANALYZE] [(options)] <statement>`."""
    offsets = [(start, str(kind).rsplit(".", 1)[-1]) for start, kind in duckdb.tokenize(query)]
    words = [(start, query[start:].split(None, 1)[0].lower(), kind) for start, kind in offsets]
    words = [w for w in words if w[2] != "comment"]
    i = 0
    if i < len(words) and words[i][1] == "explain":
        i += 1
    if i < len(words) and words[i][1] in ("analyze", "analyse"):
        i += 1
    if i < len(words) and words[i][1].startswith("("):  # EXPLAIN (FORMAT json) ...
        options_at, depth = i, 0
        while i < len(words):
            text = query[words[i][0] : words[i + 1][0] if i + 1 < len(words) else len(query)]
            depth += text.count("(") - text.count(")")
            i += 1
            if depth <= 0:
                break
        if i >= len(words):  # not options: a parenthesised query, `EXPLAIN (SELECT 1)`
            i = options_at
    if i >= len(words):
        raise ReadOnlyQueryError("EXPLAIN without a statement")
    return query[words[i][0] :]


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str, depth: int = 0) -> list[str]:
    """Every statement of `sql` is a query (recursing into EXPLAIN); the statements' texts."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise EtlError(f"SQL does not parse: {_first_line(exc)}") from None
    if not statements:
        raise EtlError("no SQL statement given")
    for statement in statements:
        kind = str(statement.type).rsplit(".", 1)[-1]
        if kind == "EXPLAIN":
            if depth >= MAX_EXPLAIN_DEPTH:
                raise ReadOnlyQueryError("EXPLAIN nested too deeply")
            check_read_only(con, _explained_statement(statement.query), depth + 1)
        elif kind not in ALLOWED:
            raise ReadOnlyQueryError(
                f"only queries are allowed here (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, "
                f"EXPLAIN of a query); got {kind}: the published data is read-only"
            )
        _check_functions(statement.query)
    return [s.query for s in statements]


def _check_functions(sql: str) -> None:
    tokens = _tokens(sql)
    for (text, kind), (following, _) in zip(tokens, tokens[1:], strict=False):
        name = text.strip('"').lower()
        if kind not in ("identifier", "keyword") or not following.startswith("("):
            continue
        if name in SQL_TEXT_FUNCTIONS:
            raise ReadOnlyQueryError(
                f"{name}() runs SQL given as text and is not allowed here; write the query itself"
            )
        if REFUSED_FUNCTIONS.fullmatch(name):
            raise ReadOnlyQueryError(f"{name}() acts on the engine and is not allowed here")


# how long a query may take to honour its interrupt before the process leaves without it
INTERRUPT_GRACE_S = 10.0
SIGNALS = ("SIGINT", "SIGTERM")


@contextmanager
def signals_deferred(on_signal: Any = None) -> Iterator[list[int]]:
    """SIGINT/SIGTERM recorded (and `on_signal(signum)` called) instead of raising, then, on
    leaving, the first one handed to the handler that was there before (Python's Ctrl-C
    handler raises KeyboardInterrupt, the CLI's SIGTERM handler `Interrupted`).

    An exception raised by a signal handler lands wherever the main thread happens to be, and
    some places do not survive one: DuckDB's own calls turn it into `RuntimeError: Query
    interrupted`, DuckDB's extension module aborts the process (SIGABRT, exit 134) when one
    lands while it is being imported, `Thread.start()` can be left with the worker running.
    Deferring it to a point we choose avoids all of them. Only the main thread can set signal
    handlers: elsewhere (signals never reach other threads' code anyway) this does nothing."""
    import signal

    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def record(signum: int, frame: object) -> None:
        received.append(signum)
        if on_signal is not None:
            on_signal(signum)

    numbers = [getattr(signal, name) for name in SIGNALS]
    # an ignored signal (SIGINT of a background job) stays ignored
    numbers = [num for num in numbers if signal.getsignal(num) != signal.SIG_IGN]
    previous = {num: signal.signal(num, record) for num in numbers}
    try:
        yield received
    finally:
        for num, handler in previous.items():
            signal.signal(num, handler)
        if received:
            _deliver(received[0], previous[received[0]])


def _deliver(signum: int, handler: Any) -> None:
    """What the signal would have done without the deferral."""
    import signal

    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)  # the default action (terminates the process)


def run_query(
    settings: Settings, sql: str, allow_files: Sequence[Path] = ()
) -> tuple[list[str], list[tuple]]:
    """Run read-only SQL against `<warehouse>/tariffs.duckdb`; the last statement's rows.

    The statements run in a worker thread while this one waits. A signal (Ctrl-C, SIGTERM)
    does not raise here: it is recorded and interrupts the query (`interrupt()`, repeated until
    DuckDB honours it), the worker is waited for, the connection closed, and only then is the
    signal handed on (`signals_deferred`), so the CLI exits 130 / 143 promptly.

    The process must not exit while the worker is inside DuckDB: the interpreter would shut
    down under it and the worker, taking the GIL back to return, aborts the whole process
    ("FATAL: exception not rethrown", SIGABRT, exit 134). If DuckDB does not honour the
    interrupt within INTERRUPT_GRACE_S, the process leaves with `os._exit` (no shutdown that
    could abort), with the signal's exit code."""
    state: dict[str, Any] = {"cursor": None}

    def interrupt(signum: int) -> None:
        if state["cursor"] is not None:
            state["cursor"].interrupt()

    result: tuple[list[str], list[tuple]] | None = None
    with (
        signals_deferred(interrupt) as received,
        read_only_connection(settings, allow_files) as con,
    ):
        texts = check_read_only(con, sql)
        if not received:  # else signalled while connecting: the query is not started
            state["cursor"] = query_con = con.cursor()  # `con` refuses concurrent calls
            try:
                result = _run_in_worker(query_con, texts, received)
            finally:
                state["cursor"] = None
                query_con.close()
    # leaving `signals_deferred` raised the deferred signal's exception, if there was one
    if result is None:  # a handler that did not raise: the query was still cut short
        raise KeyboardInterrupt
    return result


def _run_in_worker(
    query_con: duckdb.DuckDBPyConnection, texts: list[str], received: list[int]
) -> tuple[list[str], list[tuple]] | None:
    """The statements in a worker thread; None if a signal cut them short."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            cursor: Any = None
            for text in texts:
                cursor = query_con.execute(text)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            outcome["result"] = (columns, cursor.fetchall())
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name="analyst-query", daemon=True)
    worker.start()
    signalled_at: float | None = None
    # waiting on an Event, not Thread.join: the worker is done once it has left DuckDB
    while not done.wait(0.1):
        if not received:
            continue
        # repeated: an interrupt that lands before DuckDB starts a statement is lost
        query_con.interrupt()
        signalled_at = signalled_at or time.monotonic()
        if time.monotonic() - signalled_at > INTERRUPT_GRACE_S:
            _leave_now(received[0])
    error = outcome.get("error")
    if received:  # the deferred signal is raised by the caller's `signals_deferred`
        return None
    if isinstance(error, duckdb.InterruptException):
        raise KeyboardInterrupt from None
    if isinstance(error, duckdb.Error):
        raise EtlError(f"query failed: {_first_line(error)}") from None
    if error is not None:
        raise error
    return outcome["result"]


def _leave_now(signum: int) -> None:
    """Exit with the signal's code without shutting the interpreter down (see run_query)."""
    import os
    import sys

    grace = f"{INTERRUPT_GRACE_S:.0f} s"
    print(f"interrupted: the query did not stop within {grace}", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(128 + signum)


# kept for callers of the old names
to_csv = render.to_csv
to_json = render.to_json


def list_tables(settings: Settings) -> list[dict[str, Any]]:
    from etl.contract import MARTS

    with read_only_connection(settings) as con:
        out = []
        for name, spec in MARTS.items():
            rows = con.execute(f"select count(*) from main.{name}").fetchall()[0][0]
            out.append(
                {"mart": name, "grain": spec.grain, "key": ", ".join(spec.key), "rows": rows}
            )
        return out
