"""Which customs files to land: the bundled ones plus whatever users drop in the inbox.

    <landing>/un_comtrade_totals/TradeData_*.csv        comtrade (bundled)
    <landing>/tradewar_tracker_aws/data*.parquet        census   (bundled)
    <inbox>/<format>/**                                 any file, format from the folder name

`<inbox>` is `settings.customs_inbox` (default `<warehouse>/inbox`, env
`TARIFF_ETL_CUSTOMS_INBOX`); `<format>` is `comtrade`, `census` or `china-customs`. Dotfiles,
hidden folders and files still being copied (`*.tmp`, `*.part`) are ignored. Used by the
`ingest_customs_flows` DAG (one mapped task per input) and by `tariff-etl run` (serially).
"""

from __future__ import annotations

import os
from itertools import groupby
from pathlib import Path
from typing import Any

from etl.customs.api import FORMATS, FileResult, display_name, ingest_files
from etl.errors import EtlError
from etl.settings import Settings

BUNDLED: tuple[tuple[str, str], ...] = (
    ("comtrade", "un_comtrade_totals/TradeData_China_USA.csv"),
    ("comtrade", "un_comtrade_totals/TradeData_USA_China.csv"),
    ("census", "tradewar_tracker_aws/data-hs4.parquet"),
    ("census", "tradewar_tracker_aws/data.parquet"),
)
# suffixes of files still being written by whoever drops them (browsers, rsync, scp -> rename)
IN_PROGRESS_SUFFIXES = (".tmp", ".part")


def discover_inputs(settings: Settings) -> list[dict[str, str]]:
    """Every input to land, as `{"format": ..., "path": ...}` (JSON-serialisable, for XCom),
    sorted by format then path so two calls over the same folders return the same list."""
    inputs = [{"format": fmt, "path": str(settings.landing_dir / rel)} for fmt, rel in BUNDLED]
    inputs += _inbox_inputs(settings.customs_inbox)
    return sorted(inputs, key=lambda item: (item["format"], item["path"]))


def _inbox_inputs(inbox: Path) -> list[dict[str, str]]:
    if not inbox.is_dir():
        return []  # nothing dropped yet: the folder is created by whoever drops the first file
    found: list[dict[str, str]] = []
    for entry in sorted(inbox.iterdir()):
        if _ignored(entry.name):
            continue
        if not entry.is_dir():
            raise EtlError(
                f"customs inbox: {entry} is not in a format folder; move it to "
                f"{inbox}/<format>/ with <format> one of {', '.join(FORMATS)}"
            )
        if entry.name not in FORMATS:
            raise EtlError(
                f"customs inbox: unknown format folder {entry}; expected one of "
                f"{', '.join(FORMATS)}"
            )
        for folder, dirs, files in os.walk(entry):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                if not _ignored(name) and path.is_file():
                    found.append({"format": entry.name, "path": str(path)})
    return found


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(IN_PROGRESS_SUFFIXES)


def ingest_input(settings: Settings, item: dict[str, str]) -> dict[str, Any]:
    """Land one discovered input (one mapped Airflow task) and summarise it for XCom.

    Idempotent: an unchanged file writes nothing and reports `partitions_written: []`.
    """
    (result,) = ingest_files(settings, item["format"], [Path(item["path"])])
    return summarize(settings, result)


def ingest_discovered(
    settings: Settings, inputs: list[dict[str, str]] | None = None
) -> list[FileResult]:
    """Land every discovered input (or `inputs`) one after the other, in order; the first file
    that cannot be read raises its EtlError (files landed before it stay landed)."""
    if inputs is None:
        inputs = discover_inputs(settings)
    results: list[FileResult] = []
    # consecutive inputs of one format share one call (one DuckDB connection)
    for fmt, items in groupby(inputs, key=lambda item: item["format"]):
        results += ingest_files(settings, fmt, [Path(item["path"]) for item in items])
    return results


def input_label(settings: Settings, item: dict[str, str]) -> str:
    """A short name for an input (the mapped task's label in the Airflow UI, at most 250
    characters): `inbox/<format>/...` or its path relative to the landing folder."""
    path = Path(item["path"])
    for base, prefix in ((settings.customs_inbox, "inbox/"), (settings.landing_dir, "")):
        if path.is_relative_to(base):
            label = prefix + str(path.relative_to(base))
            break
    else:
        label = str(path)
    return label if len(label) <= 250 else "..." + label[-247:]


def summarize(settings: Settings, result: FileResult) -> dict[str, Any]:
    """A FileResult as a small JSON-serialisable dict."""
    return {
        "file": display_name(result.path, settings.landing_dir),
        "status": "unchanged" if result.skipped_unchanged else "loaded",
        "rows_read": result.rows_read,
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
        "partitions_written": result.partitions_written,
    }
