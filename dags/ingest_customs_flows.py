"""
### ingest_customs_flows

Monthly: land customs trade-flow files (UN Comtrade, US Census, China Customs) into the
partitioned store `<warehouse>/landed/trade_flows/source=/reporter=/year=/`, then trigger
`build_tariff_marts` through the `tariffs.landed.trade_flows` Asset when something changed.

- `discover` lists the inputs: the bundled Comtrade and Census files of the landing folder plus
  every file users dropped under `<inbox>/<format>/` (`<inbox>` = `TARIFF_ETL_CUSTOMS_INBOX`,
  default `<warehouse>/inbox`; `<format>` = `comtrade`, `census` or `china-customs`).
- `ingest_file` is mapped over them: one task instance per input file (dynamic task mapping).
  Each is idempotent: an unchanged file (size + mtime, else sha256, as in the manifest) writes
  nothing; a new or changed one is parsed, reconciled (rows read = loaded + quarantined) and
  switched into place. It returns a small summary (file, rows, partitions written).
- `emit_trade_flows` emits the Asset when some file wrote a partition and is skipped otherwise,
  so an unchanged inbox triggers no build. It runs even when a file failed (the other files are
  landed, each atomically, and worth building on); `check_every_file_landed` then fails the run.

**Why one mapped task per input file.** A file is the unit the store is built around: it owns
its own part files (`part-<file key>*.parquet`) in a known set of partitions, each replaced
atomically, and the manifest records it as one entry. So each file can be parsed, retried and
skipped on its own, in any order, without touching another file's rows; a monthly file is one
month's slice of its year partition. Mapping by partition would need every file first to know
which partitions it feeds, and two tasks would write one file's rows.

**Concurrency.** The mapped tasks run side by side on LocalExecutor, Celery or Kubernetes: the
heavy work (parse, DuckDB stream into a per-file temp folder) takes no lock; only the commit
(re-read the manifest, re-check the file is still new, switch its parts, write the manifest)
takes the warehouse lock, waiting for it (up to 10 min) behind other commits or a build step.

`catchup=False`: the inbox holds the current files, so a past logical date has nothing
different to land; re-running a date is a no-op unless a file changed.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import TriggerRule, dag, task

from etl.orchestration.assets import landed_trade_flows_asset
from etl.orchestration.defaults import DEFAULT_ARGS

TRADE_FLOWS = landed_trade_flows_asset()


@dag(
    dag_id="ingest_customs_flows",
    schedule="@monthly",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
    tags=["tariffs", "ingest", "customs"],
)
def ingest_customs_flows():
    @task
    def discover() -> list[dict[str, str]]:
        from etl.customs.inbox import discover_inputs
        from etl.settings import settings_for_task

        return discover_inputs(settings_for_task())

    # each instance runs DuckDB with settings.duckdb_threads threads and a 512 MB cap: bound
    # how many run at once per run so a big inbox does not oversubscribe a worker
    @task(map_index_template="{{ input_file }}", max_active_tis_per_dagrun=4)
    def ingest_file(item: dict[str, str]) -> dict:
        from airflow.sdk import get_current_context

        from etl.customs.inbox import ingest_input, input_label
        from etl.settings import settings_for_task

        settings = settings_for_task()
        get_current_context()["input_file"] = input_label(settings, item)  # the UI's name for it
        return ingest_input(settings, item)

    @task(outlets=[TRADE_FLOWS], trigger_rule=TriggerRule.ALL_DONE)
    def emit_trade_flows(results: list[dict]) -> dict:
        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowSkipException

        loaded = [r for r in results if r["partitions_written"]]
        if not loaded:
            raise AirflowSkipException("no customs file changed: no asset event")
        summary = {
            "files": [r["file"] for r in loaded],
            "partitions_written": sum(len(r["partitions_written"]) for r in loaded),
        }
        get_current_context()["outlet_events"][TRADE_FLOWS].extra = summary
        return summary

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def check_every_file_landed() -> None:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException("a customs input failed to land: see the failed task above")

    results = ingest_file.expand(item=discover())
    emit_trade_flows(results)
    results >> check_every_file_landed()


ingest_customs_flows()
