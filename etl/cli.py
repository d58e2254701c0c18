"""`tariff-etl`: run the pipeline and inspect its runs without an Airflow server.

Exit codes: 0 success; 1 unexpected error; 2 a clear pipeline error (bad input, failed quality
gate, lock held, ...); 130 interrupted. Errors print one line; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence

from etl.errors import EtlError


def _console():  # rich is imported lazily so `--help` stays instant
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def cmd_run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from etl import pipeline
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
    console.print(f"[bold]run {summary.run_id}[/] published to {settings.current_dir}")
    table = Table(title="datasets (rows)")
    for col in ("dataset", "read", "loaded", "quarantined", "of which tolerated"):
        table.add_column(col, justify="left" if col == "dataset" else "right")
    for name, c in summary.datasets.items():
        table.add_row(
            name,
            f"{c['rows_read']:,}",
            f"{c['rows_loaded']:,}",
            f"{c['rows_quarantined']:,}",
            f"{c['rows_quarantined_tolerated']:,}",
        )
    console.print(table)
    checks = Table(title="quality gates")
    for col in ("layer", "passed", "failed (critical)", "warnings"):
        checks.add_column(col)
    for layer in pipeline.GATES:
        c = summary.checks[layer]
        checks.add_row(layer, str(c["passed"]), str(c["failed_critical"]), str(len(c["warnings"])))
    console.print(checks)
    for layer in pipeline.GATES:
        for warning in summary.checks[layer]["warnings"]:
            console.print(f"[yellow]warning[/] {warning}")
    head = Table(title="China's 2017 imports from the US covered by retaliation")
    for col in ("as of", "covered (USD bn)", "total (USD bn)", "share"):
        head.add_column(col, justify="right")
    for h in summary.headline:
        head.add_row(
            str(h["as_of_date"]),
            f"{h['covered_value_usd'] / 1e9:,.2f}",
            f"{h['total_value_usd'] / 1e9:,.2f}",
            f"{h['coverage_share']:.1%}",
        )
    console.print(head)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from rich.table import Table

    from etl import pipeline
    from etl.settings import get_settings

    table = Table(title="runs (newest first)")
    for col in ("run_id", "status", "current", "error"):
        table.add_column(col)
    for run in pipeline.list_runs(get_settings()):
        table.add_row(
            run["run_id"], run["status"], "*" if run["is_current"] else "", run.get("error", "")
        )
    _console().print(table)
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
    for dataset, reason_code, reason_example, count in rows:
        print(f"{dataset}\t{reason_code}\t{count}\t{reason_example}")
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def cmd_scenarios(args: argparse.Namespace) -> int:
    from rich.table import Table

    from etl import publishing
    from etl.settings import get_settings

    bands = publishing.scenario_bands(get_settings())
    if args.json:
        import json

        print(json.dumps(bands, default=str, indent=1))
        return 0
    table = Table(
        title="exemption scenarios: share of the taxed trade covered, across weight bases "
        "and methods"
    )
    for col in (
        "scenario",
        "weights",
        "base",
        "band (low - high)",
        "low / high (basis year, method)",
        "claimed",
        "covered USD bn",
    ):
        table.add_column(col)
    for band in bands:
        claimed = (
            f"{_pct(band['claimed_share_low'])} - {_pct(band['claimed_share_high'])}"
            if band["claimed_share_low"] is not None
            else "-"
        )
        table.add_row(
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
    _console().print(table)
    return 0


def _basis_year(basis_id: str) -> str:
    """'census_phase_one_products.usa_exports.2018.hs2017.hs4' -> 'usa 2018'."""
    parts = basis_id.split(".")
    return f"{parts[1].split('_')[0]} {parts[2]}" if len(parts) == 5 else basis_id


def cmd_explain(args: argparse.Namespace) -> int:
    from etl import publishing
    from etl.settings import get_settings

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
    from etl import analyst

    if fmt == "csv":
        sys.stdout.write(analyst.to_csv(columns, rows))
    elif fmt == "json":
        print(analyst.to_json(columns, rows))
    else:
        from rich.table import Table

        table = Table(title=title)
        for col in columns:
            table.add_column(col)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        _console().print(table)


def cmd_sql(args: argparse.Namespace) -> int:
    from etl import analyst
    from etl.settings import get_settings

    columns, rows = analyst.run_query(get_settings(), args.query)
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
    while True:
        try:
            line = input("sql> " if not buffer else "...> ")
        except EOFError:
            print()
            return 0
        if not buffer and line.strip() in {".quit", ".exit"}:
            return 0
        if not buffer and line.strip() == ".tables":
            cmd_tables(argparse.Namespace(format="table"))
            continue
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        query, buffer = "\n".join(buffer), []
        try:
            _emit(*analyst.run_query(settings, query), args.format)
        except EtlError as exc:
            print(f"error: {exc}", file=sys.stderr)


def cmd_docs(args: argparse.Namespace) -> int:
    from etl.contract import data_dictionary_markdown
    from etl.settings import PROJECT_ROOT

    target = PROJECT_ROOT / "docs" / "data-dictionary.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(data_dictionary_markdown() + "\n", encoding="utf-8")
    print(target)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from etl.report import build_report
    from etl.settings import get_settings

    for name, path in build_report(get_settings(), args.run_id).items():
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
    sql.set_defaults(func=cmd_sql)
    shell = sub.add_parser("shell", help="interactive read-only SQL prompt")
    shell.add_argument("--format", **formats)
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.debug else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.root.handlers:  # some libraries set INFO on their own loggers
        handler.setLevel(level)
    try:
        return args.func(args)
    except EtlError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # anything else is a bug: one line unless --debug
        if args.debug:
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
