"""Operations on published runs: roll back `current`, summarise quarantine."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from etl import pipeline
from etl.errors import EtlError, clip
from etl.lock import warehouse_lock
from etl.parquet_io import switch_symlink
from etl.settings import Settings

# what pipeline.new_run_id makes: 20250328T101500Z-1a2b3c
RUN_ID_PATTERN = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")


def checked_run_id(settings: Settings, run_id: str) -> str:
    """`run_id` if it is a run id (the pattern `pipeline.new_run_id` makes) of a run folder
    under `<warehouse>/runs/`; EtlError otherwise. A run id is a name, never a path."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id):
        raise EtlError(
            f"{clip(run_id)!s} is not a run id (like 20250328T101500Z-1a2b3c); "
            "`tariff-etl runs` lists them"
        )
    folder = settings.run_dir(run_id)
    if folder.is_symlink() or not folder.is_dir():
        raise EtlError(f"run {run_id} not found under {settings.runs_dir}")
    return run_id


def validate_run(settings: Settings, run_id: str) -> None:
    """A run is fit to be current: every mart of the contract is there, each of its Parquet
    files reads in full (every page decoded) with the row count the manifest recorded, and
    its columns and types equal the contract's. EtlError naming the mart and file otherwise."""
    import duckdb
    import pyarrow.parquet as pq

    from etl.contract import MARTS

    run_dir = settings.run_dir(run_id)
    manifest = pipeline.read_manifest(settings, run_id)
    recorded = manifest.get("marts") or {}
    con = duckdb.connect()
    try:
        for name, spec in MARTS.items():
            folder = run_dir / "marts" / name
            files = sorted(p for p in folder.rglob("*.parquet") if p.is_file())
            if not files:
                raise EtlError(f"run {run_id}: mart {name} has no Parquet file in {folder}")
            rows = 0
            for path in files:
                try:
                    rows += pq.ParquetFile(path).read().num_rows  # decodes every page
                except Exception as exc:  # pyarrow raises several types for a damaged file
                    raise EtlError(
                        f"run {run_id}: mart {name} file {path.relative_to(run_dir)} is "
                        f"unreadable: {clip(str(exc).splitlines()[0] if str(exc) else exc, 160)}"
                    ) from None
            if name in recorded and rows != recorded[name]:
                raise EtlError(
                    f"run {run_id}: mart {name} has {rows} rows, its manifest says {recorded[name]}"
                )
            view = f"rollback_check_{name}"
            try:
                con.execute(f"create temp view {view} as {_mart_select(folder, spec)}")
                pipeline.check_contract(con, view, spec)
            except duckdb.Error as exc:
                raise EtlError(
                    f"run {run_id}: mart {name} cannot be read as the contract says: "
                    f"{clip(str(exc).splitlines()[0], 160)}"
                ) from None
    finally:
        con.close()


def _mart_select(folder: Path, spec: Any) -> str:
    """What `pipeline.mart_view_sql` selects, over one run's mart folder instead of current."""
    pattern = str(folder / "**" / "*.parquet").replace("'", "''")
    columns = ", ".join(
        f"cast({c.name} as {c.type}) as {c.name}" if c.name in spec.partition_by else c.name
        for c in spec.columns
    )
    hive = ", hive_partitioning = true" if spec.partition_by else ""
    return f"select {columns} from read_parquet('{pattern}'{hive})"


def rollback(settings: Settings, run_id: str | None = None) -> str:
    """Point `current` at `run_id` (default: the newest published run older than current).

    The target is validated first (`validate_run`): on any failure `current`, `tariffs.duckdb`
    and the object-store pointer are left as they were and no temporary file stays behind."""
    with warehouse_lock(settings.lock_path, "rollback", wait_s=settings.lock_wait_s):
        current = pipeline.current_run_id(settings)
        published = [
            r["run_id"] for r in pipeline.list_runs(settings) if r["status"] == "published"
        ]
        if run_id is None:
            older = [r for r in published if current is None or r < current]
            if not older:
                raise EtlError("no earlier published run to roll back to")
            run_id = older[0]
        if not RUN_ID_PATTERN.fullmatch(str(run_id)):
            checked_run_id(settings, run_id)  # raises: not a run id
        if run_id not in published:
            raise EtlError(
                f"run {run_id} is not a published run; published: {clip(published, 300)}"
            )
        validate_run(settings, run_id)
        previous_link = os.readlink(settings.current_dir) if current else None
        old_pointer = None
        if settings.publish_uri:  # the object store first: it may have pruned that run
            from etl import object_store

            old_pointer = object_store.read_pointer(settings.publish_uri)
            pointer = object_store.pointer_for_published(settings, run_id, settings.publish_uri)
            object_store.switch_pointer(settings.publish_uri, pointer)
        temp_before = set(_duckdb_temp_files(settings))
        try:
            switch_symlink(settings.current_dir, settings.run_dir(run_id))
            pipeline.write_duckdb_views(settings)
        except BaseException:
            # put everything back as it was: current, the object-store pointer, no temp file
            for leftover in set(_duckdb_temp_files(settings)) - temp_before:
                leftover.unlink(missing_ok=True)
            if previous_link is not None:
                switch_symlink(settings.current_dir, settings.current_dir.parent / previous_link)
            elif settings.current_dir.is_symlink():  # nothing was current: nothing is again
                settings.current_dir.unlink()
            if old_pointer is not None:
                from etl import object_store

                object_store.switch_pointer(settings.publish_uri or "", old_pointer)
            raise
        return run_id


def _duckdb_temp_files(settings: Settings) -> list[Path]:
    return list(settings.warehouse.glob(f".{settings.duckdb_path.name}.*.tmp"))


def quarantine_summary(settings: Settings, run_id: str | None = None) -> list[tuple]:
    import duckdb

    if run_id is not None:
        checked_run_id(settings, run_id)
    run_id = run_id or pipeline.current_run_id(settings)
    if run_id is None:
        raise EtlError("nothing published yet: run `tariff-etl run` first, or pass --run-id")
    folder = settings.run_dir(run_id) / "quarantine"
    if not folder.exists():
        raise EtlError(f"run {run_id} has no quarantine folder")
    con = duckdb.connect()
    try:
        return con.execute(
            "select dataset, reason_code, any_value(reason), count(*) from read_parquet(?) "
            "group by all order by 1, 2",
            [str(folder / "**" / "*.parquet")],
        ).fetchall()
    finally:
        con.close()


def scenario_bands(settings: Settings) -> list[dict]:
    """The published bands of every scenario, one per product scope of the weight bases
    (fct_exemption_band), for `tariff-etl scenarios`."""
    from etl.analyst import read_only_connection

    with read_only_connection(settings) as con:
        cursor = con.execute("select * from fct_exemption_band order by scenario_id, product_scope")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def explain_line(settings: Settings, scenario_id: str, code: str) -> list[dict]:
    """Why each line matching `code` (a national line or a prefix) is or is not eligible."""
    from etl.analyst import read_only_connection

    code = code.replace(".", "").strip()
    if not code.isdigit() or not 2 <= len(code) <= 10:
        raise EtlError(f"HS code {code!r} must be 2 to 10 digits (dots allowed: 1201.90.11)")
    with read_only_connection(settings) as con:
        known = [
            r[0]
            for r in con.execute(
                "select distinct scenario_id from fct_exemption_band order by 1"
            ).fetchall()
        ]
        if scenario_id not in known:
            raise EtlError(f"unknown scenario {scenario_id!r}; published scenarios: {known}")
        cursor = con.execute(
            "select * from fct_exemption_eligibility where scenario_id = ? "
            "and starts_with(national_line_code, ?) order by national_line_code",
            [scenario_id, code],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if not rows:
        raise EtlError(f"no tariff line starting {code} in the base state of {scenario_id}")
    return rows
