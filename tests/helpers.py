"""Constants and small helpers shared by tests (import from here, never from conftest)."""

from __future__ import annotations

import hashlib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LANDING = PROJECT_ROOT / "data" / "landing"
PIIE_XLSX = LANDING / "piie_bown_jung_zhang" / "bown-jung-zhang-2019-06-12.xlsx"
PIIE_RELATIVE = "piie_bown_jung_zhang/bown-jung-zhang-2019-06-12.xlsx"


def tree_checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder` (following the `current` symlink)."""
    root = Path(folder).resolve()
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def published_covered_usd(settings, as_of: str = "2019-06-01") -> float:
    """Covered value on a date, read through the published DuckDB views (read-only)."""
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute(
            "select sum(covered_value_usd) from fct_retaliation_coverage where as_of_date = ?",
            [as_of],
        ).fetchall()[0][0]
    finally:
        con.close()


def copy_warehouse(source, target: Path):
    """A byte copy of the warehouse of `source` (Settings) at `target`, its DuckDB views
    rewritten for the new place (they hold absolute paths); Settings for the copy."""
    import shutil

    from etl import publishing
    from etl.settings import Settings

    shutil.copytree(source.warehouse, target, symlinks=True)
    settings = Settings(warehouse=target)
    publishing.write_duckdb_views(settings)
    return settings


LITERALS = {
    "VARCHAR": "'v'",
    "BOOLEAN": "true",
    "DATE": "date '2025-03-10'",
    "DOUBLE": "1.5",
    "INTEGER": "2",
    "BIGINT": "3",
}


def build_tiny_marts(path, rows_per_mart: int = 2, break_type_of: str | None = None):
    """A run's build database: every mart of the contract with `rows_per_mart` rows (a
    partitioned mart's rows in two partitions, p0 and p1)."""
    import duckdb

    from etl.contract import MARTS

    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    for name, spec in MARTS.items():
        columns = []
        for column in spec.columns:
            kind = "VARCHAR" if column.name == break_type_of else column.type
            columns.append(f"{column.name} {kind}")
        con.execute(f"create table marts.{name} ({', '.join(columns)})")
        for i in range(rows_per_mart):
            values = []
            for column in spec.columns:
                if column.name in spec.partition_by:
                    values.append(f"'p{i % 2}'")
                elif column.name in spec.key:  # distinct per row, in the column's type
                    values.append(
                        {
                            "VARCHAR": f"'k{i}'",
                            "DATE": f"date '2025-03-1{i}'",
                            "BOOLEAN": "true" if i else "false",
                        }.get(column.type, str(i))
                    )
                else:
                    values.append(LITERALS[column.type])
            con.execute(f"insert into marts.{name} values ({', '.join(values)})")
    return con


# `python -c PUBLISH_STEP <run_id>`: the publish step of a run, in a process of its own
PUBLISH_STEP = (
    "import sys\n"
    "from etl import pipeline\n"
    "from etl.settings import get_settings\n"
    "pipeline.publish(get_settings(), sys.argv[1])\n"
)


def gated_tiny_run(settings) -> str:
    """A new run whose gates passed, over a small build database: ready for its publish
    step (`pipeline.publish`)."""
    from etl import runs

    run_id = runs.new_run_id()
    run_dir = settings.run_dir(run_id)
    run_dir.mkdir(parents=True)
    build_tiny_marts(run_dir / "build.duckdb").close()
    checks = {gate: {"failed_critical": 0} for gate in runs.GATES}
    runs.write_json(
        runs.manifest_path(settings, run_id),
        {"run_id": run_id, "status": "built", "checks": checks},
    )
    return run_id
