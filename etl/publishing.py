"""Operations on published runs: roll back `current`, summarise quarantine."""

from __future__ import annotations

from etl import pipeline
from etl.errors import EtlError
from etl.lock import warehouse_lock
from etl.parquet_io import switch_symlink
from etl.settings import Settings


def rollback(settings: Settings, run_id: str | None = None) -> str:
    """Point `current` at `run_id` (default: the newest published run older than current)."""
    with warehouse_lock(settings.lock_path, "rollback"):
        current = pipeline.current_run_id(settings)
        published = [
            r["run_id"] for r in pipeline.list_runs(settings) if r["status"] == "published"
        ]
        if run_id is None:
            older = [r for r in published if current is None or r < current]
            if not older:
                raise EtlError("no earlier published run to roll back to")
            run_id = older[0]
        if run_id not in published:
            raise EtlError(f"run {run_id} is not a published run; published: {published}")
        switch_symlink(settings.current_dir, settings.run_dir(run_id))
        pipeline.write_duckdb_views(settings)
        return run_id


def quarantine_summary(settings: Settings, run_id: str | None = None) -> list[tuple]:
    import duckdb

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
            [str(folder / "*.parquet")],
        ).fetchall()
    finally:
        con.close()
