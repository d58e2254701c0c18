"""
### ingest_tariff_schedules

Daily: checksum every landing file (tariff schedules, trade weights, nomenclature, exclusion
lists, product categories, scenarios) and ingest only the sources that changed into a new
version of the raw zone (`<warehouse>/raw`, switched atomically). Then one `emit_<dataset>`
task per raw dataset: it emits that dataset's Asset when the dataset changed and is skipped
otherwise, so unchanged inputs trigger nothing downstream.

`catchup=False`: the landing folder holds the current state of every source, so a past logical
date has nothing different to ingest; re-running a date is a no-op unless a file changed.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from etl.orchestration.assets import RAW_DATASETS, raw_asset
from etl.orchestration.defaults import DEFAULT_ARGS


@dag(
    dag_id="ingest_tariff_schedules",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
    tags=["tariffs", "ingest"],
)
def ingest_tariff_schedules():
    @task
    def ingest_changed_sources() -> list[str]:
        from etl import pipeline
        from etl.settings import settings_for_task

        return pipeline.ingest_raw(settings_for_task()).changed_datasets

    changed = ingest_changed_sources()
    for dataset in RAW_DATASETS:

        @task(task_id=f"emit_{dataset}", outlets=[raw_asset(dataset)])
        def emit(changed_datasets: list[str], name: str = dataset) -> str:
            from airflow.sdk.exceptions import AirflowSkipException

            if name not in changed_datasets:
                raise AirflowSkipException(f"{name} unchanged: no asset event")
            return name

        emit(changed)


ingest_tariff_schedules()
