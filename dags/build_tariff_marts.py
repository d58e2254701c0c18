"""
### build_tariff_marts

Runs when any raw dataset Asset is updated (by `ingest_tariff_schedules`) or the landed customs
trade flows are (by `ingest_customs_flows`): snapshot the raw zone and the landed store into a
run folder, gate it (raw suites), build the DuckDB models layer by layer, gate each layer
(Great Expectations suites + SQL assertions), then publish the marts by switching
`<warehouse>/current` atomically (write-audit-publish). `publish` emits one Asset per mart.

Each task is one call into `etl.pipeline`; the run id travels by XCom (a short string).
`max_active_runs=1` and the warehouse lock keep a single writer. No catchup: a run always
builds from the current raw zone, so replaying an old trigger would rebuild the same thing.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetAny, dag, task

from etl.orchestration.assets import landed_trade_flows_asset, mart_assets, raw_assets
from etl.orchestration.defaults import DEFAULT_ARGS


@dag(
    dag_id="build_tariff_marts",
    schedule=AssetAny(*raw_assets(), landed_trade_flows_asset()),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
    tags=["tariffs", "transform", "marts"],
)
def build_tariff_marts():
    @task
    def start_run() -> str:
        from etl import pipeline
        from etl.settings import settings_for_task

        return pipeline.start_run(settings_for_task())

    @task
    def check(etl_run_id: str, layer: str) -> str:
        from etl import pipeline
        from etl.settings import settings_for_task

        pipeline.check_layer(settings_for_task(), etl_run_id, layer)
        return etl_run_id

    @task
    def build(etl_run_id: str, layer: str) -> str:
        from etl import pipeline
        from etl.settings import settings_for_task

        pipeline.build_layer(settings_for_task(), etl_run_id, layer)
        return etl_run_id

    @task(outlets=mart_assets())
    def publish(etl_run_id: str) -> str:
        from etl import pipeline
        from etl.settings import settings_for_task

        return str(pipeline.publish(settings_for_task(), etl_run_id))

    run_id = start_run()
    raw_ok = check.override(task_id="check_raw")(run_id, "raw")
    staged = build.override(task_id="build_staging")(raw_ok, "staging")
    staging_ok = check.override(task_id="check_staging")(staged, "staging")
    inter = build.override(task_id="build_intermediate")(staging_ok, "intermediate")
    inter_ok = check.override(task_id="check_intermediate")(inter, "intermediate")
    marts = build.override(task_id="build_marts")(inter_ok, "marts")
    marts_ok = check.override(task_id="check_marts")(marts, "marts")
    publish(marts_ok)  # the data dependency is the edge


build_tariff_marts()
