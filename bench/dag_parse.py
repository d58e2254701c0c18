"""DAG parse cost: time to parse each DAG file in a fresh interpreter, against the baseline of
importing `airflow.sdk` alone in the same run (what every DAG file pays anyway).

    .venv/bin/python -m bench.dag_parse [--repeat 5]

Writes bench/results/dag_parse-<date>.json and prints a table. The target is that a DAG file
adds little beyond the baseline: heavy libraries (DuckDB, GX, pandas, pyarrow) are imported
inside tasks, never at parse time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import time; t=time.perf_counter(); import airflow.sdk; print(time.perf_counter()-t)"
PARSE = (
    "import time, runpy, sys; t=time.perf_counter(); import airflow.sdk; "
    "runpy.run_path(sys.argv[1]); print(time.perf_counter()-t)"
)


def timed(code: str, *args: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="bench-airflow-")
    env = {
        **os.environ,
        "AIRFLOW_HOME": home,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(ROOT),
    }
    baseline = [timed(BASELINE, env=env) for _ in range(args.repeat)]
    results = {"baseline_import_airflow_sdk_s": statistics.median(baseline), "dags": {}}
    for path in sorted((ROOT / "dags").glob("*.py")):
        runs = [timed(PARSE, str(path), env=env) for _ in range(args.repeat)]
        median = statistics.median(runs)
        results["dags"][path.name] = {
            "median_s": round(median, 4),
            "added_over_baseline_s": round(median - results["baseline_import_airflow_sdk_s"], 4),
            "ratio_to_baseline": round(median / results["baseline_import_airflow_sdk_s"], 3),
        }
    out = ROOT / "bench" / "results" / f"dag_parse-{datetime.now(UTC):%Y-%m-%d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"baseline (import airflow.sdk): {results['baseline_import_airflow_sdk_s']:.3f} s")
    for name, r in results["dags"].items():
        print(
            f"{name:32s} {r['median_s']:.3f} s  (+{r['added_over_baseline_s']:.3f} s, "
            f"x{r['ratio_to_baseline']:.2f} of baseline)"
        )
    print(out)


if __name__ == "__main__":
    main()
