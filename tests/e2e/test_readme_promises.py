"""README promises about the command line and the warehouse, run through the real console
script `tariff-etl` (a subprocess with its own TARIFF_ETL_WAREHOUSE), not `cli.main`.

One module warehouse serves the read-only tests: a copy of the session's published warehouse,
three stale run folders added, then one real `tariff-etl run --json` with
TARIFF_ETL_KEEP_RUNS=2 (so the copy holds two published runs and the stale ones are pruned).
Tests that write (rollback, an interrupted run, a refused run) work on their own hard-linked
copy of it. Expected values come from the bundled source files, the contract, the Parquet files
themselves or arithmetic. The README sentence each test asserts is mapped in
tests/README_PROMISES.md (and the last test here checks that map names only real tests).
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from etl import publishing, runs
from etl.contract import MARTS
from etl.lock import warehouse_lock
from etl.settings import Settings
from tests.helpers import LANDING, PROJECT_ROOT, tree_checksums

pytestmark = pytest.mark.e2e

TARIFF_ETL = Path(sys.executable).parent / "tariff-etl"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
PROMISES = PROJECT_ROOT / "tests" / "README_PROMISES.md"
STALE_RUNS = [f"2000010{i}T000000Z-00000{i}" for i in (1, 2, 3)]


def _env(warehouse: Path | None, env: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without any TARIFF_ETL_* (or the Airflow Variable), a
    wide terminal for rich tables, then `warehouse` and `env`."""
    out = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TARIFF_ETL_", "AIRFLOW_VAR_TARIFF_ETL_"))
    }
    out["COLUMNS"] = "250"
    if warehouse is not None:
        out["TARIFF_ETL_WAREHOUSE"] = str(warehouse)
    out.update(env or {})
    return out


def _default_sigint() -> None:
    # a test run started in the background inherits SIGINT ignored, and the CLI rightly keeps
    # an ignored SIGINT ignored: give the child the ordinary disposition
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(warehouse, *args: str, env=None, stdin=None) -> subprocess.Popen:
    return subprocess.Popen(
        [str(TARIFF_ETL), *args],
        cwd=PROJECT_ROOT,
        env=_env(warehouse, env),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


@dataclass
class Done:
    code: int
    out: str
    err: str


def finish(proc: subprocess.Popen, stdin: str | None = None, timeout: float = 1200) -> Done:
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return Done(proc.returncode, out, err)


def tariff_etl(warehouse, *args: str, env=None, stdin=None, timeout: float = 1200) -> Done:
    """`tariff-etl *args` in a fresh process; exit code, stdout, stderr."""
    return finish(start(warehouse, *args, env=env, stdin=stdin), stdin, timeout)


def one_error_line(done: Done) -> str:
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.err, done.err
    assert len(lines[0]) <= 400 + len("error: "), lines[0]
    return lines[0]


@dataclass
class Warehouse:
    settings: Settings
    newer: str  # the run `tariff-etl run` published (current)
    older: str  # the session's published run, copied
    summary: dict  # `tariff-etl run --json` output


@pytest.fixture(scope="module")
def warehouse(published, tmp_path_factory) -> Warehouse:
    source, _ = published
    settings = Settings(warehouse=tmp_path_factory.mktemp("readme") / "warehouse")
    shutil.copytree(source.warehouse, settings.warehouse, symlinks=True)
    publishing.write_duckdb_views(settings)  # its views point at this copy's `current`
    older = runs.current_run_id(settings)
    for run_id in STALE_RUNS:
        settings.run_dir(run_id).mkdir(parents=True)
        runs.manifest_path(settings, run_id).write_text(
            json.dumps({"run_id": run_id, "status": "failed", "error": "stale stand-in"})
        )
    revised = _revised_comtrade_total(tmp_path_factory.mktemp("revised"))
    done = tariff_etl(settings.warehouse, "ingest", "comtrade", str(revised))
    assert done.code == 0, done.err
    done = tariff_etl(
        settings.warehouse, "run", "--json", env={"TARIFF_ETL_KEEP_RUNS": "2"}, timeout=1800
    )
    assert done.code == 0, done.err
    summary = json.loads(done.out)
    return Warehouse(settings, summary["run_id"], older, summary)


def _revised_comtrade_total(folder: Path) -> Path:
    """A one-row Comtrade file: China's 2017 imports from the US, all commodities, as a
    separately described revision of the bundled total. Landed beside the bundled file, the two
    Comtrade totals for 2017 add up to twice PIIE's, so the warning-severity SQL assertion
    `assert_piie_total_agrees_with_comtrade` (1% tolerance) fails; grand totals are no weight
    basis, so the marts do not change."""
    lines = (
        (LANDING / "un_comtrade_totals" / "TradeData_China_USA.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()
    )
    (total,) = [
        line
        for line in lines
        if '"2017","52","2017"' in line
        and '"M","Import"' in line
        and '"TOTAL","All Commodities"' in line
    ]
    path = folder / "TradeData_China_USA_2017_revised.csv"
    revised = total.replace('"All Commodities"', '"All Commodities (revised)"')
    path.write_text(f"{lines[0]}\n{revised}\n", encoding="utf-8")
    return path


def _link_or_copy(src: str, dst: str) -> None:
    # files a writer replaces atomically are shared; the lock and the DuckDB file are copied
    if Path(src).name in {".lock", "tariffs.duckdb"}:
        shutil.copy2(src, dst)
    else:
        os.link(src, dst)


@pytest.fixture
def own_copy(warehouse, tmp_path) -> Settings:
    """A hard-linked copy of the module warehouse that a test may write to."""
    settings = Settings(warehouse=tmp_path / "warehouse")
    shutil.copytree(
        warehouse.settings.warehouse,
        settings.warehouse,
        symlinks=True,
        copy_function=_link_or_copy,
    )
    publishing.write_duckdb_views(settings)
    return settings


def sql_csv(warehouse_path: Path, query: str, env=None) -> list[dict[str, str]]:
    done = tariff_etl(warehouse_path, "sql", query, "--format", "csv", env=env)
    assert done.code == 0, done.err
    return list(csv.DictReader(done.out.splitlines()))


def parquet_rows(folder: Path) -> int:
    return sum(pq.read_metadata(p).num_rows for p in folder.rglob("*.parquet"))


# ---------------------------------------------------------------- run, runs, keep runs


def test_run_summary_reconciles_rows_and_passes_every_gate(warehouse):
    """`tariff-etl run` prints rows read / loaded / quarantined, gate results and the headline;
    rows read = loaded + quarantined for every dataset."""
    summary = warehouse.summary
    manifest = runs.read_manifest(warehouse.settings, warehouse.newer)
    assert manifest["status"] == "published"
    assert summary["datasets"] == manifest["datasets"]
    for name, counts in summary["datasets"].items():
        assert counts["rows_read"] == counts["rows_loaded"] + counts["rows_quarantined"], name
    assert set(summary["checks"]) == set(runs.GATES)
    for layer, checks in summary["checks"].items():
        assert checks["failed_critical"] == 0 and checks["passed"] > 0, layer
    coverage = warehouse.settings.current_dir / "marts" / "fct_retaliation_coverage"
    table = pq.read_table(coverage).to_pylist()
    for row in summary["headline"]:
        day = [r for r in table if str(r["as_of_date"]) == row["as_of_date"]]
        assert day, row
        assert row["covered_value_usd"] == pytest.approx(sum(r["covered_value_usd"] for r in day))
        assert row["coverage_share"] == pytest.approx(
            row["covered_value_usd"] / row["total_value_usd"]
        )


def test_keep_runs_setting_prunes_old_run_folders_after_a_cli_run(warehouse):
    """TARIFF_ETL_KEEP_RUNS=2 on `tariff-etl run`: of five run folders (three stale, the copied
    published one, the new one) the newest two stay."""
    left = sorted(p.name for p in warehouse.settings.runs_dir.iterdir())
    assert left == sorted([warehouse.older, warehouse.newer])
    assert not set(STALE_RUNS) & set(left)


def test_keep_runs_defaults_to_5(tmp_path, monkeypatch):
    from etl.settings import get_settings

    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(tmp_path / "wh"))
    for name in (
        "TARIFF_ETL_KEEP_RUNS",
        "TARIFF_ETL_PUBLISH_URI",
        "AIRFLOW_VAR_TARIFF_ETL_PUBLISH_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        assert get_settings().keep_runs == 5
    finally:
        get_settings.cache_clear()


def _runs_table(out: str) -> list[list[str]]:
    rows = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", cells[0]):
            rows.append(cells)
    return rows


def test_runs_lists_runs_newest_first_with_status_and_current(warehouse):
    done = tariff_etl(warehouse.settings.warehouse, "runs")
    assert done.code == 0, done.err
    rows = _runs_table(done.out)
    assert [r[0] for r in rows] == [warehouse.newer, warehouse.older]
    assert [r[1:3] for r in rows] == [["published", "*"], ["published", ""]]


def test_airflow_variable_names_the_warehouse_on_the_command_line(warehouse):
    """`AIRFLOW_VAR_TARIFF_ETL_WAREHOUSE` stands for TARIFF_ETL_WAREHOUSE when that is unset."""
    done = tariff_etl(
        None, "runs", env={"AIRFLOW_VAR_TARIFF_ETL_WAREHOUSE": str(warehouse.settings.warehouse)}
    )
    assert done.code == 0, done.err
    assert [r[0] for r in _runs_table(done.out)] == [warehouse.newer, warehouse.older]


def test_rollback_switches_current_back_then_forward_through_the_cli(warehouse, own_copy):
    """`tariff-etl rollback` (no id: the published run before current) and `rollback <id>`
    move `current` and tariffs.duckdb; the older run is made distinguishable by one row."""
    settings = own_copy
    band = settings.run_dir(warehouse.older) / "marts" / "fct_exemption_band"
    (path,) = band.rglob("*.parquet")
    table = pq.read_table(path)
    path.unlink()  # a new file: never edit a hard-linked one
    pq.write_table(table.slice(0, table.num_rows - 1), path)
    manifest = runs.read_manifest(settings, warehouse.older)
    manifest["marts"]["fct_exemption_band"] = table.num_rows - 1
    runs.manifest_path(settings, warehouse.older).unlink()
    runs.manifest_path(settings, warehouse.older).write_text(json.dumps(manifest))
    count = "select count(*) as n from fct_exemption_band"
    assert sql_csv(settings.warehouse, count) == [{"n": str(table.num_rows)}]

    done = tariff_etl(settings.warehouse, "rollback")
    assert (done.code, done.out.strip()) == (0, f"current -> {warehouse.older}"), done.err
    assert runs.current_run_id(settings) == warehouse.older
    assert sql_csv(settings.warehouse, count) == [{"n": str(table.num_rows - 1)}]
    rows = _runs_table(tariff_etl(settings.warehouse, "runs").out)
    assert [(r[0], r[2]) for r in rows] == [(warehouse.newer, ""), (warehouse.older, "*")]

    done = tariff_etl(settings.warehouse, "rollback")  # nothing published before it
    assert done.code == 2 and "no earlier published run" in one_error_line(done)
    done = tariff_etl(settings.warehouse, "rollback", warehouse.newer)
    assert (done.code, done.out.strip()) == (0, f"current -> {warehouse.newer}"), done.err
    assert sql_csv(settings.warehouse, count) == [{"n": str(table.num_rows)}]


def test_a_run_hard_links_the_landed_parts_and_records_their_inputs(warehouse):
    """Each run hard-links the landed part files into runs/<id>/raw/landed_trade_flows/, its
    row count equals the landed manifest's, and every landed input is recorded in the run
    manifest with the sha256 of its file (here: the bundled files, hashed from data/landing)."""
    import hashlib

    settings = warehouse.settings
    landed = json.loads((settings.warehouse / "landed" / "manifest.json").read_text())["files"]
    snapshot = settings.run_dir(warehouse.newer) / "raw" / "landed_trade_flows"
    parts = sorted(snapshot.glob("*.parquet"))
    linked = [p for p in parts if "__part-" in p.name]  # beside them: an `_empty.parquet` schema
    assert linked
    for part in linked:
        partition, _, name = part.name.partition("__part-")
        original = settings.warehouse / "landed" / "trade_flows"
        original = original / partition.replace("__", "/") / f"part-{name}"
        assert os.path.samefile(part, original), part.name  # a hard link, not a copy
    manifest = runs.read_manifest(settings, warehouse.newer)
    rows = sum(pq.read_metadata(p).num_rows for p in parts)
    assert rows == manifest["datasets"]["landed_trade_flows"]["rows_loaded"]
    assert rows == sum(entry["rows_loaded"] for entry in landed.values())
    bundled = [name for name in landed if (LANDING / name).is_file()]
    assert len(bundled) >= 3, sorted(landed)
    for name in bundled:
        digest = hashlib.sha256((LANDING / name).read_bytes()).hexdigest()
        assert manifest["inputs"][f"landed:{name}"]["sha256"] == digest, name


# ---------------------------------------------------------------- read-only commands


def test_tables_lists_every_mart_with_grain_key_and_rows(warehouse):
    done = tariff_etl(warehouse.settings.warehouse, "tables", "--format", "json")
    assert done.code == 0, done.err
    listed = {t["mart"]: t for t in json.loads(done.out)}
    assert list(listed) == list(MARTS)
    for name, spec in MARTS.items():
        assert listed[name]["grain"] == spec.grain
        assert listed[name]["key"] == ", ".join(spec.key)
        rows = parquet_rows(warehouse.settings.current_dir / "marts" / name)
        assert listed[name]["rows"] == rows > 0, name


def _ita_matrix() -> dict[str, dict[str, str]]:
    path = LANDING / "ita_retaliation_matrix" / "underlying_trade_retaliations.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [{k.strip(): v for k, v in r.items()} for r in csv.DictReader(fh)]  # " Foreign…"
    return {r["Foreign National Tariff Line"].strip(): r for r in rows if r["Country"] == "China"}


def _categories_of(code: str, revision: str = "HS2022") -> list[str]:
    """Categories whose include rules match `code` and no exclude rule of the same category
    does (data/reference/product_categories.csv)."""
    with (PROJECT_ROOT / "data" / "reference" / "product_categories.csv").open() as fh:
        rules = [r for r in csv.DictReader(fh) if r["hs_revision"] == revision]
    hits = {
        r["category"] for r in rules if r["match"] == "include" and code.startswith(r["hs_prefix"])
    }
    out = {
        c
        for c in hits
        if not any(
            r["category"] == c and r["match"] == "exclude" and code.startswith(r["hs_prefix"])
            for r in rules
        )
    }
    return sorted(out)


SEED_STORY = yaml.safe_load((PROJECT_ROOT / "scenarios" / "seed_story.yaml").read_text())


def test_explain_shows_the_rule_that_decided_a_line(warehouse):
    """`tariff-etl explain seed_story 12019011`: soybeans, in `include: categories` of
    scenarios/seed_story.yaml, taxed at the ITA matrix rate of 28 March 2025."""
    matrix = _ita_matrix()
    soy = matrix["12019011"]
    rate = float(soy["Current Total Estimated Retaliatory Tariff"].rstrip("%"))
    done = tariff_etl(warehouse.settings.warehouse, "explain", "seed_story", "12019011")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0].startswith(f"12019011  ELIGIBLE  (taxed at +{rate:g}% on 2025-03-28"), lines
    assert lines[1].strip() == soy["Foreign Tariff Line Description"][:110].strip()
    assert lines[2].strip() == f"categories: {','.join(_categories_of('12019011'))}"
    assert "soybeans" in _categories_of("12019011")
    assert "soybeans" in SEED_STORY["include"]["categories"]
    assert lines[3].strip() == (
        "include rules matched: include:category:soybeans; exclude rules matched: -"
    )
    assert lines[4].strip() == "decided by: include:category:soybeans"

    # a semiconductor device line stays taxed: the scenario excludes that category
    semi = sorted(
        code
        for code, row in matrix.items()
        if _categories_of(code) == ["semiconductors"]
        and float(row["Current Total Estimated Retaliatory Tariff"].rstrip("%")) > 0
    )[0]
    semi_rate = float(matrix[semi]["Current Total Estimated Retaliatory Tariff"].rstrip("%"))
    done = tariff_etl(warehouse.settings.warehouse, "explain", "seed_story", semi)
    assert done.code == 0, done.err
    first = done.out.splitlines()[0]
    assert first.startswith(f"{semi}  not eligible  (taxed at +{semi_rate:g}% on 2025-03-28"), first
    lines = done.out.splitlines()
    assert "semiconductors" in SEED_STORY["exclude"]["categories"]
    assert lines[2].strip() == f"categories: {','.join(_categories_of(semi))}"
    assert "exclude:category:semiconductors" in lines[3] and "decided by: exclude" in lines[4]


def _nomenclature_total_rows() -> dict[str, int]:
    out = {}
    for path in sorted((LANDING / "harmonized_system").glob("*/harmonized-system.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            out[path.parent.name] = sum(1 for r in csv.DictReader(fh) if r["hscode"] == "TOTAL")
    return out


def _quarantine_lines(out: str) -> list[tuple[str, str, int, str]]:
    rows = []
    for line in out.splitlines():
        dataset, reason, count, example = line.split("\t")
        rows.append((dataset, reason, int(count), example))
    return rows


def test_quarantine_counts_rows_by_reason_and_only_tolerated_reasons_pass(warehouse):
    """`tariff-etl quarantine` counts quarantined rows per dataset and reason; a published run
    carries only the tolerated reasons (blank rows, the nomenclature's grand-total rows) and
    the grand-total rows counted are those of the bundled nomenclature files."""
    done = tariff_etl(warehouse.settings.warehouse, "quarantine")
    assert done.code == 0, done.err
    rows = _quarantine_lines(done.out)
    assert rows, done.out
    manifest = runs.read_manifest(warehouse.settings, warehouse.newer)
    by_dataset: dict[str, int] = {}
    for dataset, reason, count, _ in rows:
        assert reason in {"blank_row", "aggregate_row"}, (dataset, reason)
        assert reason != "aggregate_row" or dataset == "hs_nomenclature", dataset
        by_dataset[dataset] = by_dataset.get(dataset, 0) + count
    for dataset, count in by_dataset.items():
        counts = manifest["datasets"][dataset]
        assert counts["rows_quarantined"] == counts["rows_quarantined_tolerated"] == count
    totals = _nomenclature_total_rows()
    assert sum(totals.values()) > 0
    assert [c for d, r, c, _ in rows if r == "aggregate_row"] == [sum(totals.values())]
    # the same for a named run
    again = tariff_etl(warehouse.settings.warehouse, "quarantine", "--run-id", warehouse.older)
    assert again.code == 0 and _quarantine_lines(again.out) == rows, again.err


def test_a_quarantine_reason_outside_the_tolerated_ones_rejects_the_batch(tmp_path):
    """The nomenclature tolerates its grand-total row and blank rows; any other quarantined row
    (here a code with the wrong number of digits) rejects the batch, naming file, row, field."""
    from datetime import UTC, datetime

    from etl import raw_zone
    from etl.errors import ReconciliationError
    from etl.ingest.common import SourceFile
    from etl.ingest.hs_nomenclature import load_nomenclature

    source = LANDING / "harmonized_system" / "hs2022" / "harmonized-system.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        header, *records = list(csv.reader(fh))
    code = header.index("hscode")
    totals = [r for r in records if r[code] == "TOTAL"]  # the file's grand-total row
    assert len(totals) == 1, totals
    body = [r for r in records[:30] if r[code] != "TOTAL"] + totals

    def write(path: Path, rows: list[list[str]]) -> Path:
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([header, *rows])
        return path

    good = write(tmp_path / "good.csv", [*body[:10], [], *body[10:]])  # and one blank row
    loaded = load_nomenclature(SourceFile.open(good, tmp_path), "HS2022", datetime.now(UTC))
    loaded.check_reconciled()
    assert sorted(q["reason_code"] for q in loaded.quarantine) == ["aggregate_row", "blank_row"]
    assert loaded.blocking_quarantine == []
    settings = Settings(warehouse=tmp_path / "wh")
    raw_zone._reject(settings, _source_stub(), [loaded])  # tolerated: nothing raised

    broken = list(body[5])
    broken[code] += "9"  # one digit more than its level says
    bad = write(tmp_path / "bad.csv", [*body[:5], broken, *body[6:]])
    loaded = load_nomenclature(SourceFile.open(bad, tmp_path), "HS2022", datetime.now(UTC))
    assert [q["reason_code"] for q in loaded.blocking_quarantine] == ["bad_code"]
    with pytest.raises(ReconciliationError) as err:
        raw_zone._reject(settings, _source_stub(), [loaded])
    message = str(err.value)
    assert "file bad.csv" in message and "row 7" in message and "'hscode'" in message, message


def _source_stub():
    @dataclass
    class Stub:
        source_id: str = "hs_nomenclature_test"
        fingerprint: str = "0" * 64

    return Stub()


def test_shell_runs_statements_from_stdin_and_exits_2_when_one_failed(warehouse):
    from etl.tariff_actions import load_actions

    actions = load_actions(PROJECT_ROOT / "data" / "reference" / "tariff_actions")
    script = "select count(*) as actions\nfrom dim_tariff_actions;\n.tables\n.quit\n"
    done = tariff_etl(warehouse.settings.warehouse, "shell", "--format", "csv", stdin=script)
    assert done.code == 0, done.err
    out = done.out.replace("\r\n", "\n")  # CSV rows end in CRLF (RFC 4180)
    assert f"actions\n{len(actions)}\n" in out
    for mart in MARTS:
        assert mart in done.out, mart
    done = tariff_etl(
        warehouse.settings.warehouse,
        "shell",
        "--format",
        "csv",
        stdin="select 1 as one;\nselect * from no_such_mart;\n",
    )
    assert done.code == 2, done.err
    assert "one\n1\n" in done.out.replace("\r\n", "\n")
    assert "1 statement(s) failed" in done.err


# ---------------------------------------------------------------- exit codes


def test_an_unexpected_error_exits_1_in_one_line_and_debug_shows_the_traceback(tmp_path):
    """Exit 1 is an unexpected error (a bug). The bug is planted by a `sitecustomize` on
    PYTHONPATH: `runs.list_runs` divides by zero, so `tariff-etl runs` meets an exception
    that is no EtlError. One line naming the exception; `--debug` shows the traceback."""
    (tmp_path / "sitecustomize.py").write_text(
        "from etl import runs\n"
        "def list_runs(settings):\n"
        "    return 1 / 0\n"
        "runs.list_runs = list_runs\n"
    )
    env = {"PYTHONPATH": f"{tmp_path}{os.pathsep}{PROJECT_ROOT}"}
    done = tariff_etl(tmp_path / "wh", "runs", env=env)
    assert done.code == 1, done.err
    line = one_error_line(done)
    assert line == (
        "error: unexpected ZeroDivisionError: division by zero (rerun with --debug for details)"
    )
    debug = tariff_etl(tmp_path / "wh", "--debug", "runs", env=env)
    assert debug.code == 1
    assert "Traceback" in debug.err and "in list_runs" in debug.err
    assert debug.err.strip().endswith("ZeroDivisionError: division by zero")


def test_a_clear_pipeline_error_exits_2_in_one_line(tmp_path):
    done = tariff_etl(tmp_path / "wh", "quarantine", "--run-id", "20000101T000000Z-000001")
    assert done.code == 2
    assert one_error_line(done).startswith("error: ")


def _wait_for_running_manifest(settings: Settings, proc: subprocess.Popen, before: set[str]):
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for path in settings.runs_dir.glob("*/manifest.json"):
            if path.parent.name in before:
                continue
            try:
                if json.loads(path.read_text())["status"] == "running":
                    return path.parent.name
            except (ValueError, KeyError):
                pass  # being written
        time.sleep(0.1)
    raise AssertionError("the run did not start within 300 s")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_run_exits_with_its_code_and_marks_the_run_failed(
    warehouse, own_copy, signum, code
):
    """Ctrl-C (SIGINT) -> 130, SIGTERM -> 143, to the console script during `tariff-etl run`;
    the run in progress is marked failed and `current` does not move. (SIGINT and SIGTERM
    during a query: tests/hostile/test_signals_during_queries.py.)"""
    settings = own_copy
    before = {p.name for p in settings.runs_dir.iterdir()}
    current = tree_checksums(settings.current_dir)
    proc = start(settings.warehouse, "run", "--quiet")
    try:
        run_id = _wait_for_running_manifest(settings, proc, before)
        proc.send_signal(signum)
        done = finish(proc, timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert done.code == code, done.err
    assert done.out == ""
    name = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    assert one_error_line(done) == f"interrupted{name}"
    manifest = runs.read_manifest(settings, run_id)
    assert manifest["status"] == "failed", manifest
    assert runs.current_run_id(settings) == warehouse.newer
    assert tree_checksums(settings.current_dir) == current


def test_reference_setting_points_the_run_at_another_reference_folder(
    warehouse, own_copy, tmp_path
):
    """TARIFF_ETL_REFERENCE: the run reads the tariff actions of that folder; one record
    naming an action that does not exist stops it with exit 2, one line naming file, action
    and rule; nothing is published."""
    reference = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "data" / "reference", reference)
    bad = reference / "tariff_actions" / "2025.yaml"
    text = bad.read_text(encoding="utf-8")
    old = "scope: {kind: action_lines, action_id: CHN-20250310-farm}"
    assert text.count(old) == 1
    bad.write_text(text.replace(old, old.replace("20250310", "20250311")), encoding="utf-8")
    before = tree_checksums(own_copy.current_dir)
    done = tariff_etl(
        own_copy.warehouse, "run", "--quiet", env={"TARIFF_ETL_REFERENCE": str(reference)}
    )
    assert done.code == 2, done.err
    line = one_error_line(done)
    assert line.startswith("error: tariff-action file 2025.yaml: actions[CHN-"), line
    assert line.endswith("names unknown action CHN-20250311-farm"), line
    assert runs.current_run_id(own_copy) == warehouse.newer
    assert tree_checksums(own_copy.current_dir) == before


# ---------------------------------------------------------------- the warehouse lock


class HeldLock:
    """The warehouse lock held by a thread of this process (flock conflicts with another
    process's open file), released on `release()`."""

    PURPOSE = "readme promises holder"

    def __init__(self, settings: Settings) -> None:
        self._release = threading.Event()
        self._held = threading.Event()
        self._thread = threading.Thread(target=self._hold, args=(settings,), daemon=True)
        self._thread.start()
        assert self._held.wait(30)

    def _hold(self, settings: Settings) -> None:
        with warehouse_lock(settings.lock_path, self.PURPOSE):
            self._held.set()
            self._release.wait(600)

    def release(self) -> None:
        self._release.set()
        self._thread.join(30)


def _names_the_holder(line: str, warehouse: Path) -> None:
    assert f"warehouse {warehouse} is locked by another writer" in line, line
    assert f'"pid": {os.getpid()}' in line and socket.gethostname() in line, line
    assert HeldLock.PURPOSE in line, line


def test_writers_fail_at_once_naming_the_holder_and_readers_never_lock(warehouse, tmp_path):
    """`run`, `rollback`, `landed --forget` exit 2 at once naming pid, host and purpose;
    `sql`, `shell`, `tables`, `scenarios`, `explain`, `runs` and `quarantine` read the last
    published run without the lock. (`ingest` under a held lock:
    tests/hostile/test_files.py::test_ingest_on_the_command_line_fails_at_once_when_the_lock_is_held.)"""
    settings = warehouse.settings
    path = settings.warehouse
    before = (
        runs.current_run_id(settings),
        sorted(p.name for p in settings.runs_dir.iterdir()),
    )
    held = HeldLock(settings)
    try:
        writers = {
            "run": start(path, "run", "--quiet"),
            "rollback": start(path, "rollback"),
            "landed --forget": start(path, "landed", "--forget", "un_comtrade_totals/x.csv"),
        }
        readers = {
            "sql": start(path, "sql", "select count(*) from dim_tariff_actions"),
            "shell": start(path, "shell", stdin="select 1;\n"),
            "tables": start(path, "tables"),
            "scenarios": start(path, "scenarios"),
            "explain": start(path, "explain", "seed_story", "1201"),
            "runs": start(path, "runs"),
            "quarantine": start(path, "quarantine"),
        }
        results = {
            name: finish(p, "select 1;\n" if name == "shell" else None)
            for name, p in {**writers, **readers}.items()
        }
    finally:
        held.release()
    for name in writers:
        done = results[name]
        assert done.code == 2, (name, done.err)
        line = one_error_line(done)
        _names_the_holder(line, path)
        assert "waited" not in line, line  # at once: the command line waits 0 s
    for name in readers:
        assert results[name].code == 0, (name, results[name].err)
    after = (runs.current_run_id(settings), sorted(p.name for p in settings.runs_dir.iterdir()))
    assert after == before


def test_lock_wait_setting_makes_a_writer_queue_then_proceed_or_give_up(warehouse):
    """TARIFF_ETL_LOCK_WAIT_S: a command-line writer waits that long for the holder. Released
    while it waits, it goes on (and here finds no such landed file); never released, it gives
    up after the wait, naming the holder."""
    path = warehouse.settings.warehouse
    held = HeldLock(warehouse.settings)
    try:
        proc = start(
            path,
            "landed",
            "--forget",
            "no/such/file.csv",
            env={"TARIFF_ETL_LOCK_WAIT_S": "120"},
        )
        waited = ""
        deadline = time.monotonic() + 120
        while "waiting up to 120 s" not in waited and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, waited
            waited += line
        assert HeldLock.PURPOSE in waited
    finally:
        held.release()
    done = finish(proc, timeout=120)
    assert done.code == 2
    assert "'no/such/file.csv' is not a landed file" in done.err, done.err

    held = HeldLock(warehouse.settings)
    try:
        started = time.monotonic()
        done = tariff_etl(
            path, "landed", "--forget", "no/such/file.csv", env={"TARIFF_ETL_LOCK_WAIT_S": "1"}
        )
        assert time.monotonic() - started >= 1
    finally:
        held.release()
    assert done.code == 2
    line = done.err.strip().splitlines()[-1]
    assert "(waited 1 s)" in line
    _names_the_holder(line, path)


# ---------------------------------------------------------------- landed files


def test_the_same_month_landed_twice_under_two_names_is_refused_by_the_staging_gate(
    warehouse, own_copy, tmp_path
):
    """A monthly China Customs file landed twice (the second a renamed copy): both land, the
    run stops at the staging gate naming the duplicate key, nothing is published; `landed
    --forget` removes the copy."""
    settings = own_copy
    month = FIXTURES / "customs" / "china_customs_import_201803.csv"
    first, second = tmp_path / month.name, tmp_path / "china_customs_import_201803 (1).csv"
    shutil.copy2(month, first)
    shutil.copy2(month, second)
    for path in (first, second):
        done = tariff_etl(settings.warehouse, "ingest", "china-customs", str(path))
        assert done.code == 0, done.err
    done = tariff_etl(settings.warehouse, "landed", "--json")
    landed = {f["file"]: f for f in json.loads(done.out)}
    mine = [name for name in landed if "china_customs_import_201803" in name]
    assert len(mine) == 2
    assert landed[mine[0]]["partitions"] == landed[mine[1]]["partitions"]
    published = tree_checksums(settings.current_dir)

    done = tariff_etl(settings.warehouse, "run", "--quiet")
    assert done.code == 2, done.err
    line = one_error_line(done)
    assert "staging.stg_customs__trade_flows" in line and "trade_flow_id" in line, line
    assert runs.current_run_id(settings) == warehouse.newer
    assert tree_checksums(settings.current_dir) == published

    done = tariff_etl(settings.warehouse, "landed", "--forget", mine[1])
    assert done.code == 0 and f"forgot {mine[1]}" in done.out, done.err
    done = tariff_etl(settings.warehouse, "landed", "--json")
    assert [f for f in json.loads(done.out) if "china_customs_import_201803" in f["file"]] == [
        landed[mine[0]]
    ]


# ---------------------------------------------------------------- quality gate warnings


def test_warning_expectations_are_published_and_listed(warehouse):
    """A failed check of `severity: warning` does not stop the run: the module's run (with a
    revised Comtrade 2017 total landed, see `_revised_comtrade_total`) is published and lists
    the failed warning in its summary, its manifest and quality/<layer>.json; the session's run
    without that file lists none."""
    from etl.quality import CheckResult

    summary = warehouse.summary
    settings = warehouse.settings
    manifest = runs.read_manifest(settings, warehouse.newer)
    assert manifest["status"] == "published"
    assert runs.current_run_id(settings) == warehouse.newer
    listed = {layer: summary["checks"][layer]["warnings"] for layer in runs.GATES}
    for layer in runs.GATES:
        assert listed[layer] == manifest["checks"][layer]["warnings"], layer
        quality = json.loads(
            (settings.run_dir(warehouse.newer) / "quality" / f"{layer}.json").read_text()
        )
        failed = [
            CheckResult(**r).line()
            for r in quality["results"]
            if not r["success"] and r["severity"] == "warning"
        ]
        assert failed == listed[layer], layer
        assert quality["failed_critical"] == 0
    warnings = [w for ws in listed.values() for w in ws]
    assert [w for w in warnings if "assert_piie_total_agrees_with_comtrade" in w], warnings
    before = runs.read_manifest(settings, warehouse.older)
    assert not any(
        "assert_piie_total_agrees_with_comtrade" in w
        for layer in runs.GATES
        for w in before["checks"][layer]["warnings"]
    )


# ---------------------------------------------------------------- `tariff-etl airflow`


def test_ctrl_c_on_tariff_etl_airflow_stops_every_process_of_the_group(tmp_path):
    """`tariff-etl airflow` runs `airflow standalone` in its own process group and, on Ctrl-C,
    interrupts then kills that whole group. A real Airflow start takes minutes on a loaded
    machine, so the console script runs with `local.start` replaced (by a `sitecustomize` on
    PYTHONPATH) with a stand-in: a Python process and two `sleep` children in a new session,
    started as `local.start` starts Airflow. The CLI's own code (the wait loop, the signal
    handling, `LocalAirflow.stop`) is the real one. The real Airflow start and stop:
    tests/dags/test_airflow_standalone.py."""
    pids = tmp_path / "pgid"
    standin = tmp_path / "standin.py"  # stands for `airflow standalone` and its children
    standin.write_text(
        "import os, subprocess, sys, time\n"
        "children = [subprocess.Popen(['sleep', '600']) for _ in range(2)]\n"
        "open(sys.argv[1], 'w').write(str(os.getpgrp()))\n"
        "time.sleep(600)\n"
    )
    (tmp_path / "sitecustomize.py").write_text(
        "import subprocess, sys\n"
        "from etl.orchestration import local\n"
        "def start(settings, home, port=8080, **kw):\n"
        f"    proc = subprocess.Popen([sys.executable, {str(standin)!r}, {str(pids)!r}],\n"
        "                            start_new_session=True)\n"
        "    return local.LocalAirflow(proc, f'http://127.0.0.1:{port}', home)\n"
        "local.start = start\n"
    )
    env = {"PYTHONPATH": f"{tmp_path}{os.pathsep}{PROJECT_ROOT}"}
    proc = start(tmp_path / "wh", "airflow", "--port", "18080", env=env)
    try:
        banner = ""
        while "Ctrl-C stops every Airflow process." not in banner:
            line = proc.stdout.readline()
            assert line, (banner, proc.poll(), proc.stderr.read() if proc.poll() else "")
            banner += line
        assert "http://127.0.0.1:18080" in banner
        deadline = time.monotonic() + 30
        while not (pids.exists() and pids.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        group = int(pids.read_text())
        members = _group_members(group)
        assert len(members) == 3, members  # the stand-in and its two children
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Airflow stopped." in out
    assert proc.returncode == 130, err
    assert _group_members(group) == []


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # state, ppid, pgrp
            members.append(int(stat.parent.name))
    return members


# ---------------------------------------------------------------- the promise map


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_node_id_in_the_promise_map_exists():
    """tests/README_PROMISES.md maps README sentences to tests: every node id it names must be
    a test function of that file, and every row names at least one test."""
    text = PROMISES.read_text(encoding="utf-8")
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("|")
        and not re.fullmatch(r"\|[-| ]+\|", line)  # a table's separator row
        and line != "| README says | asserted by |"  # a table's header row
    ]
    assert len(rows) >= 60, len(rows)
    missing = []
    for row in rows:
        ids = re.findall(r"`(tests/[\w/]+\.py::\w+)(?:\[[^\]]*\])?`", row)
        assert ids, f"a row without a test: {row}"
        for node in ids:
            file, name = node.split("::")
            path = PROJECT_ROOT / file
            if not path.exists() or name not in _test_names(path):
                missing.append(node)
    assert missing == [], f"README_PROMISES.md names tests that do not exist: {missing}"
