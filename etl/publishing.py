"""Publishing: export a validated run's marts, make a run current at every publish target,
roll back; and the read-only operations on published runs behind the CLI.

A publish target is a `Publisher`: the local warehouse (`<warehouse>/current` and
`tariffs.duckdb`) always, an object store (`TARIFF_ETL_PUBLISH_URI`) when one is set.
`publishers()` is the one place that asks whether an object store is configured; everything
else goes through the interface. Targets are switched remote first, local last, so a failure
anywhere leaves the local `current` on the previous run.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl import runs
from etl.atomic import commit_file, replace_dir_atomic, switch_symlink, temp_path
from etl.contract import CONTRACT_VERSION, MARTS
from etl.errors import ContractError, EtlError, ReconciliationError, clip
from etl.lock import warehouse_lock
from etl.settings import Settings

if TYPE_CHECKING:
    import duckdb

# DuckDB is imported inside the functions that run queries: the DAG files read the publish
# targets' asset locations (`mart_asset_uris`) at parse time, which must stay light.

log = logging.getLogger(__name__)

Undo = Callable[[], None]


def sql_literal(text: str) -> str:
    """`text` escaped for a single-quoted SQL string (paths, comments)."""
    return text.replace("'", "''")


# ---------------------------------------------------------------- marts: export and contract


def export_marts(settings: Settings, con: duckdb.DuckDBPyConnection, folder: Path) -> dict:
    """Check every mart of the run's build database against the contract and export it as
    Parquet under `folder/<mart>/`; {mart: rows written}."""
    exported = {}
    for name, spec in MARTS.items():
        check_contract(con, f"marts.{name}", spec)
        exported[name] = export_mart(con, spec, folder / name)
        runs.fault_point(settings, "publish_during_export")
    return exported


def export_mart(con: duckdb.DuckDBPyConnection, spec: Any, folder: Path) -> int:
    """Write one mart as Parquet into `folder` (Hive-partitioned where the contract says so),
    via a temporary folder renamed into place; check the rows written."""
    tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
    tmp.mkdir(parents=True)
    order = ", ".join(spec.key)
    metadata = f"kv_metadata {{contract_version: '{CONTRACT_VERSION}', mart: '{spec.name}'}}"
    if spec.partition_by:
        target = f"'{sql_literal(str(tmp))}'"
        options = f"partition_by ({', '.join(spec.partition_by)}), filename_pattern 'part-{{i}}'"
    else:
        target = f"'{sql_literal(str(tmp / 'part-0.parquet'))}'"
        options = "per_thread_output false"
    con.execute(
        f"copy (select * from marts.{spec.name} order by {order}) to {target} "
        f"(format parquet, compression zstd, {options}, {metadata})"
    )
    written = con.execute(
        f"select count(*) from read_parquet('{sql_literal(str(tmp))}/**/*.parquet')"
    ).fetchall()[0][0]
    expected = con.execute(f"select count(*) from marts.{spec.name}").fetchall()[0][0]
    if written != expected:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ReconciliationError(f"mart {spec.name}: wrote {written} rows, built {expected}")
    replace_dir_atomic(tmp, folder)
    return written


def mart_select(folder: Path, spec: Any) -> str:
    """SELECT over a mart's Parquet files in `folder`, columns in contract order and types."""
    pattern = folder / "**" / "*.parquet"
    columns = ", ".join(
        f"cast({c.name} as {c.type}) as {c.name}" if c.name in spec.partition_by else c.name
        for c in spec.columns
    )
    hive = ", hive_partitioning = true" if spec.partition_by else ""
    return f"select {columns} from read_parquet('{sql_literal(str(pattern))}'{hive})"


def mart_view_sql(settings: Settings, spec: Any) -> str:
    """SELECT over the published files of a mart (`current/marts/<mart>/`)."""
    return mart_select(settings.current_dir / "marts" / spec.name, spec)


def check_contract(con: duckdb.DuckDBPyConnection, relation: str, spec: Any) -> None:
    """The built mart must have exactly the contract's columns, in order, with its types."""
    got = [(r[0], r[1]) for r in con.execute(f"describe {relation}").fetchall()]
    expected = [(c.name, c.type) for c in spec.columns]
    if got != expected:
        diff = [f"{g} != {e}" for g, e in zip(got, expected, strict=False) if g != e]
        extra = len(got) - len(expected)
        raise ContractError(
            f"mart {spec.name} does not match the published contract {CONTRACT_VERSION} "
            f"(etl/contract.py): {diff[:3] or f'{extra:+d} columns'}; update the contract "
            "and bump its version"
        )


def write_duckdb_views(settings: Settings) -> Path:
    """(Re)write `<warehouse>/tariffs.duckdb`: one view per mart over `current/marts/<model>/`."""
    import duckdb

    tmp = temp_path(settings.duckdb_path)
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, spec in MARTS.items():
                con.execute(f"create view main.{name} as {mart_view_sql(settings, spec)}")
                con.execute(f"comment on view main.{name} is '{sql_literal(spec.grain)}'")
        finally:
            con.close()
        return commit_file(tmp, settings.duckdb_path)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- publish targets


class Publisher:
    """One place a run is published to. `publish` makes a freshly validated run current
    there (uploading it first where the target needs a copy); `point_at` makes an already
    published run current again (rollback) and returns how to undo that; `prune` removes
    old runs, never failing a publish."""

    name = "publisher"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def publish(self, run_id: str) -> None:
        raise NotImplementedError

    def point_at(self, run_id: str) -> Undo:
        raise NotImplementedError

    def prune(self) -> None:
        raise NotImplementedError

    def mart_uri(self, mart: str) -> str:
        """Where readers find a published mart at this target (the Airflow Asset URI)."""
        raise NotImplementedError


class LocalPublisher(Publisher):
    """`<warehouse>/current` (a symlink switched atomically) and the `tariffs.duckdb` views."""

    name = "local"

    def publish(self, run_id: str) -> None:
        settings = self.settings
        runs.fault_point(settings, "publish_before_switch")
        switch_symlink(settings.current_dir, settings.run_dir(run_id))
        runs.update_manifest(settings, run_id, status="published")
        runs.fault_point(settings, "publish_after_switch")
        write_duckdb_views(settings)

    def point_at(self, run_id: str) -> Undo:
        settings = self.settings
        current = settings.current_dir
        previous = os.readlink(current) if current.is_symlink() else None

        def restore() -> None:
            # the views read through `current`, so switching the link back is enough
            if previous is not None:
                switch_symlink(current, current.parent / previous)
            elif current.is_symlink():  # nothing was current: nothing is again
                current.unlink()

        temp_before = set(_duckdb_temp_files(settings))
        try:
            switch_symlink(current, settings.run_dir(run_id))
            write_duckdb_views(settings)
        except BaseException:
            for leftover in set(_duckdb_temp_files(settings)) - temp_before:
                leftover.unlink(missing_ok=True)  # a views file interrupted half-written
            restore()
            raise
        return restore

    def prune(self) -> None:
        runs.prune_runs(self.settings)

    def mart_uri(self, mart: str) -> str:
        return (self.settings.current_dir / "marts" / mart).as_uri()


def _duckdb_temp_files(settings: Settings) -> list[Path]:
    return list(settings.warehouse.glob(f".{settings.duckdb_path.name}.*.tmp"))


class ObjectStorePublisher(Publisher):
    """`TARIFF_ETL_PUBLISH_URI`: the run uploaded under its run id, then the target's pointer
    object switched to it (`etl.object_store`)."""

    name = "object_store"

    def __init__(self, settings: Settings, uri: str) -> None:
        super().__init__(settings)
        self.uri = uri

    def publish(self, run_id: str) -> None:
        from etl import object_store

        settings, started = self.settings, time.monotonic()
        pointer = object_store.upload_run(
            settings,
            run_id,
            self.uri,
            on_file=lambda: runs.fault_point(settings, "publish_during_upload"),
        )
        object_store.switch_pointer(self.uri, pointer)
        runs.update_manifest(
            settings,
            run_id,
            published_uri=object_store.redact(self.uri),
            timings_s={"publish_object_store": round(time.monotonic() - started, 2)},
        )
        log.info("published run %s to %s", run_id, object_store.redact(self.uri))

    def point_at(self, run_id: str) -> Undo:
        from etl import object_store

        old_pointer = object_store.read_pointer(self.uri)
        # raises when the store has pruned that run: nothing has changed yet
        pointer = object_store.pointer_for_published(self.settings, run_id, self.uri)
        object_store.switch_pointer(self.uri, pointer)

        def undo() -> None:
            if old_pointer is not None:
                object_store.switch_pointer(self.uri, old_pointer)

        return undo

    def mart_uri(self, mart: str) -> str:
        """`<publish uri>/marts/<mart>` (run_id= partitions, see etl.object_store), without
        credentials."""
        from etl.object_store import redact

        return f"{redact(self.uri)}/marts/{mart}"

    def prune(self) -> None:
        """At least two runs are kept (a reader that resolved the previous pointer a moment
        ago can still read it); a failure (e.g. no delete permission) is logged."""
        from etl import object_store

        redacted = object_store.redact(self.uri)
        try:
            pruned = object_store.prune(self.uri, max(self.settings.keep_runs, 2))
        except (OSError, EtlError) as exc:
            log.warning("old runs not pruned from %s: %s", redacted, exc)
            return
        if pruned:
            log.info("pruned runs %s from %s", pruned, redacted)


def publishers(settings: Settings) -> list[Publisher]:
    """Every publish target of these settings, remote ones first, the local one last."""
    targets: list[Publisher] = []
    if settings.publish_uri:
        targets.append(ObjectStorePublisher(settings, settings.publish_uri))
    targets.append(LocalPublisher(settings))
    return targets


def mart_asset_uris(settings: Settings) -> dict[str, str]:
    """{mart: URI} where the marts are read: the first publish target's location (the object
    store when one is set, else `<warehouse>/current/marts/`)."""
    primary = publishers(settings)[0]
    return {name: primary.mart_uri(name) for name in MARTS}


def make_current(settings: Settings, run_id: str) -> None:
    """Publish a validated, exported run at every target, then prune each target's old runs
    (after every pointer has switched)."""
    targets = publishers(settings)
    for target in targets:
        target.publish(run_id)
    for target in targets:
        target.prune()


# ---------------------------------------------------------------- rollback


def validate_run(settings: Settings, run_id: str) -> None:
    """A run is fit to be current: every mart of the contract is there, each of its Parquet
    files reads in full (every page decoded) with the row count the manifest recorded, and
    its columns and types equal the contract's. EtlError naming the mart and file otherwise."""
    import duckdb
    import pyarrow.parquet as pq

    run_dir = settings.run_dir(run_id)
    manifest = runs.read_manifest(settings, run_id)
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
                con.execute(f"create temp view {view} as {mart_select(folder, spec)}")
                check_contract(con, view, spec)
            except duckdb.Error as exc:
                raise EtlError(
                    f"run {run_id}: mart {name} cannot be read as the contract says: "
                    f"{clip(str(exc).splitlines()[0], 160)}"
                ) from None
    finally:
        con.close()


def rollback(settings: Settings, run_id: str | None = None) -> str:
    """Point `current` at `run_id` (default: the newest published run older than current).

    The target is validated first (`validate_run`): on any failure `current`, `tariffs.duckdb`
    and the object-store pointer are left as they were and no temporary file stays behind."""
    with warehouse_lock(settings.lock_path, "rollback", wait_s=settings.lock_wait_s):
        current = runs.current_run_id(settings)
        published = [r["run_id"] for r in runs.list_runs(settings) if r["status"] == "published"]
        if run_id is None:
            older = [r for r in published if current is None or r < current]
            if not older:
                raise EtlError("no earlier published run to roll back to")
            run_id = older[0]
        if not runs.RUN_ID_PATTERN.fullmatch(str(run_id)):
            runs.checked_run_id(settings, run_id)  # raises: not a run id
        if run_id not in published:
            raise EtlError(
                f"run {run_id} is not a published run; published: {clip(published, 300)}"
            )
        validate_run(settings, run_id)
        undo: list[Undo] = []
        try:
            for target in publishers(settings):  # the object store first: it may have pruned
                undo.append(target.point_at(run_id))
        except BaseException:
            for step in reversed(undo):  # put every target back as it was
                step()
            raise
        return run_id


# ---------------------------------------------------------------- reading published runs


def quarantine_summary(settings: Settings, run_id: str | None = None) -> list[tuple]:
    import duckdb

    if run_id is not None:
        runs.checked_run_id(settings, run_id)
    run_id = run_id or runs.current_run_id(settings)
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
