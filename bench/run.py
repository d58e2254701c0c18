"""Benchmarks of the customs ingest (not part of pytest).

    .venv/bin/python -m bench.run                      # 1M and 5M rows, 3 interleaved reps
    .venv/bin/python -m bench.run --rows 1000000 --big-rows 10000000
    .venv/bin/python -m bench.run --rows 5000000 --big-rows 50000000 --reps 1 --no-pandas
        (50M comtrade rows is a ~20 GB CSV: check disk space in --workdir first)

What it measures, on the same generated file in the same run:
1. throughput: our `ingest_files` (pre-pass hash + validation + quarantine + partitioned,
   lineage-carrying Parquet) vs DuckDB's bare `COPY (SELECT * FROM read_csv(...)) TO ...
   (FORMAT parquet)` vs pandas `read_csv` -> `to_parquet`. Every job runs in its own
   subprocess; jobs are interleaved across repetitions and the median is reported, because
   this 2-core machine is shared and single timings are noisy.
2. peak RSS of each job (kernel high-water mark `ru_maxrss`; psutil sampling as a cross-check)
   at the two sizes: bounded memory means the big size costs about what the small one does.
3. incremental: ten years of monthly files (120 files, --rows in total) plus one new month:
   ingesting the 121 files into an empty warehouse (rebuild) vs ingesting the same 121 files
   into the warehouse that already has the 120 (one-month add: 120 skipped on size+mtime).

Results: a table on stdout and `bench/results/<UTC date>.json` (other sizes or partial runs:
`<date>-<rows>-<big rows>[-throughput|-incremental].json`).
Targets: ours >= 0.7x DuckDB COPY throughput; faster than pandas; peak RSS at the big
size <= 1.2x the small size; one-month add <= 5% of the rebuild.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"


def run_job(job: str, args: dict) -> dict:
    """Run one job in a subprocess; return its JSON result plus psutil's sampled peak RSS."""
    cmd = [sys.executable, "-m", "bench.workers", job, json.dumps(args)]
    proc = psutil.Popen(
        cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampled = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):  # the child may just have exited
            sampled = max(sampled, proc.memory_info().rss)
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{job} failed ({proc.returncode}): {err[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["psutil_sampled_peak_rss_bytes"] = sampled
    return result


def generated(workdir: Path, fmt: str, rows: int, seed: int, **kw) -> Path:
    """A generated file, reused across runs when it already exists (generation is slow)."""
    from etl.customs.generate import generate

    suffix = "_".join(f"{k}{v}" for k, v in sorted(kw.items()))
    path = workdir / "data" / f"{fmt}_{rows}_s{seed}{'_' + suffix if suffix else ''}.csv"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        t0 = time.perf_counter()
        generate(fmt, rows, tmp, seed, **kw)
        tmp.rename(path)
        print(f"  generated {path.name} in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def throughput(
    workdir: Path, fmt: str, sizes: list[int], reps: int, threads: int, pandas_big: bool
):
    files = {n: generated(workdir, fmt, n, seed=42) for n in sizes}
    runs: dict[tuple[int, str], list[dict]] = {}
    for rep in range(reps):
        for n in sizes:
            jobs = ["ours", "duckdb_copy"]
            if pandas_big or n == sizes[0]:
                jobs.append("pandas")
            for job in jobs:
                out = workdir / "out" / f"{job}_{n}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir(parents=True)
                args = {"threads": threads, "path": str(files[n]), "out": str(out / "x.parquet")}
                if job == "ours":
                    args = {
                        "threads": threads,
                        "warehouse": str(out / "wh"),
                        "paths": [str(files[n])],
                        "format": fmt,
                        "flow": "import",
                    }
                result = run_job(job, args)
                result["bytes_in"] = files[n].stat().st_size
                runs.setdefault((n, job), []).append(result)
                print(
                    f"  rep {rep + 1} {n:>11,} rows {job:<12} {result['seconds']:7.2f} s  "
                    f"peak {result['ru_maxrss_bytes'] / 2**20:7.0f} MiB",
                    flush=True,
                )
                shutil.rmtree(out, ignore_errors=True)
    return runs


def incremental(workdir: Path, fmt: str, rows: int, threads: int, reps: int) -> dict:
    """120 monthly files + 1: full rebuild vs adding the new month to the existing 120."""
    monthly = max(rows // 120, 1)
    folder = workdir / "data" / f"monthly_{fmt}_{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(121):
        year, month = 2015 + i // 12, i % 12 + 1
        path = folder / f"{fmt}_import_{year}{month:02d}.csv"
        if not path.exists():
            from etl.customs.generate import generate

            generate(fmt, monthly, path, seed=1000 + i, start=f"{year}-{month:02d}", months=1)
        files.append(str(path))
    rebuild, add = [], []
    for _ in range(reps):
        wh = workdir / "out" / "incremental_wh"
        shutil.rmtree(wh, ignore_errors=True)
        base = {"threads": threads, "warehouse": str(wh), "format": fmt, "flow": "import"}
        rebuild.append(run_job("ours", {**base, "paths": files}))
        shutil.rmtree(wh, ignore_errors=True)
        run_job("ours", {**base, "paths": files[:120]})  # ten years already landed
        add.append(run_job("ours", {**base, "paths": files}))  # the glob now has 121 files
        shutil.rmtree(wh, ignore_errors=True)
    med_rebuild = statistics.median(r["seconds"] for r in rebuild)
    med_add = statistics.median(r["seconds"] for r in add)
    return {
        "files": 121,
        "rows_per_file": monthly,
        "rebuild_seconds": [r["seconds"] for r in rebuild],
        "add_seconds": [r["seconds"] for r in add],
        "add_files_ingested": add[0]["files_ingested"],
        "add_files_skipped": add[0]["files_skipped"],
        "add_partitions_written": add[0]["partitions_written"],
        "rebuild_median_seconds": med_rebuild,
        "add_median_seconds": med_add,
        "add_over_rebuild": med_add / med_rebuild,
    }


def summarize(runs: dict, sizes: list[int]) -> dict:
    out: dict = {}
    for (n, job), results in runs.items():
        secs = [r["seconds"] for r in results]
        out.setdefault(str(n), {})[job] = {
            "seconds": secs,
            "median_seconds": statistics.median(secs),
            "rows_per_second": n / statistics.median(secs),
            "mb_per_second": results[0]["bytes_in"] / 1e6 / statistics.median(secs),
            "peak_rss_bytes": max(r["ru_maxrss_bytes"] for r in results),
            "psutil_sampled_peak_rss_bytes": max(
                r["psutil_sampled_peak_rss_bytes"] for r in results
            ),
            "rows_loaded": results[0].get("rows_loaded"),
            "rows_quarantined": results[0].get("rows_quarantined"),
        }
    for n in sizes:
        jobs = out[str(n)]
        ours = jobs["ours"]["median_seconds"]
        jobs["ratios"] = {
            "ours_vs_duckdb_copy_throughput": jobs["duckdb_copy"]["median_seconds"] / ours,
            "ours_vs_pandas_throughput": (
                jobs["pandas"]["median_seconds"] / ours if "pandas" in jobs else None
            ),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="small size (default 1M)")
    parser.add_argument("--big-rows", type=int, default=5_000_000, help="big size (default 5M)")
    parser.add_argument("--format", default="comtrade", choices=("comtrade", "china-customs"))
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tariff-etl-bench"))
    parser.add_argument("--no-pandas", action="store_true", help="skip pandas at the big size")
    parser.add_argument(
        "--increment-rows", type=int, help="rows of the ten-year monthly set (default --rows)"
    )
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true", help="incremental only")
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    sizes = sorted({args.rows, args.big_rows})
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    print(f"workdir {args.workdir}; sizes {sizes}; format {args.format}", flush=True)
    summary: dict = {}
    if not args.skip_throughput:
        runs = throughput(
            args.workdir, args.format, sizes, args.reps, args.threads, not args.no_pandas
        )
        summary = summarize(runs, sizes)
    inc = None
    if not args.skip_incremental:
        inc = incremental(
            args.workdir,
            "china-customs",
            args.increment_rows or args.rows,
            args.threads,
            args.reps,
        )

    small, big = str(sizes[0]), str(sizes[-1])
    rss_ratio = (
        summary[big]["ours"]["peak_rss_bytes"] / summary[small]["ours"]["peak_rss_bytes"]
        if summary
        else None
    )
    targets = {
        "ours_vs_duckdb_copy_ge_0.7": None
        if not summary
        else all(summary[str(n)]["ratios"]["ours_vs_duckdb_copy_throughput"] >= 0.7 for n in sizes),
        "ours_beats_pandas": None
        if not summary
        else all((summary[str(n)]["ratios"]["ours_vs_pandas_throughput"] or 99) > 1 for n in sizes),
        "peak_rss_big_le_1.2x_small": None if rss_ratio is None else rss_ratio <= 1.2,
        "one_month_add_le_5pct_rebuild": None if inc is None else inc["add_over_rebuild"] <= 0.05,
    }
    report = {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "command": " ".join(
            [Path(sys.executable).name, "-m", "bench.run", *(argv or sys.argv[1:])]
        ),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average_at_end": os.getloadavg(),
        },
        "format": args.format,
        "reps": args.reps,
        "threads": args.threads,
        "throughput": summary,
        "peak_rss_big_over_small": rss_ratio,
        "incremental": inc,
        "targets_met": targets,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    # the default run writes <date>.json; other runs say what they measured
    label = []
    if (args.rows, args.big_rows) != (1_000_000, 5_000_000):
        label.append(f"{args.rows}-{args.big_rows}")
    if args.skip_throughput or args.skip_incremental:
        label.append("incremental" if args.skip_throughput else "throughput")
    out = RESULTS_DIR / f"{'-'.join([f'{started:%Y-%m-%d}', *label])}.json"
    out.write_text(json.dumps(report, indent=2))

    console = Console(highlight=False)
    if summary:
        table = Table(title=f"customs ingest benchmark ({args.format}, median of {args.reps})")
        for col in ("rows", "job", "seconds", "rows/s", "MB/s", "peak RSS MiB", "vs ours"):
            table.add_column(col, justify="left" if col == "job" else "right")
        for n in sizes:
            jobs = summary[str(n)]
            for job in ("ours", "duckdb_copy", "pandas"):
                if job not in jobs:
                    continue
                j = jobs[job]
                vs = jobs["ours"]["median_seconds"] / j["median_seconds"]
                table.add_row(
                    f"{n:,}",
                    job,
                    f"{j['median_seconds']:.2f}",
                    f"{j['rows_per_second']:,.0f}",
                    f"{j['mb_per_second']:.0f}",
                    f"{j['peak_rss_bytes'] / 2**20:,.0f}",
                    "-" if job == "ours" else f"{vs:.2f}x its time",
                )
        console.print(table)
        for n in sizes:
            r = summary[str(n)]["ratios"]
            pandas = r["ours_vs_pandas_throughput"]
            console.print(
                f"{n:,} rows: ours = {r['ours_vs_duckdb_copy_throughput']:.2f}x DuckDB COPY "
                f"throughput" + (f", {pandas:.2f}x pandas" if pandas else "")
            )
        console.print(f"peak RSS of ours, {sizes[-1]:,} vs {sizes[0]:,} rows: {rss_ratio:.2f}x")
    if inc:
        console.print(
            f"one-month add: {inc['add_median_seconds']:.2f} s vs rebuild "
            f"{inc['rebuild_median_seconds']:.2f} s ({inc['add_over_rebuild']:.1%}; "
            f"{inc['add_files_skipped']} files skipped, {inc['add_partitions_written']} "
            f"partition written)"
        )
    console.print(f"targets: {targets}")
    console.print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
