"""Operations on published runs: roll back `current`, summarise quarantine."""

from __future__ import annotations

from etl import pipeline
from etl.errors import EtlError
from etl.lock import warehouse_lock
from etl.parquet_io import switch_symlink
from etl.settings import Settings


def rollback(settings: Settings, run_id: str | None = None) -> str:
    """Point `current` at `run_id` (default: the newest published run older than current)."""
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
        if run_id not in published:
            raise EtlError(f"run {run_id} is not a published run; published: {published}")
        if settings.publish_uri:  # the object store first: it may have pruned that run
            from etl import object_store

            pointer = object_store.pointer_for_published(settings, run_id, settings.publish_uri)
            object_store.switch_pointer(settings.publish_uri, pointer)
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
