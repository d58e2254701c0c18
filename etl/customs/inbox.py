"""Which customs files to land: the bundled ones plus whatever users drop in the inbox.

    <landing>/un_comtrade_totals/TradeData_*.csv        comtrade (bundled)
    <landing>/tradewar_tracker_aws/data*.parquet        census   (bundled)
    <landing>/census_us_exports_china_hs6/*.parquet     census   (bundled)
    <inbox>/<format>/**                                 any file, format from the folder name

`<inbox>` is `settings.customs_inbox` (default `<warehouse>/inbox`, env
`TARIFF_ETL_CUSTOMS_INBOX`); `<format>` is `comtrade`, `census` or `china-customs`. Dotfiles,
hidden folders and files still being copied (`*.tmp`, `*.part`) are ignored. Used by the
`ingest_customs_flows` DAG (one mapped task per input) and by `tariff-etl run` (serially).

Only regular files are read: a directory, FIFO, socket, device or dangling symlink is refused
with what it is (a FIFO would block the reader forever), and so is a symlink in the inbox whose
target lies outside the inbox (a link to `~/.env` must not be read, nor quoted in an error).
Under `tariff-etl run` a refused or unreadable inbox file does not stop the run: it is logged,
listed with its reason in `<warehouse>/inbox_rejected.json`, and the other files land (the DAG
fails that file's mapped task only). The bundled files still stop the run on error.
"""

from __future__ import annotations

import logging
import os
import stat
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from etl.atomic import write_json_atomic
from etl.customs.api import FORMATS, FileResult, display_name, ingest_files
from etl.errors import EtlError, SourceFormatError, clip
from etl.settings import Settings

log = logging.getLogger(__name__)

BUNDLED: tuple[tuple[str, str], ...] = (
    ("comtrade", "un_comtrade_totals/TradeData_China_USA.csv"),
    ("comtrade", "un_comtrade_totals/TradeData_USA_China.csv"),
    ("census", "tradewar_tracker_aws/data-hs4.parquet"),
    ("census", "tradewar_tracker_aws/data.parquet"),
    ("census", "census_us_exports_china_hs6/phaseone-tradedata-C-febuary.parquet"),
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
            # a symlink to a folder is not walked: it is an input, refused when ingested
            linked = [d for d in dirs if (Path(folder) / d).is_symlink()]
            for name in sorted(files + linked):
                if not _ignored(name):
                    found.append({"format": entry.name, "path": str(Path(folder) / name)})
    return found


def refusal(path: Path, inbox: Path | None = None) -> str | None:
    """Why `path` cannot be read as an input file (None: a regular file, fine to read).

    `inbox`: the folder a symlink must not leave."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be inspected ({exc.strerror})"
    if stat.S_ISLNK(info.st_mode):
        target = clip(os.readlink(path))
        try:
            info = path.stat()
        except FileNotFoundError:
            return f"is a dangling symlink (its target {target} does not exist)"
        except OSError as exc:
            return f"is a symlink whose target cannot be inspected ({exc.strerror})"
        if inbox is not None and not path.resolve().is_relative_to(Path(inbox).resolve()):
            return "is a symlink to a path outside the inbox; copy the file in instead"
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    return None


def _check_input(settings: Settings, item: dict[str, str]) -> None:
    path = Path(item["path"])
    in_inbox = path.absolute().is_relative_to(settings.customs_inbox)
    reason = refusal(path, settings.customs_inbox if in_inbox else None)
    if reason:
        raise SourceFormatError(str(path), reason)


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(IN_PROGRESS_SUFFIXES)


def ingest_input(settings: Settings, item: dict[str, str]) -> dict[str, Any]:
    """Land one discovered input (one mapped Airflow task) and summarise it for XCom.

    Idempotent: an unchanged file writes nothing and reports `partitions_written: []`.
    """
    _check_input(settings, item)
    (result,) = ingest_files(settings, item["format"], [Path(item["path"])])
    return summarize(settings, result)


def ingest_discovered(
    settings: Settings, inputs: list[dict[str, str]] | None = None
) -> list[FileResult]:
    """Land every discovered input (or `inputs`) one after the other, in order.

    A bundled file that cannot be read raises its EtlError (files landed before it stay
    landed). An inbox file that is refused or cannot be read is returned with its `error`,
    logged, and listed in `<warehouse>/inbox_rejected.json`; the others still land."""
    if inputs is None:
        inputs = discover_inputs(settings)
    results: list[FileResult] = []
    rejected: list[dict[str, str]] = []
    # consecutive inputs of one format and origin share one call (one DuckDB connection)
    for (fmt, in_inbox), group in groupby(
        inputs,
        key=lambda item: (
            item["format"],
            Path(item["path"]).absolute().is_relative_to(settings.customs_inbox),
        ),
    ):
        items = list(group)
        if not in_inbox:
            for item in items:
                _check_input(settings, item)
            results += ingest_files(settings, fmt, [Path(item["path"]) for item in items])
            continue
        readable = []
        for item in items:
            try:
                _check_input(settings, item)
                readable.append(item)
            except EtlError as exc:
                results.append(FileResult(Path(item["path"]), 0, 0, 0, [], False, error=str(exc)))
        results += ingest_files(
            settings, fmt, [Path(item["path"]) for item in readable], stop_on_error=False
        )
    for result in results:
        if result.error:
            log.warning("customs inbox file not landed: %s", clip(result.error, 300))
            rejected.append({"path": str(result.path), "reason": clip(result.error, 300)})
    _write_rejected(settings, rejected)
    order = {item["path"]: i for i, item in enumerate(inputs)}
    return sorted(results, key=lambda r: order.get(str(r.path), len(order)))


def _write_rejected(settings: Settings, rejected: list[dict[str, str]]) -> None:
    """`<warehouse>/inbox_rejected.json`: the inbox files the last run did not land, and why."""
    path = settings.warehouse / "inbox_rejected.json"
    if not rejected and not path.exists():
        return
    payload = {"checked_at": datetime.now(UTC).isoformat(), "rejected": rejected}
    write_json_atomic(path, payload, indent=1, ensure_ascii=False)


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
