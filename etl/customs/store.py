"""The landed store: Hive-partitioned Parquet, atomic partition switches, a checksum manifest.

Layout under `<warehouse>/landed/`:

    trade_flows/source=<s>/reporter=<ISO3>/year=<yyyy>/part-<file key>[-<n>].parquet
    quarantine/<source>/part-<file key>.parquet      (etl.ingest.common.QUARANTINE_SCHEMA)
    manifest.json                                    (written atomically)
    .tmp/                                            (work files and DuckDB spill; never read)

- Partitions are source/reporter/year, not month: a monthly file already owns its own part
  file (below), so a month is replaced without touching its neighbours; a month level would
  multiply the part files by 12 and make ten-year files 40% slower to land (measured).
- `<file key>` is derived from the input file's name (its path relative to the landing folder,
  else its absolute path): every input file owns its part files in the partitions it feeds.
  Two files feeding one partition (China Customs imports and exports of one month, or the 12
  monthly files of a year) never overwrite each other; re-ingesting a file replaces exactly its
  own parts.
- Each piece of a file (see `etl.customs.textscan`) is streamed by one DuckDB `COPY` into a
  plain Parquet file under `.tmp`: only accepted rows are written; rejected ones leave through
  a side channel (a Python function called by the query for those rows only). A piece is cut to
  hold one partition; one that still holds several (unordered or small files) is split by a
  second, parallel `COPY ... PARTITION_BY` over that Parquet file.
- Each finished part file is fsynced, checksummed and `os.replace`d into its partition folder (an
  atomic rename on one filesystem: a reader sees the old part or the new one, never half). Parts
  the file no longer feeds are then deleted, and the manifest is rewritten last. A crash in
  between leaves the manifest describing the previous version, so the next ingest of that file
  redoes the switch (every step is idempotent).

Concurrency: everything up to the commit (adapter, COPYs, splits) works in per-file folders
under `.tmp` and needs no lock, so different files land in parallel; `commit` must be called
under the warehouse lock with a manifest read under that lock (`etl.customs.api` does both).

The manifest maps each input file to its sha256, size, mtime, format and options, and each
partition it produced to its part files, row count and the part files' sha256. An input whose
size and mtime are unchanged (or, after hashing, whose sha256 is unchanged) is skipped: nothing
is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl.atomic import write_json_atomic, write_parquet_atomic
from etl.customs.core import Prepared, lit
from etl.customs.schema import DUCKDB_TYPES, LANDED_COLUMNS, LANDED_SCHEMA
from etl.errors import EtlError, ReconciliationError, SourceFormatError
from etl.ingest.common import QUARANTINE_SCHEMA, sha256_file
from etl.settings import Settings

MANIFEST_VERSION = 1
# DuckDB's cap for one ingest. The
# pieces stream, so they need little; DuckDB's allocator otherwise keeps freed memory cached
# up to the limit, which would make peak RSS grow with the file instead of staying flat.
DEFAULT_MEMORY_LIMIT = "512MB"
ROW_GROUP_SIZE = 65536
# Snappy, not zstd: measured 15% less CPU for the whole ingest (zstd level 3 on 22 columns);
# the files are ~30% bigger. DuckDB's and pandas' default, so the benchmark compares like
# with like; the published marts keep zstd (etl.atomic).
COMPRESSION = "snappy"
# a file whose pieces reject more rows than this is in the wrong format, not dirty: stop early
MAX_REJECTED_ROWS = 1_000_000
_PARTITION = re.compile(r"^source=[a-z_]+/reporter=[A-Z]{3}/year=\d{4}$")


def file_key(display_name: str) -> str:
    return hashlib.sha1(display_name.encode("utf-8")).hexdigest()[:16]


@dataclass
class StreamOutcome:
    """What the COPYs of one file produced in its temp folder."""

    records: int
    parts: dict[str, list[Path]]  # partition (relative path) -> part files
    part_rows: dict[str, int]
    quarantine: pa.Table
    tmp_dir: Path

    @property
    def rows_loaded(self) -> int:
        return sum(self.part_rows.values())


@dataclass
class LandedStore:
    settings: Settings
    root: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = self.settings.warehouse / "landed"

    @property
    def trade_flows(self) -> Path:
        return self.root / "trade_flows"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def tmp(self) -> Path:
        return self.root / ".tmp"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    # ------------------------------------------------------------------ manifest

    def read_manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            return {"version": MANIFEST_VERSION, "files": {}}
        manifest = json.loads(self.manifest_path.read_text())
        if manifest.get("version") != MANIFEST_VERSION:
            raise EtlError(
                f"{self.manifest_path}: manifest version {manifest.get('version')} is not "
                f"{MANIFEST_VERSION}"
            )
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json_atomic(self.manifest_path, manifest, sort_keys=True, separators=(",", ":"))

    def parts_present(self, entry: dict[str, Any]) -> bool:
        """Every part file the manifest lists for an input still exists."""
        for rel, part in entry.get("partitions", {}).items():
            for name in part["files"]:
                if not (self.trade_flows / rel / name).exists():
                    return False
        quarantine = entry.get("quarantine_file")
        return quarantine is None or (self.root / quarantine).exists()

    # ------------------------------------------------------------------ DuckDB

    def connect(self) -> tuple[duckdb.DuckDBPyConnection, Path]:
        """An in-memory DuckDB with bounded memory, and the folder it spills to (the caller
        removes it after closing the connection).

        Each connection spills to its own folder under `.tmp/spill/`: DuckDB deletes its temp
        folder when the connection closes (checked on 2.0), which would pull a shared folder
        from under a concurrent ingest still spilling into it.
        """
        spill = self.tmp / "spill" / uuid.uuid4().hex
        spill.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        con.execute(f"SET memory_limit = {lit(DEFAULT_MEMORY_LIMIT)}")
        con.execute(f"SET threads = {int(self.settings.duckdb_threads)}")
        con.execute(f"SET temp_directory = {lit(str(spill))}")
        # no query here needs its result order kept (row numbers come from the scan itself)
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET allocator_flush_threshold = '16MB'")  # hand freed memory back sooner
        return con, spill

    def stream(
        self, con: duckdb.DuckDBPyConnection, prepared: Prepared, display_name: str
    ) -> StreamOutcome:
        """Run the adapter's SELECTs (one per file piece, concurrently) into Parquet under a
        fresh temp folder; collect rejected rows; split pieces that span partitions."""
        out = self.tmp / f"copy-{uuid.uuid4().hex}"
        out.mkdir(parents=True)
        rejected: list[tuple] = []  # (code, field, value, reason, row) from the side channel
        files = [out / f"piece-{k}.parquet" for k in range(len(prepared.relations))]
        # Lookup tables and small inputs (JSON/Parquet records) become views, visible to every
        # cursor. The small inputs go through temp Parquet files: registering an Arrow object
        # in DuckDB imports pandas (0.3 s of a fresh process).
        for name, select in prepared.views.items():
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
        for name, table in prepared.arrow_inputs.items():
            path = out / f"input-{name}.parquet"
            pq.write_table(table, path, compression="none")
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({lit(str(path))})"
            )

        # One cursor (connection) per worker thread, reused for all its pieces: DuckDB releases
        # the GIL, so pieces run in parallel. Each cursor registers the side channel once
        # (functions live in the database's catalog: one name per cursor). Creating a cursor
        # and a function per piece grew RSS by ~15 MB per piece (measured), not flat.
        local = threading.local()
        cursors: list[tuple[duckdb.DuckDBPyConnection, str]] = []
        lock = threading.Lock()

        def run(k: int) -> int:
            if not hasattr(local, "cursor"):
                local.cursor = con.cursor()
                local.sink = f"customs_quarantine_{uuid.uuid4().hex}"
                _register_sink(local.cursor, local.sink, rejected)
                with lock:
                    cursors.append((local.cursor, local.sink))
            relation = prepared.relations[k][0]
            sql = self._copy_sql(prepared, display_name, relation, files[k], local.sink)
            return int(local.cursor.execute(sql).fetchall()[0][0])

        try:
            workers = max(1, min(len(files), int(self.settings.duckdb_threads)))
            try:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    counts = list(pool.map(run, range(len(files))))
            finally:
                for cursor, sink in cursors:
                    cursor.remove_function(sink)
                    cursor.close()
            parts, part_rows = self._partitions(prepared, display_name, files, counts, out)
        except duckdb.Error as exc:
            shutil.rmtree(out, ignore_errors=True)
            if isinstance(exc, (duckdb.BinderException, duckdb.ParserException)):
                raise  # our SQL is wrong: a bug, not a bad file
            # the CSV reader on a file it cannot parse: unterminated quote, a row with more
            # fields than the spare columns, a quoted newline, bytes that are not UTF-8
            message = str(exc).splitlines()[0]
            detail = " ".join(line.strip() for line in str(exc).splitlines()[1:4])
            raise SourceFormatError(
                display_name, f"cannot be parsed: {message} {detail}".strip()
            ) from exc
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise
        quarantine = self._quarantine_table(con, prepared, display_name, rejected)
        return StreamOutcome(sum(counts) + len(rejected), parts, part_rows, quarantine, out)

    def _partitions(
        self,
        prepared: Prepared,
        display_name: str,
        files: list[Path],
        counts: list[int],
        out: Path,
    ) -> tuple[dict[str, list[Path]], dict[str, int]]:
        """Which partition each piece's Parquet belongs to, from its column statistics; a
        piece that holds several is split (`_split_by_partition`)."""
        parts: dict[str, list[Path]] = {}
        part_rows: dict[str, int] = {}

        def add(rel: str, path: Path, rows: int) -> None:
            if not _PARTITION.match(rel):
                raise EtlError(f"{display_name}: adapter produced an invalid partition {rel}")
            parts.setdefault(rel, []).append(path)
            part_rows[rel] = part_rows.get(rel, 0) + rows

        for k, (path, rows) in enumerate(zip(files, counts, strict=True)):
            if rows == 0:
                path.unlink(missing_ok=True)
                continue
            meta = pq.ParquetFile(path)
            if meta.schema_arrow.remove_metadata() != LANDED_SCHEMA:  # a bug guard, cheap
                raise EtlError(f"{display_name}: landed Parquet does not have the landed schema")
            single = _single_partition(meta.metadata)
            if single is not None:
                reporter, year = single
                add(f"source={prepared.source}/reporter={reporter}/year={year}", path, rows)
                continue
            for (reporter, year), part, n in _split_by_partition(path, out / f"split-{k}"):
                add(f"source={prepared.source}/reporter={reporter}/year={year}", part, n)
            path.unlink()
        return parts, part_rows

    @staticmethod
    def _copy_sql(
        prepared: Prepared, display_name: str, relation: str, out: Path, sink: str
    ) -> str:
        """COPY the accepted rows of one SELECT into the Parquet file `out`."""
        constants = {
            "source": prepared.source,
            "_source_file": display_name,
            "_source_sha256": prepared.sha256,
        }
        select = []
        for col in LANDED_COLUMNS:
            expr = lit(constants[col]) if col in constants else col
            # the CASE (true for every written row) keeps constants optional in the Parquet
            # schema: DuckDB marks a literal column `required`, and every part file of every
            # source must have one schema
            select.append(
                f"CAST(CASE WHEN _rej_code IS NULL THEN {expr} END AS {DUCKDB_TYPES[col]}) AS {col}"
            )
        # `_rej_code IS NULL OR sink(...)`: DuckDB evaluates the sink only for rejected rows
        # (those where the left side is false); the sink records them and returns NULL
        return f"""
COPY (
    SELECT {", ".join(select)}
    FROM ({relation})
    WHERE _rej_code IS NULL
       OR {sink}(_rej_code, _rej_field, _rej_value, _rej_reason, _source_row)
) TO {lit(str(out))} (FORMAT parquet, COMPRESSION {COMPRESSION}, ROW_GROUP_SIZE {ROW_GROUP_SIZE})
"""

    @staticmethod
    def _quarantine_table(
        con: duckdb.DuckDBPyConnection,
        prepared: Prepared,
        display_name: str,
        rejected: list[tuple],
    ) -> pa.Table:
        """Rejected rows (side channel) + those rejected before DuckDB (blank lines, short JSON
        records) as QUARANTINE_SCHEMA, ordered by row. Assembled by DuckDB from list
        parameters: turning Python values into Arrow would make pyarrow import pandas."""
        rows = [
            (q["source_row"], q["field"], q["value"], q["reason_code"], q["reason"])
            for q in prepared.pre_quarantine
        ]
        rows += [(row, fld, value, code, reason) for code, fld, value, reason, row in rejected]
        params = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 5
        sql = f"""
SELECT 'trade_flows' AS dataset, {lit(display_name)} AS source_file,
       {lit(prepared.sha256)} AS source_sha256, CAST(NULL AS VARCHAR) AS source_sheet,
       source_row, field, value, reason_code, reason
FROM (SELECT unnest($1::BIGINT[]) AS source_row, unnest($2::VARCHAR[]) AS field,
             unnest($3::VARCHAR[]) AS value, unnest($4::VARCHAR[]) AS reason_code,
             unnest($5::VARCHAR[]) AS reason)
ORDER BY source_row, reason_code
"""
        return con.sql(sql, params=params).to_arrow_table().cast(QUARANTINE_SCHEMA)

    # ------------------------------------------------------------------ commit

    def commit(
        self,
        manifest: dict[str, Any],
        display_name: str,
        prepared: Prepared,
        outcome: StreamOutcome,
        entry: dict[str, Any],
    ) -> list[str]:
        """Switch the file's parts into place, drop the parts it no longer feeds, record it."""
        key = file_key(display_name)
        old = manifest["files"].get(display_name, {})
        old_parts: dict[str, Any] = old.get("partitions", {})
        new_parts: dict[str, Any] = {}
        for rel, files in sorted(outcome.parts.items()):
            dst = self.trade_flows / rel
            dst.mkdir(parents=True, exist_ok=True)
            names = (
                [f"part-{key}.parquet"]
                if len(files) == 1
                else [f"part-{key}-{i}.parquet" for i in range(len(files))]
            )
            checksums = []
            for src, name in zip(files, names, strict=True):
                with open(src, "rb") as fh:
                    os.fsync(fh.fileno())
                checksums.append(sha256_file(src))
                os.replace(src, dst / name)
            for stale in dst.glob(f"part-{key}*.parquet"):
                if stale.name not in names:
                    stale.unlink()
            new_parts[rel] = {"files": names, "rows": outcome.part_rows[rel], "sha256": checksums}
        for rel in sorted(set(old_parts) - set(new_parts)):
            for name in old_parts[rel]["files"]:
                (self.trade_flows / rel / name).unlink(missing_ok=True)
            self._prune(self.trade_flows / rel)
        quarantine_rel = None
        q_path = self.quarantine_dir / prepared.source / f"part-{key}.parquet"
        if outcome.quarantine.num_rows:
            write_parquet_atomic(outcome.quarantine, q_path)
            quarantine_rel = str(q_path.relative_to(self.root))
        else:
            q_path.unlink(missing_ok=True)
        old_q = old.get("quarantine_file")
        if old_q and old_q != quarantine_rel:
            (self.root / old_q).unlink(missing_ok=True)
        manifest["files"][display_name] = {
            **entry,
            "source": prepared.source,
            "key": key,
            "partitions": new_parts,
            "quarantine_file": quarantine_rel,
        }
        self.write_manifest(manifest)
        shutil.rmtree(outcome.tmp_dir, ignore_errors=True)
        return sorted(new_parts)

    def forget(self, display_name: str) -> list[str]:
        """Remove a landed file: its part files, its quarantine file, its manifest entry (the
        manifest last, so a crash leaves it describing parts that the next call removes).
        Returns the partitions it fed. The caller holds the warehouse lock."""
        manifest = self.read_manifest()
        entry = manifest["files"].get(display_name)
        if entry is None:
            known = sorted(manifest["files"])
            raise EtlError(
                f"{display_name!r} is not a landed file; landed: {known[:5]}"
                + (f" and {len(known) - 5} more" if len(known) > 5 else "")
            )
        for rel, part in sorted(entry["partitions"].items()):
            for name in part["files"]:
                (self.trade_flows / rel / name).unlink(missing_ok=True)
            self._prune(self.trade_flows / rel)
        if entry.get("quarantine_file"):
            (self.root / entry["quarantine_file"]).unlink(missing_ok=True)
        del manifest["files"][display_name]
        self.write_manifest(manifest)
        return sorted(entry["partitions"])

    def _prune(self, folder: Path) -> None:
        """Remove now-empty partition folders up to (not including) trade_flows/."""
        while folder != self.trade_flows and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def _register_sink(cursor: duckdb.DuckDBPyConnection, name: str, rejected: list[pa.Table]) -> None:
    """`<name>(code, field, value, reason, row)`: appends the rows to `rejected` and returns
    NULL for them (so they are not written). Vectorized (Arrow) and declared with side effects so
    DuckDB neither folds nor skips it."""
    from duckdb.sqltypes import BIGINT, BOOLEAN, VARCHAR

    def sink(code, field_name, value, reason, row):  # pyarrow arrays
        # copied out as Python values: keeping the Arrow arrays would keep DuckDB's whole
        # chunk buffers alive (measured: RSS grew with every piece)
        batch = list(
            zip(
                code.to_pylist(),
                field_name.to_pylist(),
                value.to_pylist(),
                reason.to_pylist(),
                row.to_pylist(),
                strict=True,
            )
        )
        rejected.extend(batch)  # list.extend is atomic under the GIL: pieces share the list
        if len(rejected) > MAX_REJECTED_ROWS:
            raise ValueError(
                f"more than {MAX_REJECTED_ROWS:,} rows rejected: is this the right format?"
            )
        return pa.nulls(len(batch), pa.bool_())  # NULL is not true: the row is not written

    cursor.create_function(
        name,
        sink,
        [VARCHAR, VARCHAR, VARCHAR, VARCHAR, BIGINT],
        BOOLEAN,
        type="arrow",
        null_handling="special",
        side_effects=True,
    )


def _split_by_partition(path: Path, out: Path) -> list[tuple[tuple[str, int], Path, int]]:
    """Split a piece's Parquet by (reporter, year), row group by row group (memory: one row
    group), with pyarrow so the schema stays exactly LANDED_SCHEMA (a DuckDB rewrite marks
    columns without NULLs `required`)."""
    out.mkdir(parents=True)
    writers: dict[tuple[str, int], tuple[pq.ParquetWriter, Path]] = {}
    rows: dict[tuple[str, int], int] = {}
    source = pq.ParquetFile(path)
    try:
        for g in range(source.num_row_groups):
            table = source.read_row_group(g).cast(LANDED_SCHEMA)
            keys = pc.binary_join_element_wise(
                table.column("reporter_iso3"),
                pc.cast(table.column("period_year"), pa.string()),
                "|",
            )
            for key in pc.unique(keys).to_pylist():
                reporter, year = key.split("|")
                k = (reporter, int(year))
                if k not in writers:
                    target = out / f"part-{len(writers)}.parquet"
                    writers[k] = (
                        pq.ParquetWriter(target, LANDED_SCHEMA, compression=COMPRESSION),
                        target,
                    )
                chunk = table.filter(pc.equal(keys, key))
                writers[k][0].write_table(chunk)
                rows[k] = rows.get(k, 0) + chunk.num_rows
    finally:
        for writer, _ in writers.values():
            writer.close()
    return [(k, target, rows[k]) for k, (_, target) in sorted(writers.items())]


def _single_partition(meta: pq.FileMetaData) -> tuple[str, int] | None:
    """(reporter, year) when every row group's statistics show one value of each, else None."""
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    ri, yi = names.index("reporter_iso3"), names.index("period_year")
    values: set[tuple] = set()
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        r, y = group.column(ri).statistics, group.column(yi).statistics
        if r is None or y is None or not r.has_min_max or not y.has_min_max:
            return None
        values.add((r.min, r.max, y.min, y.max))
    if len(values) != 1:
        return None
    r_min, r_max, y_min, y_max = values.pop()
    if r_min != r_max or y_min != y_max:
        return None
    reporter = r_min.decode() if isinstance(r_min, bytes) else r_min
    return reporter, int(y_min)


def reconcile(display_name: str, prepared: Prepared, outcome: StreamOutcome) -> None:
    """Rows read = rows loaded + rows quarantined, and DuckDB saw every record we counted."""
    if outcome.records != prepared.expected_records:
        raise ReconciliationError(
            f"file {display_name}: DuckDB read {outcome.records} records but the file has "
            f"{prepared.expected_records} non-blank lines after the header (a quoted field "
            f"spanning lines?)"
        )
    loaded, quarantined = outcome.rows_loaded, outcome.quarantine.num_rows
    if prepared.rows_read != loaded + quarantined:
        raise ReconciliationError(
            f"file {display_name}: {prepared.rows_read} rows read but {loaded} loaded + "
            f"{quarantined} quarantined = {loaded + quarantined}"
        )
