"""
### tariff_pipeline

Ingest the bundled landing files (PIIE China tariff lines and 2017 imports from the US, HS
nomenclature) into raw Parquet, build the DuckDB models layer by layer, gate every layer with
its Great Expectations suites and SQL assertions, and publish the marts (write-audit-publish).

Every task is one call into `etl.pipeline`; the run folder id travels between tasks through
XCom (a short string). Nothing is published unless every gate passed.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import chain, dag, task

from etl.orchestration.assets import mart_assets


@dag(
    dag_id="tariff_pipeline",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,  # each run rebuilds from the landing files: past dates add nothing
    max_active_runs=1,  # one writer on the warehouse
    doc_md=__doc__,
    default_args={
        "retries": 2,
        "retry_delay": pendulum.duration(seconds=30),
        "execution_timeout": pendulum.duration(minutes=30),
    },
    tags=["tariffs", "ingest", "marts"],
)
def tariff_pipeline():
    @task
    def start_run() -> str:
        from etl import pipeline
        from etl.settings import get_settings

        return pipeline.start_run(get_settings())

    @task
    def ingest(etl_run_id: str) -> str:
        from etl import pipeline
        from etl.settings import get_settings

        pipeline.ingest(get_settings(), etl_run_id)
        return etl_run_id

    @task
    def check(etl_run_id: str, layer: str) -> str:
        from etl import pipeline
        from etl.settings import get_settings

        pipeline.check_layer(get_settings(), etl_run_id, layer)
        return etl_run_id

    @task
    def build(etl_run_id: str, layer: str) -> str:
        from etl import pipeline
        from etl.settings import get_settings

        pipeline.build_layer(get_settings(), etl_run_id, layer)
        return etl_run_id

    @task(outlets=mart_assets())
    def publish(etl_run_id: str) -> str:
        from etl import pipeline
        from etl.settings import get_settings

        return str(pipeline.publish(get_settings(), etl_run_id))

    run_id = start_run()
    landed = ingest(run_id)
    raw_ok = check.override(task_id="check_raw")(landed, "raw")
    staged = build.override(task_id="build_staging")(raw_ok, "staging")
    staging_ok = check.override(task_id="check_staging")(staged, "staging")
    inter = build.override(task_id="build_intermediate")(staging_ok, "intermediate")
    inter_ok = check.override(task_id="check_intermediate")(inter, "intermediate")
    marts = build.override(task_id="build_marts")(inter_ok, "marts")
    marts_ok = check.override(task_id="check_marts")(marts, "marts")
    chain(marts_ok, publish(marts_ok))


tariff_pipeline()
