"""Public API of the customs ingest: `ingest_files` and `landed_glob`.

    from etl.customs.api import ingest_files, landed_glob
    results = ingest_files(settings, "comtrade", [Path("TradeData_China_USA.csv")])

Each input file is checked against the landed manifest first (size + mtime, then sha256): an
unchanged file is skipped and nothing is written. A new or changed file is parsed by its
format's adapter, streamed once through DuckDB into partitioned Parquet, reconciled
(rows read = rows loaded + rows quarantined) and switched into place partition by partition
(see `etl.customs.store`).

Parallel-safe: the heavy work (adapter + DuckDB stream into a per-file temp folder) runs without
the warehouse lock, so ingests of different files (mapped Airflow tasks, several CLI calls) run
side by side. Only the commit takes the lock, waiting for it (`lock_wait_s`) instead of failing:
re-read the manifest, re-check that the file is still new or changed (another writer may have
landed the same bytes meanwhile), switch its parts into place, write the manifest. A pipeline
run snapshots the landed store under the same lock, so it never sees half a commit.
"""

from __future__ import annotations

import glob
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from etl.customs import census, china_customs, comtrade
from etl.customs.core import FileContext, IngestOptions, Prepared
from etl.customs.store import LandedStore, StreamOutcome, reconcile
from etl.errors import EtlError, SourceFormatError
from etl.lock import warehouse_lock
from etl.settings import Settings

Adapter = Callable[[FileContext, Path], Prepared]
ADAPTERS: dict[str, Adapter] = {
    "comtrade": comtrade.prepare,
    "census": census.prepare,
    "china-customs": china_customs.prepare,
}
FORMATS = tuple(ADAPTERS)
# options that change what a file of each format lands as (part of the manifest identity)
_RELEVANT_OPTIONS = {"comtrade": (), "census": (), "china-customs": ("flow", "cny_per_usd")}
# how long a commit waits for the warehouse lock: other files' commits take seconds, but a
# pipeline step (a build layer) may hold it for minutes
DEFAULT_LOCK_WAIT_S = 600.0


@dataclass(frozen=True)
class FileResult:
    """The outcome for one input file."""

    path: Path
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    partitions_written: list[str]  # partition folders (relative to trade_flows/) rewritten
    skipped_unchanged: bool
    source: str | None = None
    sha256: str | None = None
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    partitions_removed: list[str] = field(default_factory=list)
    error: str | None = None  # set only when ingest_files(..., stop_on_error=False)


def landed_glob(settings: Settings) -> str:
    """The glob the staging model reads: every landed trade-flow part file."""
    return str(LandedStore(settings).trade_flows / "**" / "*.parquet")


def expand_paths(patterns: Iterable[str]) -> list[Path]:
    """CLI arguments -> files: each is a path or a glob (`**` allowed); sorted, de-duplicated.

    A glob that matches nothing is an error naming it (a typo must not look like "0 files").
    """
    out: dict[Path, None] = {}
    for pattern in patterns:
        if glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
            matches = [m for m in matches if m.is_file()]
            if not matches:
                raise EtlError(f"no file matches {pattern!r}")
            out.update(dict.fromkeys(matches))
        else:
            out[Path(pattern)] = None
    return list(out)


def display_name(path: Path, landing_dir: Path) -> str:
    """As `SourceFile.open` names files: relative to the landing folder, else the path given."""
    try:
        return str(path.resolve().relative_to(landing_dir))
    except ValueError:
        return str(path.resolve())


def ingest_files(
    settings: Settings,
    fmt: str,
    paths: Sequence[Path],
    *,
    options: IngestOptions | None = None,
    verify: bool = False,
    stop_on_error: bool = True,
    lock_wait_s: float = DEFAULT_LOCK_WAIT_S,
) -> list[FileResult]:
    """Ingest `paths` of format `fmt` ('comtrade', 'census', 'china-customs') into the store.

    `verify=True` hashes every file even when size and mtime are unchanged. With
    `stop_on_error=False` a file that cannot be read is reported in its FileResult (`error`)
    and the others still load; by default the first such file raises its EtlError.
    Each file's commit waits up to `lock_wait_s` for the warehouse lock (then LockError).
    """
    if fmt not in ADAPTERS:
        raise EtlError(f"unknown customs format {fmt!r}; expected one of {', '.join(FORMATS)}")
    options = options or IngestOptions()
    store = LandedStore(settings)
    results: list[FileResult] = []
    con = _LazyConnection(store)  # opened only if some file is new or changed
    try:
        for path in paths:
            try:
                results.append(
                    _ingest_one(store, con, fmt, Path(path), options, verify, lock_wait_s)
                )
            except EtlError as exc:
                if stop_on_error:
                    raise
                results.append(FileResult(Path(path), 0, 0, 0, [], False, error=str(exc)))
    finally:
        con.close()
    return results


class _LazyConnection:
    """The DuckDB connection of one call, opened on first use."""

    def __init__(self, store: LandedStore) -> None:
        self.store = store
        self._con = None
        self._spill: Path | None = None

    def get(self):  # -> duckdb.DuckDBPyConnection
        if self._con is None:
            self._con, self._spill = self.store.connect()
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            shutil.rmtree(self._spill, ignore_errors=True)


def _ingest_one(
    store: LandedStore,
    con: _LazyConnection,
    fmt: str,
    path: Path,
    options: IngestOptions,
    verify: bool,
    lock_wait_s: float,
) -> FileResult:
    settings = store.settings
    name = display_name(path, settings.landing_dir)
    if not path.is_file():
        raise SourceFormatError(name, "file not found")
    stat = path.stat()
    if stat.st_size == 0:
        raise SourceFormatError(name, "file is empty")
    opts = {k: v for k, v in options.as_dict().items() if k in _RELEVANT_OPTIONS[fmt]}
    # a snapshot, read without the lock (the manifest is replaced atomically): enough to skip an
    # unchanged file without writing anything; every write re-reads it under the lock
    entry = store.read_manifest()["files"].get(name)
    if (
        not verify
        and _same_inputs(store, entry, fmt, opts)
        and entry["size"] == stat.st_size
        and entry["mtime_ns"] == stat.st_mtime_ns
    ):
        return _skipped(path, entry)

    ctx = FileContext(
        path, name, "", datetime.now(UTC), options, parallelism=settings.duckdb_threads
    )
    prepared = ADAPTERS[fmt](ctx, store.tmp)
    outcome: StreamOutcome | None = None
    lock_purpose = f"tariff-etl customs ingest {fmt} {name}"
    try:
        if _same_inputs(store, entry, fmt, opts) and entry["sha256"] == prepared.sha256:
            # touched, not changed: remember the new stat so the next run skips on stat alone
            with warehouse_lock(settings.lock_path, lock_purpose, wait_s=lock_wait_s):
                skipped = _skip_if_landed(store, name, fmt, opts, prepared.sha256, stat)
            if skipped is not None:
                return _skipped(path, skipped)
        outcome = store.stream(con.get(), prepared, name)
        reconcile(name, prepared, outcome)
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            # still being copied or rewritten: landing it would publish a truncated file
            raise SourceFormatError(
                name,
                f"file changed while it was read (size {stat.st_size} -> {after.st_size}); "
                "copy it in under a .part name and rename it when complete",
            )
        with warehouse_lock(settings.lock_path, lock_purpose, wait_s=lock_wait_s):
            # another writer may have landed this file since the snapshot
            skipped = _skip_if_landed(store, name, fmt, opts, prepared.sha256, stat)
            if skipped is None:
                manifest = store.read_manifest()
                old_parts = set(manifest["files"].get(name, {}).get("partitions", {}))
                written = store.commit(
                    manifest,
                    name,
                    prepared,
                    outcome,
                    {
                        "format": fmt,
                        "options": opts,
                        "sha256": prepared.sha256,
                        "size": stat.st_size,
                        "mtime_ns": stat.st_mtime_ns,
                        "ingested_at": ctx.loaded_at.isoformat(),
                        "rows_read": prepared.rows_read,
                        "rows_loaded": outcome.rows_loaded,
                        "rows_quarantined": outcome.quarantine.num_rows,
                    },
                )
        if skipped is not None:
            return _skipped(path, skipped)
    finally:
        prepared.cleanup()
        if outcome is not None and outcome.tmp_dir.exists():
            shutil.rmtree(outcome.tmp_dir, ignore_errors=True)
    reasons = Counter(outcome.quarantine.column("reason_code").to_pylist())
    return FileResult(
        path=path,
        rows_read=prepared.rows_read,
        rows_loaded=outcome.rows_loaded,
        rows_quarantined=outcome.quarantine.num_rows,
        partitions_written=written,
        skipped_unchanged=False,
        source=prepared.source,
        sha256=prepared.sha256,
        quarantine_reasons=dict(sorted(reasons.items())),
        partitions_removed=sorted(old_parts - set(written)),
    )


def _same_inputs(store: LandedStore, entry: dict | None, fmt: str, opts: dict) -> bool:
    """The manifest entry was landed from this format and options and its parts are all there."""
    return bool(
        entry
        and entry.get("format") == fmt
        and entry.get("options") == opts
        and store.parts_present(entry)
    )


def _skip_if_landed(
    store: LandedStore, name: str, fmt: str, opts: dict, sha256: str, stat: os.stat_result
) -> dict | None:
    """Under the lock: the current manifest entry when it already holds these bytes (its stat
    updated if the file was only touched), else None (the file must be committed)."""
    manifest = store.read_manifest()
    entry = manifest["files"].get(name)
    if not (_same_inputs(store, entry, fmt, opts) and entry["sha256"] == sha256):
        return None
    if (entry["size"], entry["mtime_ns"]) != (stat.st_size, stat.st_mtime_ns):
        entry.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns)
        store.write_manifest(manifest)
    return entry


def landed_files(settings: Settings) -> list[dict]:
    """Every landed input file with its format, source, rows and partitions (the manifest)."""
    files = LandedStore(settings).read_manifest()["files"]
    return [
        {
            "file": name,
            "format": entry["format"],
            "source": entry.get("source"),
            "rows_read": entry["rows_read"],
            "rows_loaded": entry["rows_loaded"],
            "rows_quarantined": entry["rows_quarantined"],
            "partitions": sorted(entry["partitions"]),
            "ingested_at": entry.get("ingested_at"),
            "sha256": entry["sha256"],
        }
        for name, entry in sorted(files.items())
    ]


def forget_files(settings: Settings, names: Sequence[str]) -> dict[str, list[str]]:
    """Remove landed files (as `landed_files` names them) from the store; the next run builds
    without them. Bundled files are landed again by `tariff-etl run` (etl.customs.inbox)."""
    store = LandedStore(settings)
    with warehouse_lock(
        settings.lock_path, "tariff-etl landed --forget", wait_s=settings.lock_wait_s
    ):
        return {name: store.forget(name) for name in names}


def _skipped(path: Path, entry: dict) -> FileResult:
    return FileResult(
        path=path,
        rows_read=entry["rows_read"],
        rows_loaded=entry["rows_loaded"],
        rows_quarantined=entry["rows_quarantined"],
        partitions_written=[],
        skipped_unchanged=True,
        source=entry.get("source"),
        sha256=entry["sha256"],
    )
