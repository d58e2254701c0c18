"""Re-apply each deliberate break, one at a time, and check the tests meant to catch it fail.

    .venv/bin/python -m tests.breaks.run              # every break (make breaks)
    .venv/bin/python -m tests.breaks.run --only prune # breaks whose name contains "prune"

Each break is a `str.replace` on one source file (`tests/breaks/breaks_*.py`). The runner
never touches the working tree: it copies the repository (without .venv, .git, warehouse,
mutants) into a temp folder once, and for every break
1. runs the break's tests on the unbroken copy: they must pass (otherwise a failure later
   would prove nothing),
2. applies the break, runs the same tests: at least one must fail,
3. restores the file.
Exit 0 when every break is caught, 1 otherwise; a table on stdout either way.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.breaks.catalogue import all_breaks
from tests.breaks.model import Break

ROOT = Path(__file__).resolve().parents[2]
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".tools", ".git", "warehouse", "mutants", "__pycache__", ".pytest_cache"
)


def _pytest(copy: Path, tests: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("TARIFF_ETL_WAREHOUSE", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            *tests,
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _last_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return lines[-1][:120] if lines else proc.stderr.strip()[-120:]


def check(brk: Break, copy: Path) -> tuple[bool, str]:
    target = copy / brk.path
    original = target.read_text(encoding="utf-8")
    if original.count(brk.old) != 1:
        return False, f"the break's text occurs {original.count(brk.old)} times in {brk.path}"
    clean = _pytest(copy, brk.tests)
    if clean.returncode != 0:
        return False, f"tests fail WITHOUT the break: {_last_line(clean)}"
    target.write_text(original.replace(brk.old, brk.new), encoding="utf-8")
    try:
        broken = _pytest(copy, brk.tests)
    finally:
        target.write_text(original, encoding="utf-8")
    if broken.returncode == 0:
        return False, "NOT CAUGHT: every test passed with the break applied"
    if broken.returncode != 1:
        return False, f"pytest could not run with the break (exit {broken.returncode})"
    return True, f"caught: {_last_line(broken)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only breaks whose name contains this")
    args = parser.parse_args(argv)
    breaks = [b for b in all_breaks() if args.only in b.name]
    if not breaks:
        print(f"no break matches {args.only!r}")
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="tariff-etl-breaks-") as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
        for brk in breaks:
            started = time.monotonic()
            ok, detail = check(brk, copy)
            results.append((brk, ok, detail, time.monotonic() - started))
            print(
                f"{'ok  ' if ok else 'FAIL'} {brk.name} ({results[-1][3]:.0f} s): {detail}",
                flush=True,
            )
    caught = sum(ok for _, ok, _, _ in results)
    print(f"\n{caught} of {len(results)} breaks caught")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
