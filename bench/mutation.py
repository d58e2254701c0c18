"""Mutation testing of the modules that decide published numbers and safety (`make mutation`).

    .venv/bin/python bench/mutation.py                         # all modules of [tool.mutmut]
    .venv/bin/python bench/mutation.py --modules etl/scenarios.py etl/strict_yaml.py \\
        --tests tests/unit/test_scenarios.py tests/unit/test_scenarios_mutants.py
    .venv/bin/python bench/mutation.py --report-only           # re-render REPORT.md only

Options: `--modules` (paths of [tool.mutmut].only_mutate; default all), `--tests` (the test
selection; default pyproject's), `--deselect NODEID...` (tests left out of mutant runs, e.g.
ones that re-run the whole CLI in a subprocess), `--mutants NAME|GLOB...` (re-run only these),
`--workdir DIR` (keep the copy and mutmut's state there), `--from-workdir` (read DIR's state,
run nothing), `--module-docs` (also write docs/mutation/<module>.md), `--max-children N` (2).

mutmut writes a `mutants/` folder where it runs, so it never runs in the repository: the
repository is copied (without .git, .venv, mutants, warehouse, .tools) to a throwaway folder
(`--workdir DIR` keeps one between runs: mutmut then re-tests only what changed), the copy's
`[tool.mutmut]` is narrowed to `--modules` / `--tests` when given, and `mutmut run` runs there
with the repository's .venv.

The outcome of each mutant is read from mutmut's state (`mutants/<module>.meta`) and merged
into `docs/mutation/results.json` (one entry per module; a run of some modules keeps the
others' entries). `docs/mutation/REPORT.md` is rendered from that file and from the one-line
justifications in `docs/mutation/justified/<dotted module>.toml` (table `[survivors]`,
mutant name -> reason). Per module it shows: total, killed (a timeout counts as killed: the
tests did not pass), survived, justified, score = (killed + justified) / total and
killed / total, then every survivor that has no justification (with its diff).

Exit status: 0 when every selected module scores >= 85% and has no unjustified survivor;
1 otherwise (also when a selected module has no result); 2 on a usage or setup error.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "mutation"
RESULTS = DOCS / "results.json"
REPORT = DOCS / "REPORT.md"
JUSTIFIED = DOCS / "justified"
TARGET = 0.85
COPY_EXCLUDES = {".git", ".venv", "mutants", "warehouse", ".tools", "__pycache__", ".ruff_cache"}
COPY_EXCLUDES |= {".pytest_cache", "airflow_home", ".airflow"}

# mutmut's exit codes (mutmut.stats.status_by_exit_code), folded into what the report counts.
# A mutant that kills the test process (-9: e.g. `fault_point(settings, None)` matches the unset
# fault and SIGKILLs the test run; -11: a crash) counts as killed: the tests did not pass.
KILLED_CODES = {1: "killed", 3: "killed", 37: "caught by type check", -9: "killed", -11: "killed"}
TIMEOUT_CODES = {36, -24, 24, 152, 255}
OTHER_CODES = {
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    2: "interrupted",
}


class UsageError(Exception):
    pass


def status_of(code: int | None) -> str:
    if code in KILLED_CODES:
        return "killed"
    if code in TIMEOUT_CODES:
        return "timeout"
    if code is None:
        return "not checked"
    return OTHER_CODES.get(code, "suspicious")


def dotted(module_path: str) -> str:
    """etl/customs/census.py -> etl.customs.census"""
    return module_path.removesuffix(".py").replace("/", ".")


def mutmut_config(pyproject: Path) -> dict:
    with pyproject.open("rb") as fh:
        return tomllib.load(fh).get("tool", {}).get("mutmut", {})


# ---- the throwaway copy ---------------------------------------------------------------------


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def narrow_pyproject(
    pyproject: Path, modules: list[str], tests: list[str] | None, deselect: list[str]
) -> None:
    """Rewrite the copy's [tool.mutmut] `only_mutate` (and the test selection if given)."""
    text = pyproject.read_text(encoding="utf-8")
    replacements = {"only_mutate": modules}
    if tests:
        replacements["pytest_add_cli_args_test_selection"] = tests
    if deselect:
        pytest_args = list(mutmut_config(pyproject).get("pytest_add_cli_args", []))
        for node in deselect:
            pytest_args += ["--deselect", node]
        replacements["pytest_add_cli_args"] = pytest_args
    for key, values in replacements.items():
        pattern = re.compile(rf"^{key}\s*=\s*\[.*?\]", re.S | re.M)
        line = f"{key} = {_toml_list(values)}"
        if pattern.search(text):
            text = pattern.sub(lambda _m, line=line: line, text, count=1)
        else:
            text = text.replace("[tool.mutmut]\n", f"[tool.mutmut]\n{line}\n", 1)
    pyproject.write_text(text, encoding="utf-8")
    config = mutmut_config(pyproject)
    if (
        config.get("only_mutate") != modules
        or (tests and config.get("pytest_add_cli_args_test_selection") != tests)
        or (deselect and config.get("pytest_add_cli_args") != replacements["pytest_add_cli_args"])
    ):
        raise UsageError(f"could not narrow [tool.mutmut] in {pyproject}")


def refresh_copy(workdir: Path) -> None:
    """Make `workdir` a copy of the repository, keeping its `mutants/` (mutmut's state)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for entry in workdir.iterdir():
        if entry.name in ("mutants", ".venv"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in REPO.iterdir():
        if entry.name in COPY_EXCLUDES:
            continue
        target = workdir / entry.name
        if entry.is_dir():
            shutil.copytree(
                entry, target, symlinks=True, ignore=shutil.ignore_patterns(*COPY_EXCLUDES)
            )
        else:
            shutil.copy2(entry, target)
    venv = workdir / ".venv"
    if not venv.exists():
        venv.symlink_to(REPO / ".venv")


def run_mutmut(workdir: Path, max_children: int, mutants: list[str]) -> int:
    mutmut = workdir / ".venv" / "bin" / "mutmut"
    command = [str(mutmut), "run", "--max-children", str(max_children), *mutants]
    print(f"$ (cd {workdir} && mutmut {' '.join(command[1:])})", flush=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with (workdir / "mutmut-run.log").open("wb") as log:
        done = subprocess.run(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    tail = (workdir / "mutmut-run.log").read_bytes()[-600:].decode("utf-8", "replace")
    print(tail.rsplit("\r", 1)[-1].strip() or "(no output)", flush=True)
    return done.returncode


def mutant_codes(workdir: Path, modules: list[str]) -> dict[str, int | None]:
    """mutmut's recorded exit code of every mutant of `modules` in `workdir` (none yet: {})."""
    codes: dict[str, int | None] = {}
    for module in modules:
        meta = workdir / "mutants" / (module + ".meta")
        if meta.exists():
            codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return codes


def kept_survivors(before: dict[str, int | None], after: dict[str, int | None]) -> list[str]:
    """Mutants that survived before this run and still show the same result: mutmut may have
    kept that result without running the (possibly new) tests, so they are run again. A mutant
    with no tests is re-run through a glob of its function (a name with no tests is an error
    to mutmut)."""
    names, globs = [], set()
    for name, code in sorted(after.items()):
        status = status_of(code)
        if status in ("killed", "timeout", "not checked") or before.get(name, -1) != code:
            continue
        if status == "no tests":
            globs.add(name.rsplit("__mutmut_", 1)[0] + "__mutmut_*")
        else:
            names.append(name)
    return names + sorted(globs)


_DIFF_SCRIPT = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
out = {}
for path, names in json.loads(sys.argv[1]).items():
    for name in names:
        try:
            out[name] = get_diff_for_mutant(name, path=path)
        except Exception as exc:  # a report without a diff beats no report
            out[name] = f"(no diff: {type(exc).__name__}: {exc})"
print(json.dumps(out))
"""


def mutant_diffs(workdir: Path, names_by_path: dict[str, list[str]]) -> dict[str, str]:
    if not any(names_by_path.values()):
        return {}
    python = workdir / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", _DIFF_SCRIPT, json.dumps(names_by_path)],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(f"warning: diffs unavailable: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return {}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _changed_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def collect(workdir: Path, modules: list[str], command: str, tests: list[str]) -> dict:
    """Per module: every mutant's status (and, for the ones not killed, their changed lines)."""
    out = {}
    metas = {m: workdir / "mutants" / (m + ".meta") for m in modules}
    statuses: dict[str, dict[str, str]] = {}
    for module, meta in metas.items():
        if not meta.exists():
            print(f"warning: no mutmut state for {module} ({meta})", file=sys.stderr)
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        statuses[module] = {name: status_of(code) for name, code in sorted(codes.items())}
    not_killed = {
        m: [n for n, s in by_name.items() if s not in ("killed", "timeout")]
        for m, by_name in statuses.items()
    }
    diffs = mutant_diffs(workdir, not_killed)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for module, by_name in statuses.items():
        out[module] = {
            "date": when,
            "command": command,
            "tests": tests,
            "total": len(by_name),
            "killed": sum(s == "killed" for s in by_name.values()),
            "timeout": sum(s == "timeout" for s in by_name.values()),
            "not_killed": {n: by_name[n] for n in not_killed[module]},
            "diffs": {n: _changed_lines(diffs.get(n, "")) for n in not_killed[module]},
        }
    return out


# ---- the report -----------------------------------------------------------------------------


@dataclass
class ModuleScore:
    module: str
    total: int = 0
    killed: int = 0
    timeout: int = 0
    justified: list[str] = field(default_factory=list)
    unjustified: list[tuple[str, str]] = field(default_factory=list)  # (name, status)
    stale: list[str] = field(default_factory=list)  # justified names that are not survivors
    date: str = ""
    command: str = ""
    tests: list[str] = field(default_factory=list)

    @property
    def survived(self) -> int:
        return self.total - self.killed

    @property
    def score(self) -> float:
        return (self.killed + len(self.justified)) / self.total if self.total else 0.0

    @property
    def killed_share(self) -> float:
        return self.killed / self.total if self.total else 0.0

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.score >= TARGET and not self.unjustified


def load_justified(module: str) -> dict[str, str]:
    path = JUSTIFIED / f"{dotted(module)}.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        table = tomllib.load(fh).get("survivors", {})
    bad = [k for k, v in table.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise UsageError(f"{path}: [survivors] {bad[0]}: the reason must be non-empty text")
    return table


def score_module(module: str, entry: dict | None) -> ModuleScore:
    score = ModuleScore(module)
    if entry is None:
        return score
    justified = load_justified(module)
    score.date, score.command, score.tests = entry["date"], entry["command"], entry["tests"]
    score.total = entry["total"]
    score.timeout = entry["timeout"]
    score.killed = entry["killed"] + entry["timeout"]
    for name, status in sorted(entry["not_killed"].items()):
        if name in justified:
            score.justified.append(name)
        else:
            score.unjustified.append((name, status))
    score.stale = sorted(n for n in justified if n not in entry["not_killed"])
    return score


def render(results: dict, modules: list[str]) -> tuple[str, list[ModuleScore]]:
    scores = [score_module(m, results.get(m)) for m in modules]
    lines = [
        "# Mutation testing report",
        "",
        "Generated by `make mutation` (`bench/mutation.py`, mutmut) from "
        "`docs/mutation/results.json` and the one-line justifications in "
        "`docs/mutation/justified/<module>.toml`. Killed includes timeouts (the tests did not "
        "pass); `no tests` (a mutant no selected test reaches) counts as survived. Target: "
        f"score = (killed + justified) / total >= {TARGET:.0%} per module, and every survivor "
        "killed or justified.",
        "",
        "| module | total | killed | survived | justified | unjustified | score | killed/total "
        "| status | run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for s in scores:
        if not s.total:
            lines.append(f"| `{s.module}` | – | – | – | – | – | – | – | **not run** | |")
            continue
        status = "ok" if s.ok else "**below target**" if s.score < TARGET else "**unjustified**"
        lines.append(
            f"| `{s.module}` | {s.total} | {s.killed} | {s.survived} | {len(s.justified)} | "
            f"{len(s.unjustified)} | {s.score:.1%} | {s.killed_share:.1%} | {status} | "
            f"{s.date} |"
        )
    run = [s for s in scores if s.total]
    if run:
        total = sum(s.total for s in run)
        killed = sum(s.killed for s in run)
        justified = sum(len(s.justified) for s in run)
        lines += [
            "",
            f"The {len(run)} of {len(scores)} modules with a result: {total} mutants, "
            f"{killed} killed ({killed / total:.1%}), {justified} justified; "
            f"score {(killed + justified) / total:.1%}.",
        ]
        missing = [s.module for s in scores if not s.total]
        if missing:
            lines.append(
                "Not run (no entry in results.json), so not shown to meet the target: "
                + ", ".join(f"`{m}`" for m in missing)
                + ". A partial run's numbers are in `docs/mutation/<module>.md`."
            )
    for s in run:
        lines += ["", f"## `{s.module}`", ""]
        lines.append(
            f"{s.total} mutants: {s.killed} killed ({s.timeout} by timeout), "
            f"{len(s.justified)} survivors justified in "
            f"`docs/mutation/justified/{dotted(s.module)}.toml`, {len(s.unjustified)} "
            f"unjustified. Score {s.score:.1%} (killed alone {s.killed_share:.1%})."
        )
        lines.append("")
        lines.append(f"Run {s.date}: `{s.command}`; tests: " + ", ".join(f"`{t}`" for t in s.tests))
        if s.unjustified:
            lines += ["", "Unjustified survivors:", ""]
            diffs = results[s.module].get("diffs", {})
            for name, status in s.unjustified:
                lines.append(f"- `{name}` ({status})")
                changed = diffs.get(name) or []
                if changed:
                    lines.append("  ```diff")
                    lines += [f"  {line.strip()[:160]}" for line in changed[:6]]
                    lines.append("  ```")
        if s.stale:
            lines += [
                "",
                "Justifications that name no surviving mutant (killed now, or renamed by a code "
                "change; remove or update them): " + ", ".join(f"`{n}`" for n in s.stale),
            ]
    return "\n".join(lines) + "\n", scores


def module_doc(s: ModuleScore) -> str:
    """docs/mutation/<dotted module>.md: the numbers of one module's last run."""
    justified = f"docs/mutation/justified/{dotted(s.module)}.toml"
    lines = [
        f"# Mutation testing: `{s.module}`",
        "",
        "| mutants | killed | of which timeout | survived, justified | survived, unjustified "
        "| score (killed + justified) / total | killed / total |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s.total} | {s.killed} | {s.timeout} | {len(s.justified)} | {len(s.unjustified)} "
        f"| {s.score:.1%} | {s.killed_share:.1%} |",
        "",
        f"- date: {s.date}",
        f"- command: `{s.command}`",
        "- test selection: " + ", ".join(f"`{t}`" for t in s.tests),
        f"- justifications (one line per surviving mutant): `{justified}`",
        "- every survivor not justified, with its diff: `docs/mutation/REPORT.md`",
    ]
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_results() -> dict:
    if not RESULTS.exists():
        return {}
    return json.loads(RESULTS.read_text(encoding="utf-8"))


# ---- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--modules", nargs="+", help="paths from [tool.mutmut].only_mutate (default all)"
    )
    p.add_argument("--tests", nargs="+", help="test selection (default: pyproject's)")
    p.add_argument("--mutants", nargs="+", default=[], help="mutant names or globs to (re)run")
    p.add_argument(
        "--deselect",
        nargs="+",
        default=[],
        metavar="NODEID",
        help="tests left out of the mutant runs (slow subprocess tests that re-run the CLI)",
    )
    p.add_argument(
        "--module-docs",
        action="store_true",
        help="also write docs/mutation/<module>.md for the selected modules",
    )
    p.add_argument("--max-children", type=int, default=2)
    p.add_argument("--workdir", type=Path, help="keep the copy here (default: a temp folder)")
    p.add_argument("--report-only", action="store_true", help="re-render REPORT.md, no run")
    p.add_argument(
        "--from-workdir", action="store_true", help="read --workdir's mutmut state, no run"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = mutmut_config(REPO / "pyproject.toml")
    all_modules: list[str] = list(config.get("only_mutate", []))
    modules = args.modules or all_modules
    unknown = [m for m in modules if m not in all_modules]
    if unknown:
        raise UsageError(f"{unknown[0]} is not in [tool.mutmut].only_mutate of pyproject.toml")
    tests = args.tests or list(config.get("pytest_add_cli_args_test_selection", []))
    collected: dict = {}

    if not args.report_only:
        if args.from_workdir and not args.workdir:
            raise UsageError("--from-workdir needs --workdir")
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tariff-etl-mutation-"))
        workdir = workdir.resolve()
        if workdir == REPO or REPO in workdir.parents:
            raise UsageError("the work folder must be outside the repository")
        given = sys.argv[1:] if argv is None else argv
        command = "python bench/mutation.py " + shlex.join(given) if given else "make mutation"
        try:
            if not args.from_workdir:
                refresh_copy(workdir)
                narrow_pyproject(workdir / "pyproject.toml", modules, args.tests, args.deselect)
                before = mutant_codes(workdir, modules)
                started = time.monotonic()
                code = run_mutmut(workdir, args.max_children, args.mutants)
                again = kept_survivors(before, mutant_codes(workdir, modules))
                if code == 0 and again and not args.mutants:
                    # mutmut keeps a mutant's earlier result; the tests may have changed since
                    print(f"re-testing {len(again)} earlier survivors", flush=True)
                    code = run_mutmut(workdir, args.max_children, again)
                print(f"mutmut run: exit {code}, {time.monotonic() - started:.0f} s", flush=True)
                if code != 0:
                    raise UsageError(
                        f"mutmut run failed (exit {code}; see {workdir}/mutmut-run.log): "
                        "results not updated"
                    )
            used = mutmut_config(workdir / "pyproject.toml")
            tests = list(used.get("pytest_add_cli_args_test_selection", tests))
            collected = collect(workdir, modules, command, tests)
        finally:
            if args.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)

    DOCS.mkdir(parents=True, exist_ok=True)
    lock_path = Path(tempfile.gettempdir()) / f"tariff-etl-mutation-{os.getuid()}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # other modules' runs may finish at the same time
        results = load_results()
        if collected:
            results.update(collected)
            write_atomic(RESULTS, json.dumps(results, indent=1, sort_keys=True) + "\n")
        report, scores = render(results, all_modules)
        write_atomic(REPORT, report)
        if args.module_docs:
            for s in scores:
                if s.module in modules and s.total:
                    write_atomic(DOCS / f"{dotted(s.module)}.md", module_doc(s))
    print(f"wrote {REPORT.relative_to(REPO)}")
    failed = False
    for s in scores:
        if s.module not in modules:
            continue
        if not s.total:
            print(f"{s.module}: no result")
            failed = True
            continue
        print(
            f"{s.module}: {s.total} mutants, {s.killed} killed, {len(s.justified)} justified, "
            f"{len(s.unjustified)} unjustified; score {s.score:.1%} (killed {s.killed_share:.1%})"
        )
        failed |= not s.ok
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UsageError as exc:
        print(f"mutation: {exc}", file=sys.stderr)
        sys.exit(2)
