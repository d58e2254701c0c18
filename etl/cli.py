"""`tariff-etl`: run the pipeline and inspect its runs without an Airflow server.

Exit codes: 0 success; 1 unexpected error; 2 a clear pipeline error (bad input, failed quality
gate, lock held, ...); 130 interrupted (SIGINT, Ctrl-C); 143 terminated (SIGTERM). Errors print
one line; `--debug` shows the traceback.
"""

from __future__ import annotations

import signal as _signal
import sys

# Run as the `tariff-etl` script, a Ctrl-C that lands while the modules below load is only
# recorded, and `main` exits 130 for it (Python's own handler would print a traceback). Any
# other importer keeps its handler.
_EARLY_SIGNALS: list[int] = []
if (
    sys.argv
    and sys.argv[0].rsplit("/", 1)[-1] == "tariff-etl"
    and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler
):
    _signal.signal(_signal.SIGINT, lambda signum, frame: _EARLY_SIGNALS.append(signum))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import logging  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from etl.errors import EtlError  # noqa: E402


def _console():  # rich is imported lazily so `--help` stays instant
    from etl.render import console

    return console()


def cmd_run(args: argparse.Namespace) -> int:
    from rich.text import Text

    from etl import pipeline, render, runs
    from etl.render import safe
    from etl.settings import get_settings

    settings = get_settings()
    console = _console()
    if args.quiet or args.json:
        summary = pipeline.run_all(settings, reingest=args.reingest)
    else:
        with console.status("starting") as status:
            summary = pipeline.run_all(
                settings, on_step=lambda s: status.update(s), reingest=args.reingest
            )
    if args.json:
        import json

        print(
            json.dumps(
                {
                    "run_id": summary.run_id,
                    "published_to": str(summary.published_to),
                    "datasets": summary.datasets,
                    "checks": summary.checks,
                    "headline": summary.headline,
                },
                default=str,
                indent=1,
            )
        )
        return 0
    if args.quiet:
        print(summary.run_id)
        return 0
    console.print(
        Text.assemble((f"run {summary.run_id}", "bold"), " published to "),
        safe(settings.current_dir),
    )
    columns = ("dataset", "read", "loaded", "quarantined", "of which tolerated")
    counts = ("rows_read", "rows_loaded", "rows_quarantined", "rows_quarantined_tolerated")
    console.print(
        render.table(
            columns,
            [[name, *(f"{c[k]:,}" for k in counts)] for name, c in summary.datasets.items()],
            "datasets (rows)",
            justify={col: "right" for col in columns[1:]},
        )
    )
    console.print(
        render.table(
            ("layer", "passed", "failed (critical)", "warnings"),
            [
                (layer, c["passed"], c["failed_critical"], len(c["warnings"]))
                for layer, c in ((layer, summary.checks[layer]) for layer in runs.GATES)
            ],
            "quality gates",
        )
    )
    for layer in runs.GATES:
        for warning in summary.checks[layer]["warnings"]:
            console.print(Text("warning", style="yellow"), safe(warning))
    head_columns = ("as of", "covered (USD bn)", "total (USD bn)", "share")
    console.print(
        render.table(
            head_columns,
            [
                (
                    h["as_of_date"],
                    f"{h['covered_value_usd'] / 1e9:,.2f}",
                    f"{h['total_value_usd'] / 1e9:,.2f}",
                    f"{h['coverage_share']:.1%}",
                )
                for h in summary.headline
            ],
            "China's 2017 imports from the US covered by retaliation",
            justify=dict.fromkeys(head_columns, "right"),
        )
    )
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from etl import render, runs
    from etl.errors import clip
    from etl.settings import get_settings

    rows = [
        (
            run["run_id"],
            run["status"],
            "*" if run["is_current"] else "",
            clip(run.get("error", ""), 200),
        )
        for run in runs.list_runs(get_settings())
    ]
    _console().print(
        render.table(("run_id", "status", "current", "error"), rows, "runs (newest first)")
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from etl import publishing
    from etl.settings import get_settings

    run_id = publishing.rollback(get_settings(), args.run_id)
    print(f"current -> {run_id}")
    return 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    from etl import publishing
    from etl.settings import get_settings

    rows = publishing.quarantine_summary(get_settings(), args.run_id)
    if not rows:
        print("no quarantined rows")
    from etl.errors import clip

    for dataset, reason_code, reason_example, count in rows:
        print(f"{clip(dataset)}\t{clip(reason_code)}\t{count}\t{clip(reason_example, 200)}")
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def cmd_scenarios(args: argparse.Namespace) -> int:
    from etl import publishing, render
    from etl.settings import get_settings

    bands = publishing.scenario_bands(get_settings())
    if args.json:
        columns = list(bands[0]) if bands else []
        print(render.to_json(columns, [tuple(b.values()) for b in bands]))
        return 0
    rows = []
    for band in bands:
        claimed = (
            f"{_pct(band['claimed_share_low'])} - {_pct(band['claimed_share_high'])}"
            if band["claimed_share_low"] is not None
            else "-"
        )
        rows.append(
            (
                band["scenario_id"],
                band["product_scope"],
                f"{band['base_schedule_id']} @ {band['base_date']}",
                f"{_pct(band['coverage_share_low'])} - {_pct(band['coverage_share_high'])}",
                f"{_basis_year(band['low_weight_basis_id'])} {band['low_method']} / "
                f"{_basis_year(band['high_weight_basis_id'])} {band['high_method']}",
                claimed,
                f"{band['covered_value_low_usd'] / 1e9:,.2f} - "
                f"{band['covered_value_high_usd'] / 1e9:,.2f}",
            )
        )
    columns = (
        "scenario",
        "weights",
        "base",
        "band (low - high)",
        "low / high (basis year, method)",
        "claimed",
        "covered USD bn",
    )
    title = "exemption scenarios: share of the taxed trade covered, across weight bases and methods"
    _console().print(render.table(columns, rows, title))
    return 0


def _basis_year(basis_id: str) -> str:
    """'census_phase_one_products.usa_exports.2018.hs2017.hs4' -> 'usa 2018'."""
    parts = basis_id.split(".")
    return f"{parts[1].split('_')[0]} {parts[2]}" if len(parts) == 5 else basis_id


def cmd_explain(args: argparse.Namespace) -> int:
    from etl import publishing
    from etl.errors import escape_control
    from etl.settings import get_settings

    def print(text: str) -> None:  # data shown as it is: control characters escaped
        sys.stdout.write(escape_control(text) + "\n")

    for row in publishing.explain_line(get_settings(), args.scenario, args.hs_code):
        verdict = "ELIGIBLE" if row["is_eligible"] else "not eligible"
        taxed = f"taxed at +{row['additional_rate_pct']:g}%" if row["is_taxed"] else "not taxed"
        print(
            f"{row['national_line_code']}  {verdict}  ({taxed} on {row['base_date']}, "
            f"{row['base_schedule_id']})"
        )
        print(f"  {row['line_description'][:110]}")
        print(f"  categories: {row['categories'] or '-'}")
        print(
            f"  include rules matched: {row['include_rules_matched'] or '-'}; "
            f"exclude rules matched: {row['exclude_rules_matched'] or '-'}"
        )
        print(f"  decided by: {row['decided_by']}")
    return 0


def _emit(columns: list[str], rows: list[tuple], fmt: str, title: str | None = None) -> None:
    from etl import render

    if fmt == "csv":
        sys.stdout.write(render.to_csv(columns, rows))
    elif fmt == "json":
        print(render.to_json(columns, rows))
    else:
        _console().print(render.table(columns, rows, title))


def cmd_sql(args: argparse.Namespace) -> int:
    from etl import analyst
    from etl.settings import get_settings

    columns, rows = analyst.run_query(get_settings(), args.query, args.allow_files or ())
    _emit(columns, rows, args.format)
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    from etl import analyst
    from etl.settings import get_settings

    tables = analyst.list_tables(get_settings())
    columns = ["mart", "grain", "key", "rows"]
    _emit(
        columns,
        [tuple(t[c] for c in columns) for t in tables],
        args.format,
        "published marts (views in tariffs.duckdb)",
    )
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    """A small read-only SQL prompt (statements end with ';', `.quit` leaves)."""
    from etl import analyst
    from etl.settings import get_settings

    settings = get_settings()
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history where available)
    print(
        f"tariff-etl shell on {settings.duckdb_path} (read-only). End statements with ';', "
        "'.tables' lists marts, '.quit' leaves."
    )
    buffer: list[str] = []
    failed = 0
    while True:
        try:
            line = input("sql> " if not buffer else "...> ")
        except EOFError:
            print()
            break
        if not buffer and line.strip() in {".quit", ".exit"}:
            break
        if not buffer and line.strip() == ".tables":
            cmd_tables(argparse.Namespace(format="table"))
            continue
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        query, buffer = "\n".join(buffer), []
        try:
            _emit(*analyst.run_query(settings, query, args.allow_files or ()), args.format)
        except EtlError as exc:
            failed += 1
            print(f"error: {_one_line(exc)}", file=sys.stderr)
    if buffer:  # a statement without its closing ';' at the end of the input
        failed += 1
        print("error: the last statement has no closing ';' and was not run", file=sys.stderr)
    if failed:
        # the exit code says a statement failed (scripts piping SQL into the shell rely on it)
        raise EtlError(f"{failed} statement(s) failed")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from etl.atomic import write_text_atomic
    from etl.contract import data_dictionary_markdown
    from etl.settings import PROJECT_ROOT

    target = PROJECT_ROOT / "docs" / "data-dictionary.md"
    write_text_atomic(target, data_dictionary_markdown() + "\n")
    print(target)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from etl.report import build_report
    from etl.runs import checked_run_id
    from etl.settings import get_settings

    settings = get_settings()
    if args.run_id is not None:  # a run id is a name under runs/, never a path
        checked_run_id(settings, args.run_id)
    for name, path in build_report(settings, args.run_id).items():
        print(f"{name}\t{path}")
    return 0


def cmd_airflow(args: argparse.Namespace) -> int:
    """Airflow 3 standalone with the project's DAGs, on loopback, until Ctrl-C."""
    import signal as signals
    import time

    from etl.orchestration import local
    from etl.settings import PROJECT_ROOT, get_settings

    home = PROJECT_ROOT / "airflow_home"
    print(f"starting Airflow 3 standalone (AIRFLOW_HOME={home}) ...", flush=True)
    server = local.start(get_settings(), home, port=args.port)
    print(
        f"Airflow UI and API: {server.url}\nlogin: {server.login()}\n"
        "Ctrl-C stops every Airflow process.",
        flush=True,
    )
    signals.signal(signals.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        while server.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("Airflow stopped.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tariff-etl", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest, build, validate and publish (the whole pipeline)")
    run.add_argument("--quiet", action="store_true", help="print only the run id")
    run.add_argument("--json", action="store_true", help="print the run summary as JSON")
    run.add_argument(
        "--reingest",
        action="store_true",
        help="re-read every landing file, not only those whose checksum changed",
    )
    run.set_defaults(func=cmd_run)
    runs = sub.add_parser("runs", help="list runs with their status")
    runs.set_defaults(func=cmd_runs)
    rollback = sub.add_parser("rollback", help="point current at an earlier published run")
    rollback.add_argument("run_id", nargs="?", help="default: the published run before current")
    rollback.set_defaults(func=cmd_rollback)
    quarantine = sub.add_parser("quarantine", help="count quarantined rows by dataset and reason")
    quarantine.add_argument("--run-id", help="default: the current run")
    quarantine.set_defaults(func=cmd_quarantine)
    formats = {"choices": ["table", "csv", "json"], "default": "table"}
    sql = sub.add_parser("sql", help="run a read-only query on the published DuckDB file")
    sql.add_argument("query", help="SQL (SELECT / WITH / DESCRIBE / SHOW / EXPLAIN only)")
    sql.add_argument("--format", **formats)
    allow_files = {
        "action": "append",
        "type": Path,
        "metavar": "DIR",
        "help": "also let queries read files in DIR (default: only the published warehouse)",
    }
    sql.add_argument("--allow-files", **allow_files)
    sql.set_defaults(func=cmd_sql)
    shell = sub.add_parser("shell", help="interactive read-only SQL prompt")
    shell.add_argument("--format", **formats)
    shell.add_argument("--allow-files", **allow_files)
    shell.set_defaults(func=cmd_shell)
    tables = sub.add_parser("tables", help="list the published marts with grain and rows")
    tables.add_argument("--format", **formats)
    tables.set_defaults(func=cmd_tables)
    docs = sub.add_parser("docs", help="regenerate docs/data-dictionary.md from the contract")
    docs.set_defaults(func=cmd_docs)
    scenarios = sub.add_parser("scenarios", help="list exemption scenarios with their band")
    scenarios.add_argument("--json", action="store_true", help="print the bands as JSON")
    scenarios.set_defaults(func=cmd_scenarios)
    explain = sub.add_parser("explain", help="why a line is or is not eligible in a scenario")
    explain.add_argument("scenario", help="scenario id, e.g. seed_story")
    explain.add_argument("hs_code", help="national line or prefix, e.g. 12019011 or 9018")
    explain.set_defaults(func=cmd_explain)
    from etl.customs.cli import add_parsers as add_customs_parsers

    add_customs_parsers(sub)  # `ingest <format> <path-or-glob>...` and `generate`
    airflow = sub.add_parser("airflow", help="run Airflow 3 standalone locally (Ctrl-C stops)")
    airflow.add_argument("--port", type=int, default=8080)
    airflow.set_defaults(func=cmd_airflow)
    report = sub.add_parser("report", help="write the HTML coverage report and key-charts PNG")
    report.add_argument("run_id", nargs="?", help="default: the current run")
    report.set_defaults(func=cmd_report)
    return parser


def _one_line(exc: BaseException) -> str:
    """An error as one safe line: control characters escaped, at most a few hundred characters
    (`--debug` shows everything)."""
    from etl.errors import MESSAGE_LIMIT, clip

    text = str(exc).strip() or type(exc).__name__
    return clip(" ".join(text.splitlines()), MESSAGE_LIMIT)


# commands that write to the warehouse (their folder must be a writable directory); the others
# only read it (a read-only warehouse is fine for them)
WRITERS = {"run", "rollback", "report", "ingest", "landed", "airflow"}
# commands that need no warehouse at all
NO_WAREHOUSE = {"docs", "generate"}


def _check_settings(command: str) -> None:
    from etl.settings import check_warehouse, get_settings

    settings = get_settings()  # SettingsError (exit 2) names a bad variable
    if command not in NO_WAREHOUSE:
        check_warehouse(settings, writable=command in WRITERS)


# signals received while `main` runs (SIGINT/SIGTERM), and whether they only are recorded
_SIGNALS: dict[str, object] = {"received": [], "defer": False}


def _on_signal(signum: int, frame: object) -> None:
    """SIGINT raises KeyboardInterrupt, SIGTERM `Interrupted` (both unwind: a run in progress is
    marked failed, locks are released); either way the signal is recorded, so the exit code is
    128 + signum even when a library turns the exception into another one (DuckDB's
    `RuntimeError: Query interrupted`, Python's `RuntimeError` from `__set_name__`) or swallows
    it. While deferring (importing DuckDB) it is only recorded."""
    received = _SIGNALS["received"]
    assert isinstance(received, list)
    received.append(signum)
    if not _SIGNALS["defer"]:
        _raise_for(signum)


def _raise_for(signum: int) -> None:
    import signal

    from etl.errors import Interrupted

    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Interrupted(signum)


def _import_duckdb() -> None:
    """DuckDB's extension module aborts the process (SIGABRT, exit 134) when a signal handler
    raises while it is being imported, so it is imported here with signals only recorded."""
    _SIGNALS["defer"] = True
    try:
        import duckdb  # noqa: F401
    finally:
        _SIGNALS["defer"] = False


def _signalled() -> int | None:
    received = _SIGNALS["received"]
    assert isinstance(received, list)
    return received[0] if received else None


def _interrupted_code(signum: int) -> int:
    import signal

    name = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    print(f"interrupted{name}", file=sys.stderr)
    return 128 + signum


def main(argv: Sequence[str] | None = None) -> int:
    import signal
    import threading

    from etl.errors import Interrupted

    # SIGINT -> 130 and SIGTERM -> 143 from here on (see _on_signal); an ignored SIGINT (a
    # background job) stays ignored (signal handlers can only be set from the main thread;
    # tests may call main elsewhere)
    previous: dict[int, object] = {}
    _SIGNALS["received"], _EARLY_SIGNALS[:] = list(_EARLY_SIGNALS), []
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) != signal.SIG_IGN:
                previous[signum] = signal.signal(signum, _on_signal)
    try:
        try:
            if (signum := _signalled()) is not None:  # received while this module loaded
                _raise_for(signum)
            args = build_parser().parse_args(argv)  # imports modules: signals can land here
        except (KeyboardInterrupt, Interrupted, Exception):
            if (signum := _signalled()) is not None:
                return _interrupted_code(signum)
            raise
        return _run_command(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _SIGNALS["received"] = []


def _run_command(args: argparse.Namespace) -> int:
    import signal

    from etl.errors import Interrupted

    level = logging.DEBUG if args.debug else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.root.handlers:  # some libraries set INFO on their own loggers
        handler.setLevel(level)
    try:
        if args.command not in NO_WAREHOUSE:
            _import_duckdb()
        if (signum := _signalled()) is not None:  # received while importing, or swallowed
            _raise_for(signum)
        _check_settings(args.command)
        code = args.func(args)
        if (signum := _signalled()) is not None:  # swallowed by a library: still interrupted
            return _interrupted_code(signum)
        return code
    except EtlError as exc:
        if (signum := _signalled()) is not None:
            return _interrupted_code(signum)
        if args.debug:
            import traceback

            traceback.print_exc()
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted_code(_signalled() or signal.SIGINT)
    except Interrupted as exc:
        return _interrupted_code(_signalled() or exc.signum)
    except Exception as exc:  # anything else is a bug: one line unless --debug
        if (signum := _signalled()) is not None:  # a signal's exception turned into another
            return _interrupted_code(signum)
        if args.debug:
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {_one_line(exc)} "
            "(rerun with --debug for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
