"""`tariff-etl ingest` and `tariff-etl generate`: the customs subcommands.

The main CLI (`etl/cli.py`) calls `add_parsers(sub)` with its subparsers object; each command
returns an exit code and raises `etl.errors.EtlError` (printed as one line, exit 2) when a file
cannot be read. Heavy imports happen inside the commands so `--help` stays instant.

    tariff-etl ingest comtrade data/landing/un_comtrade_totals/*.csv
    tariff-etl ingest china-customs 'exports/*进口*.csv' --flow import
    tariff-etl generate --format comtrade --rows 1000000 --out /tmp/comtrade_1m.csv --seed 7
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

INGEST_FORMATS = ("comtrade", "census", "china-customs")
GENERATE_FORMATS = ("comtrade", "china-customs")


def add_parsers(subparsers: Any) -> None:
    """Add `ingest`, `landed` and `generate` to an argparse subparsers object."""
    ingest = subparsers.add_parser(
        "ingest",
        help="land customs trade-flow files as partitioned Parquet (skips unchanged files)",
        description="Parse, validate and land customs trade-flow files under "
        "<warehouse>/landed/trade_flows/; malformed rows go to <warehouse>/landed/quarantine/.",
    )
    ingest.add_argument("format", choices=INGEST_FORMATS, help="layout of the files")
    ingest.add_argument("paths", nargs="+", metavar="path-or-glob", help="files or globs (**)")
    ingest.add_argument(
        "--flow",
        choices=("import", "export"),
        help="china-customs: the flow of the export (else taken from 进口/出口 in the file name)",
    )
    ingest.add_argument(
        "--cny-per-usd",
        type=float,
        metavar="RATE",
        help="china-customs: yuan per US dollar, to land an export valued in 人民币",
    )
    ingest.add_argument(
        "--verify",
        action="store_true",
        help="hash every file, even those whose size and mtime are unchanged",
    )
    ingest.set_defaults(func=cmd_ingest)

    landed = subparsers.add_parser(
        "landed",
        help="list the landed customs files, or remove some (--forget)",
        description="Without options: every landed file with its rows and partitions. "
        "--forget removes a file's rows from the store (e.g. one landed twice under two names); "
        "the next `tariff-etl run` builds without them.",
    )
    landed.add_argument("--forget", nargs="+", metavar="file", help="landed file names, as listed")
    landed.add_argument("--json", action="store_true", help="machine-readable output")
    landed.set_defaults(func=cmd_landed)

    gen = subparsers.add_parser(
        "generate",
        help="write a deterministic synthetic customs file (for tests and benchmarks)",
    )
    gen.add_argument("--format", required=True, choices=GENERATE_FORMATS)
    gen.add_argument("--rows", required=True, type=int, help="data rows to write")
    gen.add_argument("--out", required=True, type=Path, help="output file")
    gen.add_argument("--seed", type=int, default=0, help="same seed, same bytes (default 0)")
    gen.add_argument("--start", default="2015-01", help="first month, YYYY-MM (default 2015-01)")
    gen.add_argument("--months", type=int, default=120, help="months covered (default 120)")
    gen.add_argument(
        "--flow", choices=("import", "export"), default="import", help="china-customs only"
    )
    gen.add_argument(
        "--encoding",
        help="output encoding (default: gbk for china-customs, utf-8 for comtrade)",
    )
    gen.set_defaults(func=cmd_generate)


def cmd_landed(args: argparse.Namespace) -> int:
    import json

    from etl import render
    from etl.customs.api import forget_files, landed_files
    from etl.settings import get_settings

    settings = get_settings()
    console = render.console()
    if args.forget:
        for name, partitions in forget_files(settings, args.forget).items():
            console.print(
                render.safe(f"forgot {name}: {len(partitions)} partition(s) no longer fed by it")
            )
        return 0
    files = landed_files(settings)
    if args.json:
        print(json.dumps(files, indent=1))
        return 0
    columns = ("file", "format", "source", "loaded", "quarantined", "partitions")
    rows = [
        (
            f["file"],
            f["format"],
            f["source"] or "",
            f"{f['rows_loaded']:,}",
            f"{f['rows_quarantined']:,}",
            str(len(f["partitions"])),
        )
        for f in files
    ]
    console.print(
        render.table(
            columns,
            rows,
            f"landed customs files in {settings.warehouse / 'landed'}",
            justify={"loaded": "right", "quarantined": "right"},
            overflow="fold",  # a file name is what --forget takes: never cut it
        )
    )
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Land the files given. A command-line writer fails at once when the warehouse is locked
    (TARIFF_ETL_LOCK_WAIT_S, default 0), before parsing anything; a path that is not a regular
    file (directory, FIFO, socket, device, dangling symlink) is refused by name."""
    from etl import render
    from etl.customs.api import FileResult, expand_paths, ingest_files
    from etl.customs.core import IngestOptions
    from etl.customs.inbox import refusal
    from etl.errors import PATH_LIMIT, EtlError, clip
    from etl.lock import warehouse_lock
    from etl.settings import get_settings

    settings = get_settings()
    paths = expand_paths(args.paths)
    refused = {path: refusal(path) for path in paths}
    with warehouse_lock(
        settings.lock_path, "tariff-etl ingest (probe)", wait_s=settings.lock_wait_s
    ):
        pass  # a build or another writer holds it: fail now, naming the holder
    landed = ingest_files(
        settings,
        args.format,
        [path for path in paths if not refused[path]],
        options=IngestOptions(flow=args.flow, cny_per_usd=args.cny_per_usd),
        verify=args.verify,
        stop_on_error=False,
        lock_wait_s=settings.lock_wait_s,
    )
    by_path = {r.path: r for r in landed}
    results = [
        by_path.get(path)
        or FileResult(
            path, 0, 0, 0, [], False, error=f"file {clip(str(path), PATH_LIMIT)}: {refused[path]}"
        )
        for path in paths
    ]
    rows = []
    for r in results:
        status = "ERROR" if r.error else ("unchanged" if r.skipped_unchanged else "loaded")
        rows.append(
            (
                str(r.path),
                status,
                f"{r.rows_read:,}",
                f"{r.rows_loaded:,}",
                f"{r.rows_quarantined:,}",
                f"{len(r.partitions_written):,}",
            )
        )
    columns = ("file", "status", "read", "loaded", "quarantined", "partitions written")
    console = render.console()
    console.print(
        render.table(
            columns,
            rows,
            f"customs ingest ({args.format}) -> {settings.warehouse / 'landed'}",
            justify=dict.fromkeys(columns[2:], "right"),
        )
    )
    for r in results:
        if r.quarantine_reasons:
            reasons = ", ".join(f"{k} {v:,}" for k, v in r.quarantine_reasons.items())
            console.print(render.safe(f"quarantined in {r.path.name}: {reasons}"))
    failed = [r for r in results if r.error]
    if failed:
        raise EtlError(
            f"{len(failed)} of {len(results)} file(s) could not be ingested; first: "
            f"{failed[0].error}"
        )
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from etl.customs.generate import generate
    from etl.errors import EtlError

    try:
        result = generate(
            args.format,
            args.rows,
            args.out,
            args.seed,
            start=args.start,
            months=args.months,
            flow=args.flow,
            encoding=args.encoding,
        )
    except ValueError as exc:  # bad arguments (rows, months, start): one line, exit 2
        raise EtlError(f"generate: {exc}") from exc
    malformed = sum(result.malformed.values())
    print(
        f"wrote {result.rows:,} rows ({malformed:,} malformed) over {len(result.months)} months "
        f"to {result.path} ({result.bytes / 1e6:,.1f} MB)"
    )
    return 0
