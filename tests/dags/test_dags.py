"""DAG files parse, follow the house rules, and run end to end in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pendulum
import pytest

from etl import runs
from etl.contract import MARTS
from etl.orchestration.assets import RAW_DATASETS
from tests.helpers import PROJECT_ROOT, published_covered_usd, tree_checksums

DAGS = PROJECT_ROOT / "dags"


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {p.stem for p in DAGS.glob("*.py")}
    assert {
        "ingest_tariff_schedules",
        "ingest_customs_flows",
        "build_tariff_marts",
    } <= set(dagbag.dag_ids)


def test_every_dag_has_tags_retries_docs_and_one_writer(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, dag_id
        assert dag.doc_md and dag.doc_md.strip(), dag_id
        assert dag.max_active_runs == 1, dag_id
        assert dag.catchup is False, dag_id
        for task in dag.tasks:
            assert task.retries >= 2, f"{dag_id}.{task.task_id}"
            assert task.retry_delay.total_seconds() > 0, f"{dag_id}.{task.task_id}"
            assert task.execution_timeout is not None, f"{dag_id}.{task.task_id}"


def emitted_assets(dag) -> set[str]:
    return {asset.name for task in dag.tasks for asset in task.outlets}


def test_build_dag_is_scheduled_on_exactly_the_assets_the_ingest_dags_emit(dagbag):
    build = dagbag.dags["build_tariff_marts"]
    scheduled = {asset.name for asset in build.timetable.asset_condition.objects}
    emitted = set()
    for dag_id, dag in dagbag.dags.items():
        if dag_id.startswith("ingest_"):
            emitted |= emitted_assets(dag)
    assert (
        scheduled
        == emitted
        == {f"tariffs.raw.{d}" for d in RAW_DATASETS} | {"tariffs.landed.trade_flows"}
    )
    assert emitted_assets(build) == {f"tariffs.marts.{name}" for name in MARTS}


def test_raw_asset_list_matches_what_the_adapters_produce(published):
    settings, _ = published
    produced = {p.name for p in (settings.current_dir / "raw").iterdir() if p.is_dir()}
    # a run also snapshots the landed customs store there: its Asset is tariffs.landed.trade_flows
    assert produced - {"landed_trade_flows"} == set(RAW_DATASETS)


def test_build_dag_gates_every_layer_before_publish(dagbag):
    dag = dagbag.dags["build_tariff_marts"]
    order = [
        "start_run",
        "check_raw",
        "build_staging",
        "check_staging",
        "build_intermediate",
        "check_intermediate",
        "build_marts",
        "check_marts",
        "publish",
    ]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids, (upstream, downstream)


def test_dag_files_do_not_import_heavy_libraries_at_parse_time():
    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]); "
        "heavy = [m for m in ('duckdb', 'great_expectations', 'pyarrow', 'python_calamine') "
        "if m in sys.modules]; print('HEAVY=' + ','.join(heavy))"
    )
    for path in DAGS.glob("*.py"):
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            env=os.environ,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        (line,) = [x for x in out.stdout.splitlines() if x.startswith("HEAVY=")]
        assert line == "HEAVY=", (path.name, line)


def task_states(run) -> dict[str, str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: str(ti.state) for ti in run.get_task_instances(session=session)}


@pytest.mark.e2e
def test_ingest_then_build_publish_and_an_unchanged_ingest_emits_nothing(dagbag, airflow_db):
    from etl.settings import get_settings

    settings = get_settings()
    # the first ingest must find every source new, whatever ran before it in this process: the
    # raw zone starts without a current version (the DAGs' assets are bound to this warehouse,
    # so the test cannot move to a warehouse of its own)
    (settings.warehouse / "raw").unlink(missing_ok=True)
    ingest, build = dagbag.dags["ingest_tariff_schedules"], dagbag.dags["build_tariff_marts"]

    first = ingest.test()
    assert first.state == "success"
    states = task_states(first)
    assert {states[f"emit_{d}"] for d in RAW_DATASETS} == {"success"}

    built = build.test()
    assert built.state == "success", task_states(built)
    current = runs.current_run_id(settings)
    manifest = runs.read_manifest(settings, current)
    assert manifest["status"] == "published" and set(manifest["marts"]) == set(MARTS)
    covered = published_covered_usd(settings)
    assert round(covered / 1e9, 2) == 87.14

    raw_version = (settings.warehouse / "raw").resolve()
    published = tree_checksums(settings.current_dir)
    second = ingest.test()
    assert second.state == "success"
    states = task_states(second)
    assert {states[f"emit_{d}"] for d in RAW_DATASETS} == {"skipped"}
    assert (settings.warehouse / "raw").resolve() == raw_version
    assert tree_checksums(settings.current_dir) == published

    # re-running the build for another logical date (a backfill) publishes a new run whose
    # marts are byte-identical to the first one's
    marts_before = tree_checksums(settings.current_dir / "marts")
    rebuilt = build.test(logical_date=pendulum.datetime(2025, 3, 1, tz="UTC"))
    assert rebuilt.state == "success", task_states(rebuilt)
    assert runs.current_run_id(settings) != current
    assert tree_checksums(settings.current_dir / "marts") == marts_before


@pytest.mark.e2e
def test_a_failing_task_is_retried_then_fails_clearly_and_current_is_untouched(
    dagbag, airflow_db, tmp_path, monkeypatch, capfd
):
    import shutil

    from etl import pipeline
    from etl.settings import get_settings
    from tests.helpers import LANDING, PIIE_RELATIVE

    settings = get_settings()
    if runs.current_run_id(settings) is None:  # alone or first in a random order
        pipeline.run_all(settings)
    before = tree_checksums(settings.current_dir)
    landing = tmp_path / "landing"
    shutil.copytree(LANDING, landing)
    (landing / PIIE_RELATIVE).write_bytes(b"this is not an xlsx file")
    monkeypatch.setenv("TARIFF_ETL_LANDING", str(landing))
    get_settings.cache_clear()
    dag = dagbag.dags["ingest_tariff_schedules"]
    for task in dag.tasks:  # restored after the test: the DagBag is shared by the module
        monkeypatch.setattr(task, "retry_delay", timedelta(seconds=0))
    try:
        run = dag.test()
    finally:
        get_settings.cache_clear()
    assert run.state == "failed"
    from airflow.utils.session import create_session

    with create_session() as session:
        (ti,) = [
            t
            for t in run.get_task_instances(session=session)
            if t.task_id == "ingest_changed_sources"
        ]
        assert str(ti.state) == "failed"
        assert ti.try_number == 3  # the first try and two retries
    captured = capfd.readouterr()
    log = captured.out + captured.err
    assert (
        log.count(
            "SourceFormatError: file piie_bown_jung_zhang/bown-jung-zhang-2019-06-12.xlsx: "
            "cannot be read as xlsx"
        )
        == 3
    )
    assert tree_checksums(settings.current_dir) == before
