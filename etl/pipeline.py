"""The only functions DAG tasks and the CLI call: ingest -> check -> build -> check -> publish.

Every run works in its own folder `<warehouse>/runs/<run_id>/` (raw Parquet, quarantine, build
database, validation results, marts). Only a run whose every gate passed is published, by
atomically re-pointing `<warehouse>/current` at it (write-audit-publish).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from etl import publishing, runs, sql_runner
from etl.contract import CONTRACT_VERSION
from etl.errors import QualityGateError, ReconciliationError
from etl.lock import warehouse_lock
from etl.runs import GATES
from etl.settings import Settings

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- run folder


def start_run(settings: Settings) -> str:
    """Create a run folder holding a snapshot of the current raw zone; return the run id."""
    import pyarrow.parquet as pq

    from etl import raw_zone

    with warehouse_lock(settings.lock_path, "start_run", wait_s=settings.lock_wait_s):
        run_id = runs.new_run_id()
        run_dir = settings.run_dir(run_id)
        run_dir.mkdir(parents=True)
        snapshot = raw_zone.snapshot_into(settings, run_dir)
        counts = raw_zone.dataset_counts(snapshot["state"])
        for name, expected in counts.items():
            rows = sum(pq.read_metadata(p).num_rows for p in (run_dir / "raw" / name).glob("*"))
            if rows != expected["rows_loaded"]:
                raise ReconciliationError(
                    f"raw dataset {name}: {rows} rows in the snapshot, "
                    f"{expected['rows_loaded']} ingested"
                )
        inputs = {
            name: {"sha256": sha, "source_id": source_id}
            for source_id, entry in snapshot["state"].items()
            for name, sha in entry["inputs"].items()
        }
        landed = _snapshot_landed(settings, run_dir)
        inputs.update(landed["inputs"])
        counts["landed_trade_flows"] = landed["counts"]
        runs.write_json(
            runs.manifest_path(settings, run_id),
            {
                "run_id": run_id,
                "status": "running",
                "started_at": datetime.now(UTC).isoformat(),
                "code_version": runs.code_version(settings),
                "contract_version": CONTRACT_VERSION,
                "raw_version": snapshot["raw_version"],
                "inputs": dict(sorted(inputs.items())),
                "datasets": counts,
                "checks": {},
                "timings_s": {},
                "models": {},
            },
        )
        return run_id


LANDED_DATASET = "landed_trade_flows"


def _snapshot_landed(settings: Settings, run_dir: Path) -> dict[str, Any]:
    """Hard-link the landed customs part files (`tariff-etl ingest`) into the run folder.

    The landed manifest is the list: every part file it names must be there with its row count.
    Files are laid flat under `raw/landed_trade_flows/` (the partition values are columns too);
    an empty file with the landed schema is always written so readers never see an empty glob.
    """
    import pyarrow.parquet as pq

    from etl.customs.schema import LANDED_SCHEMA

    landed = settings.warehouse / "landed"
    target = run_dir / "raw" / LANDED_DATASET
    target.mkdir(parents=True, exist_ok=True)
    pq.write_table(LANDED_SCHEMA.empty_table(), target / "_empty.parquet")
    manifest_file = landed / "manifest.json"
    files = json.loads(manifest_file.read_text())["files"] if manifest_file.exists() else {}
    inputs, read, rows, quarantined = {}, 0, 0, 0
    for name, entry in sorted(files.items()):
        for rel, part in sorted(entry["partitions"].items()):
            got = 0
            for part_file in part["files"]:
                source = landed / "trade_flows" / rel / part_file
                if not source.is_file():
                    raise ReconciliationError(
                        f"landed trade flows: {source} is in {manifest_file} but missing; "
                        "re-run `tariff-etl ingest` for that file"
                    )
                link = target / f"{rel.replace('/', '__')}__{part_file}"
                os.link(source, link)
                got += pq.read_metadata(link).num_rows
            if got != part["rows"]:
                raise ReconciliationError(
                    f"landed trade flows {rel} of {name}: {got} rows, manifest says {part['rows']}"
                )
            rows += got
        read += entry["rows_read"]
        quarantined += entry["rows_quarantined"]
        inputs[f"landed:{name}"] = {"sha256": entry["sha256"], "source_id": entry["source"]}
    return {
        "inputs": inputs,
        # landed rows were quarantined at `tariff-etl ingest` (a trade-flow source's stated
        # tolerance, see etl.customs): all of them are tolerated here and reported
        "counts": {
            "rows_read": read,
            "rows_loaded": rows,
            "rows_quarantined": quarantined,
            "rows_quarantined_tolerated": quarantined,
        },
    }


# ---------------------------------------------------------------- ingest


def ingest_raw(settings: Settings, *, force: bool = False) -> Any:
    """Ingest the landing sources whose checksum changed into a new raw-zone version."""
    from etl import raw_zone

    with warehouse_lock(settings.lock_path, "ingest", wait_s=settings.lock_wait_s):
        return raw_zone.ingest_raw(
            settings, force=force, fault=lambda name: runs.fault_point(settings, name)
        )


# ---------------------------------------------------------------- build


def _connect(settings: Settings, run_id: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    run_dir = settings.run_dir(run_id)
    con = duckdb.connect(str(run_dir / "build.duckdb"), read_only=read_only)
    con.execute(f"set threads = {int(settings.duckdb_threads)}")
    con.execute("set memory_limit = ?", [settings.duckdb_memory_limit])
    con.execute("set temp_directory = ?", [str(run_dir / "tmp")])
    con.execute("set preserve_insertion_order = false")
    sql_runner.set_variables(
        con,
        {
            "raw_root": str(run_dir / "raw"),
            "reference_root": str(settings.reference_dir),
        },
    )
    return con


def build_layer(settings: Settings, run_id: str, layer: str) -> list[str]:
    """Build every model of one SQL layer into the run's DuckDB database."""
    started = time.monotonic()
    with warehouse_lock(settings.lock_path, f"build {layer} {run_id}", wait_s=settings.lock_wait_s):
        con = _connect(settings, run_id)
        try:
            built = sql_runner.build_layer(con, settings.sql_dir, layer)
            runs.fault_point(settings, f"build_{layer}")
            rows = {
                rel: con.execute(f"select count(*) from {rel}").fetchall()[0][0] for rel in built
            }
        finally:
            con.close()
        runs.update_manifest(
            settings,
            run_id,
            models=rows,
            timings_s={f"build_{layer}": round(time.monotonic() - started, 2)},
        )
        return built


# ---------------------------------------------------------------- quality gates


def check_layer(settings: Settings, run_id: str, layer: str) -> dict[str, Any]:
    """Run a layer's GX suites and SQL assertions; QualityGateError on a critical failure."""
    from etl.quality import GateReport, run_sql_test, validate_relation
    from expectations import SUITES

    started = time.monotonic()
    report = GateReport(layer)
    with warehouse_lock(settings.lock_path, f"check {layer} {run_id}", wait_s=settings.lock_wait_s):
        con = _connect(settings, run_id)
        try:
            for builder in SUITES[layer]:
                suite = builder()
                name = suite.name.split(".", 1)[1]
                if layer == "raw":
                    path = settings.run_dir(run_id) / "raw" / name / "*.parquet"
                    relation = f"read_parquet('{publishing.sql_literal(str(path))}')"
                else:
                    relation = f"{layer}.{name}"
                report.results.extend(validate_relation(con, relation, suite))
            if layer != "raw":
                models = sql_runner.discover_models(settings.sql_dir)
                for test in sql_runner.tests_for_layer(
                    sql_runner.discover_tests(settings.sql_dir, models), layer
                ):
                    report.results.append(
                        run_sql_test(con, test.name, test.sql, test.description, test.severity)
                    )
        finally:
            con.close()
        out = settings.run_dir(run_id) / "quality" / f"{layer}.json"
        out.parent.mkdir(exist_ok=True)
        runs.write_json(out, report.to_dict())
        summary = {
            "passed": report.passed,
            "failed_critical": len(report.failed_critical),
            "warnings": [r.line() for r in report.warnings],
        }
        runs.update_manifest(
            settings,
            run_id,
            checks={layer: summary},
            timings_s={f"check_{layer}": round(time.monotonic() - started, 2)},
        )
    from etl.quality_report import write_quality_report

    write_quality_report(settings.run_dir(run_id))
    report.raise_if_failed()
    return summary


# ---------------------------------------------------------------- publish


def publish(settings: Settings, run_id: str) -> Path:
    """Export the marts of a fully validated run, write its report, then make it current at
    every publish target (`etl.publishing`: the object store first, the local `current`
    last)."""
    started = time.monotonic()
    with warehouse_lock(settings.lock_path, f"publish {run_id}", wait_s=settings.lock_wait_s):
        manifest = runs.read_manifest(settings, run_id)
        missing = [g for g in GATES if manifest["checks"].get(g, {}).get("failed_critical") != 0]
        if missing:
            raise QualityGateError(
                f"run {run_id} cannot be published: gate(s) {missing} have not passed"
            )
        run_dir = settings.run_dir(run_id)
        con = _connect(settings, run_id)
        try:
            exported = publishing.export_marts(settings, con, run_dir / "marts")
        finally:
            con.close()
        (run_dir / "build.duckdb").unlink(missing_ok=True)
        shutil.rmtree(run_dir / "tmp", ignore_errors=True)
        runs.update_manifest(
            settings,
            run_id,
            status="validated",  # exported and gated; "published" once `current` points here
            marts=exported,
            published_at=datetime.now(UTC).isoformat(),
            timings_s={"publish": round(time.monotonic() - started, 2)},
        )
        _publish_report(settings, run_id)
        publishing.make_current(settings, run_id)
        return run_dir


def _publish_report(settings: Settings, run_id: str) -> None:
    """Write the run's coverage report into the run folder before `current` switches to it.

    The report is derived from already validated marts: a failure to draw it is recorded in
    the manifest and logged, not raised (`tariff-etl report <run_id>` retries)."""
    from etl.report import build_report  # lazy: matplotlib only when publishing

    try:
        paths = build_report(settings, run_id)
    except Exception as exc:  # a derived file must not block publishing validated data
        log.warning("report of run %s not written: %s", run_id, exc)
        runs.update_manifest(
            settings, run_id, report_error=(str(exc).splitlines() or [type(exc).__name__])[0]
        )
        return
    run_dir = settings.run_dir(run_id)
    runs.update_manifest(
        settings, run_id, reports={k: str(p.relative_to(run_dir)) for k, p in paths.items()}
    )


# ---------------------------------------------------------------- whole run


@dataclass
class RunSummary:
    run_id: str
    datasets: dict[str, dict[str, int]]
    checks: dict[str, Any]
    headline: list[dict[str, Any]]
    published_to: Path | None


def headline(settings: Settings, run_id: str) -> list[dict[str, Any]]:
    """Covered value and share of the 2017 base on each measure date, from the exported marts."""
    path = settings.run_dir(run_id) / "marts" / "fct_retaliation_coverage" / "**" / "*.parquet"
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select as_of_date, sum(covered_value_usd), sum(total_value_usd) "
            f"from read_parquet('{publishing.sql_literal(str(path))}') "
            "group by as_of_date order by 1"
        ).fetchall()
    finally:
        con.close()
    return [
        {
            "as_of_date": d,
            "covered_value_usd": c,
            "total_value_usd": t,
            "coverage_share": c / t if t else None,
        }
        for d, c, t in rows
    ]


def run_all(settings: Settings, on_step: Any = None, reingest: bool = False) -> RunSummary:
    """The whole pipeline, end to end, under one warehouse lock."""

    def step(label: str) -> None:
        if on_step:
            on_step(label)
        log.info("step: %s", label)

    with warehouse_lock(settings.lock_path, "tariff-etl run", wait_s=settings.lock_wait_s):
        step("ingest landing files")
        ingest_raw(settings, force=reingest)
        step("land customs trade flows")
        from etl.customs.inbox import ingest_discovered

        ingest_discovered(settings)  # bundled files + the inbox; unchanged files are skipped
        run_id = start_run(settings)
        try:
            step("check raw")
            check_layer(settings, run_id, "raw")
            for layer in sql_runner.LAYERS:
                step(f"build {layer}")
                build_layer(settings, run_id, layer)
                step(f"check {layer}")
                check_layer(settings, run_id, layer)
            step("publish")
            published = publish(settings, run_id)
        except BaseException as exc:
            runs.update_manifest(
                settings,
                run_id,
                status="failed",
                error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                finished_at=datetime.now(UTC).isoformat(),
            )
            raise
        manifest = runs.read_manifest(settings, run_id)
        return RunSummary(
            run_id, manifest["datasets"], manifest["checks"], headline(settings, run_id), published
        )
