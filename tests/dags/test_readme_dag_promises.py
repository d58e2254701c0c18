"""README promises about the Airflow DAGs, read from the DAGs as Airflow parses them (DagBag).

The README's "### Airflow" section: the ingest DAGs run daily / monthly without catchup, the
build DAG runs on *any* of the ingest Assets, the mapped customs task runs at most 4 at once per
run, tasks retry twice, Asset URIs are the real warehouse (or bucket) paths derived from the
settings, the warehouse may come from the Airflow Variable `AIRFLOW_VAR_TARIFF_ETL_WAREHOUSE`,
and Airflow tasks wait up to 600 s for the warehouse lock. See tests/README_PROMISES.md.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from etl import runs
from etl.contract import MARTS
from etl.orchestration.assets import RAW_DATASETS
from tests.helpers import PROJECT_ROOT

DAGS = PROJECT_ROOT / "dags"


@pytest.fixture
def parse_dags(monkeypatch):
    """`parse_dags(**env)` -> a DagBag parsed with exactly these TARIFF_ETL_* / AIRFLOW_VAR_*
    variables (the settings cache cleared before and after, as a fresh scheduler would)."""
    from airflow.dag_processing.dagbag import DagBag

    from etl.settings import get_settings

    def parse(**env: str):
        for name in list(os.environ):
            if name.startswith(("TARIFF_ETL_", "AIRFLOW_VAR_TARIFF_ETL_")):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            bag = DagBag(dag_folder=str(DAGS))
        finally:
            get_settings.cache_clear()
        assert bag.import_errors == {}
        return bag

    yield parse
    get_settings.cache_clear()


def _fire_times(dag, count: int) -> list[datetime]:
    """The first `count` data-interval starts of a cron-scheduled DAG from its start date."""
    from croniter import croniter

    expression = dag.timetable.expression
    it = croniter(expression, dag.start_date - timedelta(seconds=1))
    return [it.get_next(datetime) for _ in range(count)]


def test_ingest_tariff_schedules_runs_daily_without_catchup(parse_dags, tmp_path):
    dag = parse_dags(TARIFF_ETL_WAREHOUSE=str(tmp_path / "wh")).dags["ingest_tariff_schedules"]
    assert dag.catchup is False
    times = _fire_times(dag, 4)
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [timedelta(days=1)] * 3
    assert times[0] == dag.start_date  # midnight of the start date, every day after it


def test_ingest_customs_flows_runs_monthly_without_catchup(parse_dags, tmp_path):
    dag = parse_dags(TARIFF_ETL_WAREHOUSE=str(tmp_path / "wh")).dags["ingest_customs_flows"]
    assert dag.catchup is False
    times = _fire_times(dag, 13)
    # one run per calendar month, on its first day: 12 steps from 1 Jan to 1 Jan a year later
    assert [(t.year, t.month, t.day, t.hour) for t in times] == [
        (dag.start_date.year + (m // 12), m % 12 + 1, 1, 0) for m in range(13)
    ]


def test_build_dag_runs_when_any_one_of_the_ingest_assets_changes(parse_dags, tmp_path):
    """`AssetAny`, not `AssetAll`: one changed raw dataset (or the landed trade flows) is
    enough to trigger a build."""
    from airflow.sdk import AssetAny

    bag = parse_dags(TARIFF_ETL_WAREHOUSE=str(tmp_path / "wh"))
    condition = bag.dags["build_tariff_marts"].timetable.asset_condition
    assert type(condition) is AssetAny
    names = [asset.name for asset in condition.objects]
    assert sorted(names) == sorted(
        [f"tariffs.raw.{d}" for d in RAW_DATASETS] + ["tariffs.landed.trade_flows"]
    )


def test_at_most_4_customs_files_are_ingested_at_once_per_run(parse_dags, tmp_path):
    bag = parse_dags(TARIFF_ETL_WAREHOUSE=str(tmp_path / "wh"))
    task = bag.dags["ingest_customs_flows"].get_task("ingest_file")
    assert task.is_mapped, "ingest_file is mapped once per input file"
    assert task.max_active_tis_per_dagrun == 4
    # the limit is per run, not across runs (max_active_runs=1 bounds those)
    assert task.max_active_tis_per_dag is None
    assert bag.dags["ingest_customs_flows"].max_active_runs == 1


def test_every_task_retries_twice_with_a_delay_and_a_timeout(parse_dags, tmp_path):
    bag = parse_dags(TARIFF_ETL_WAREHOUSE=str(tmp_path / "wh"))
    assert set(bag.dag_ids) == {
        "ingest_tariff_schedules",
        "build_tariff_marts",
        "ingest_customs_flows",
    }
    for dag_id, dag in bag.dags.items():
        assert dag.max_active_runs == 1, dag_id
        for task in dag.tasks:
            name = f"{dag_id}.{task.task_id}"
            assert task.retries == 2, name
            assert task.retry_delay > timedelta(0), name
            assert task.execution_timeout is not None and task.execution_timeout > timedelta(0)


def _path(uri: str) -> Path:
    parts = urlsplit(uri)
    assert parts.scheme == "file", uri
    return Path(parts.path)


def _assets(bag) -> dict[str, str]:
    """name -> uri of every Asset the DAGs schedule on or emit."""
    out = {}
    for dag in bag.dags.values():
        for task in dag.tasks:
            for asset in task.outlets:
                out[asset.name] = asset.uri
    for asset in bag.dags["build_tariff_marts"].timetable.asset_condition.objects:
        assert out.get(asset.name, asset.uri) == asset.uri, asset.name  # one URI per name
        out[asset.name] = asset.uri
    return out


def test_asset_uris_are_the_real_paths_of_a_published_warehouse(parse_dags, published):
    """Every Asset URI names a folder the pipeline really wrote in the warehouse the settings
    point at: `<warehouse>/raw/<dataset>`, `<warehouse>/landed/trade_flows`,
    `<warehouse>/current/marts/<mart>` (each holding Parquet)."""
    settings, _ = published
    assets = _assets(parse_dags(TARIFF_ETL_WAREHOUSE=str(settings.warehouse)))
    expected = {f"tariffs.raw.{d}": settings.warehouse / "raw" / d for d in RAW_DATASETS}
    expected["tariffs.landed.trade_flows"] = settings.warehouse / "landed" / "trade_flows"
    expected |= {f"tariffs.marts.{m}": settings.current_dir / "marts" / m for m in MARTS}
    assert {name: _path(uri) for name, uri in assets.items()} == expected
    for name, uri in assets.items():
        assert uri == expected[name].as_uri()
        files = list(_path(uri).rglob("*.parquet"))
        assert files, f"{name}: no Parquet under {uri}"


def test_asset_uris_follow_the_warehouse_setting(parse_dags, tmp_path):
    """Derived from the settings object: another TARIFF_ETL_WAREHOUSE, other URIs."""
    one = _assets(parse_dags(TARIFF_ETL_WAREHOUSE=str(tmp_path / "one")))
    two = _assets(parse_dags(TARIFF_ETL_WAREHOUSE=str(tmp_path / "two")))
    assert one.keys() == two.keys()
    for name in one:
        assert one[name].startswith((tmp_path / "one").as_uri() + "/"), one[name]
        assert two[name] == one[name].replace("/one/", "/two/", 1)


def test_the_airflow_variable_sets_the_warehouse_of_dags_and_tasks(parse_dags, tmp_path):
    """`AIRFLOW_VAR_TARIFF_ETL_WAREHOUSE` (an Airflow Variable from the environment) is used
    when TARIFF_ETL_WAREHOUSE is not set: by the Asset URIs and by the tasks' settings."""
    from etl.settings import get_settings, settings_for_task

    warehouse = tmp_path / "from_variable"
    assets = _assets(parse_dags(AIRFLOW_VAR_TARIFF_ETL_WAREHOUSE=str(warehouse)))
    assert assets["tariffs.raw.tariff_lines"] == (warehouse / "raw" / "tariff_lines").as_uri()
    assert assets["tariffs.marts.fct_exemption_band"] == (
        (warehouse / "current" / "marts" / "fct_exemption_band").as_uri()
    )
    get_settings.cache_clear()
    try:
        assert settings_for_task().warehouse == warehouse.resolve()
    finally:
        get_settings.cache_clear()


def test_mart_assets_carry_the_bucket_paths_the_run_is_uploaded_to(parse_dags, published, tmp_path):
    """With an object store configured, the mart Assets are `<uri>/marts/<mart>`: the prefix
    under which `publish` uploads each run (`run_id=<run>/`); credentials and query options
    never appear in a URI."""
    from etl import object_store

    settings, _ = published
    bucket = tmp_path / "bucket"
    run_id = runs.current_run_id(settings)
    object_store.upload_run(settings, run_id, bucket.as_uri())
    assets = _assets(
        parse_dags(
            TARIFF_ETL_WAREHOUSE=str(settings.warehouse), TARIFF_ETL_PUBLISH_URI=bucket.as_uri()
        )
    )
    for mart in MARTS:
        uri = assets[f"tariffs.marts.{mart}"]
        assert uri == f"{bucket.as_uri()}/marts/{mart}"
        uploaded = list((_path(uri) / f"run_id={run_id}").rglob("*.parquet"))
        local = list((settings.run_dir(run_id) / "marts" / mart).rglob("*.parquet"))
        assert len(uploaded) == len(local) > 0, mart
    # the raw and landed Assets stay in the local warehouse (the work folder)
    assert assets["tariffs.raw.tariff_lines"] == (
        (settings.warehouse / "raw" / "tariff_lines").as_uri()
    )

    s3 = "s3://AKIDEXAMPLE:s3cr3t@bucket/tariffs?region=eu-west-1"
    assets = _assets(
        parse_dags(TARIFF_ETL_WAREHOUSE=str(tmp_path / "wh"), TARIFF_ETL_PUBLISH_URI=s3)
    )
    for mart in MARTS:
        assert assets[f"tariffs.marts.{mart}"] == f"s3://bucket/tariffs/marts/{mart}"
    assert not any("s3cr3t" in uri or "region" in uri for uri in assets.values())


@pytest.mark.parametrize(
    ("value", "task_wait"), [(None, 600.0), ("0", 0.0), ("7.5", 7.5)], ids=["unset", "0", "7.5"]
)
def test_airflow_tasks_wait_600_s_for_the_lock_unless_the_setting_says(
    monkeypatch, tmp_path, value, task_wait
):
    """The command line waits 0 s unless told; Airflow tasks 600 s unless
    TARIFF_ETL_LOCK_WAIT_S is set (0 included)."""
    from etl.settings import get_settings, settings_for_task

    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(tmp_path / "wh"))
    monkeypatch.delenv("TARIFF_ETL_LOCK_WAIT_S", raising=False)
    if value is not None:
        monkeypatch.setenv("TARIFF_ETL_LOCK_WAIT_S", value)
    get_settings.cache_clear()
    try:
        assert settings_for_task().lock_wait_s == task_wait
        assert get_settings().lock_wait_s == (0.0 if value is None else float(value))
    finally:
        get_settings.cache_clear()
