"""One measured job per process: `python -m bench.workers <job> <json args>`.

Each job runs in a fresh subprocess so its peak RSS is its own: the job prints one JSON line
with its wall time and `ru_maxrss` (the kernel's high-water mark of the process, VmHWM); the
parent (`bench.run`) also samples the child's RSS with psutil as a cross-check.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def job_ours(args: dict) -> dict:
    from etl.customs.api import ingest_files
    from etl.customs.core import IngestOptions
    from etl.settings import Settings

    settings = Settings(warehouse=Path(args["warehouse"]), duckdb_threads=args["threads"])
    paths = [Path(p) for p in args["paths"]]
    start = time.perf_counter()
    results = ingest_files(
        settings, args["format"], paths, options=IngestOptions(flow=args.get("flow"))
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows_read": sum(r.rows_read for r in results),
        "rows_loaded": sum(r.rows_loaded for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "files_ingested": sum(not r.skipped_unchanged for r in results),
        "files_skipped": sum(r.skipped_unchanged for r in results),
        "partitions_written": sum(len(r.partitions_written) for r in results),
    }


def job_duckdb_copy(args: dict) -> dict:
    """The floor: DuckDB's own CSV -> Parquet, no validation, no partitioning, no lineage.

    `null_padding` + `ignore_errors` are the least it needs to read these files at all (the
    trailing comma and the malformed rows); malformed rows are silently dropped.
    """
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {int(args['threads'])}")
    start = time.perf_counter()
    rows = con.execute(
        f"COPY (SELECT * FROM read_csv('{args['path']}', null_padding = true, "
        f"ignore_errors = true)) TO '{args['out']}' (FORMAT parquet)"
    ).fetchall()[0][0]
    return {"seconds": time.perf_counter() - start, "rows_loaded": rows}


def job_pandas(args: dict) -> dict:
    """Plain pandas: read_csv (bad lines skipped: it cannot read them) -> to_parquet."""
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_csv(
        args["path"],
        index_col=False,
        on_bad_lines="skip",
        low_memory=False,
        encoding=args.get("encoding", "utf-8"),
    )
    frame.to_parquet(args["out"])
    return {"seconds": time.perf_counter() - start, "rows_loaded": len(frame)}


JOBS = {"ours": job_ours, "duckdb_copy": job_duckdb_copy, "pandas": job_pandas}


def main() -> None:
    job, raw = sys.argv[1], sys.argv[2]
    result = JOBS[job](json.loads(raw))
    result["ru_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
