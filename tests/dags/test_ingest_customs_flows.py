"""ingest_customs_flows: one mapped task per discovered file, idempotent, emits the landed
trade-flows Asset only when a partition was written; a failed file fails the run, not the
others."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.helpers import LANDING, tree_checksums

DAG_ID = "ingest_customs_flows"
ASSET = "tariffs.landed.trade_flows"
COMTRADE_CHN = LANDING / "un_comtrade_totals" / "TradeData_China_USA.csv"


@pytest.fixture
def customs_settings(tmp_path, monkeypatch):
    """The session's temporary warehouse with an empty landed store, and an inbox of this test.

    The warehouse itself stays the session's (conftest): Asset URIs derive from it, and the
    Airflow metadata database shared by the DAG tests keeps one URI per asset name. The landed
    store is emptied before and after, so no other test sees these files."""
    import shutil

    from etl.settings import get_settings

    monkeypatch.setenv("TARIFF_ETL_CUSTOMS_INBOX", str(tmp_path / "inbox"))
    get_settings.cache_clear()
    settings = get_settings()
    landed = settings.warehouse / "landed"
    shutil.rmtree(landed, ignore_errors=True)
    yield settings
    shutil.rmtree(landed, ignore_errors=True)
    get_settings.cache_clear()


def task_instances(run) -> list:
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = run.get_task_instances(session=session)
        for ti in tis:
            session.expunge(ti)
        return tis


def states(run) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ti in sorted(task_instances(run), key=lambda t: (t.task_id, t.map_index)):
        out.setdefault(ti.task_id, []).append(str(ti.state))
    return out


def asset_events(run) -> list[dict]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.name, AssetEvent.source_task_id, AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_dag_id == DAG_ID, AssetEvent.source_run_id == run.run_id)
        ).all()
    return [{"asset": name, "task": task, "extra": extra} for name, task, extra in rows]


def china_2017_imports_in_file() -> int:
    """primaryValue of China's 2017 total imports from the USA, read from the bundled file."""
    with open(COMTRADE_CHN, newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        rec = dict(zip(rows[0], row, strict=False))
        if (rec["reporterISO"], rec["flowCode"], rec["refYear"], rec["cmdCode"]) == (
            "CHN",
            "M",
            "2017",
            "TOTAL",
        ):
            return int(rec["primaryValue"])
    raise AssertionError("China 2017 imports row not found")


def landed_value(settings, where: str) -> int:
    from etl.customs.api import landed_glob

    sql = (
        f"select sum(trade_value_usd) from read_parquet('{landed_glob(settings)}', "
        f"hive_partitioning = true) where {where}"
    )
    return duckdb.sql(sql).fetchall()[0][0]


def landed_tree(settings) -> dict[str, str]:
    """Every file the store holds (manifest, part files, quarantine), by sha256."""
    root = settings.warehouse / "landed"
    return {k: v for k, v in tree_checksums(root).items() if not k.startswith(".tmp")}


@pytest.mark.e2e
def test_lands_the_inputs_then_writes_nothing_then_picks_up_an_inbox_file(
    dagbag, airflow_db, customs_settings
):
    from etl.customs.generate import generate
    from etl.customs.inbox import discover_inputs
    from etl.customs.store import LandedStore

    settings, dag = customs_settings, dagbag.dags[DAG_ID]
    inputs = discover_inputs(settings)
    assert len(inputs) == 5  # the bundled Comtrade and Census files; the inbox is empty

    first = dag.test()
    assert first.state == "success", states(first)
    mapped = [ti for ti in task_instances(first) if ti.task_id == "ingest_file"]
    assert len(mapped) == len(inputs)
    assert sorted(ti.map_index for ti in mapped) == list(range(len(inputs)))
    assert {str(ti.state) for ti in mapped} == {"success"}
    assert sorted(ti.rendered_map_index for ti in mapped) == sorted(
        str(Path(i["path"]).relative_to(LANDING)) for i in inputs
    )
    assert states(first)["emit_trade_flows"] == ["success"]
    assert states(first)["check_every_file_landed"] == ["skipped"]

    china_imports = landed_value(
        settings,
        "source = 'un_comtrade' and reporter_iso3 = 'CHN' and flow = 'import' "
        "and period_year = 2017 and hs_code = 'TOTAL'",
    )
    assert china_imports == china_2017_imports_in_file()
    assert round(Decimal(china_imports) / Decimal(10**9), 2) == Decimal("154.44")
    manifest = LandedStore(settings).read_manifest()
    assert sorted(manifest["files"]) == sorted(
        str(p.relative_to(LANDING)) for p in (LANDING.glob("*/*")) if _is_bundled_customs(p)
    )
    (event,) = asset_events(first)
    assert event["asset"] == ASSET and event["task"] == "emit_trade_flows"
    assert len(event["extra"]["files"]) == 5 and event["extra"]["partitions_written"] > 0

    # unchanged inputs: every mapped task runs, none writes, no asset event
    before = landed_tree(settings)
    second = dag.test()
    assert second.state == "success", states(second)
    assert states(second)["ingest_file"] == ["success"] * len(inputs)
    assert states(second)["emit_trade_flows"] == ["skipped"]
    assert asset_events(second) == []
    assert landed_tree(settings) == before

    # a file dropped in the inbox is picked up by the next run; half-copied files are not
    dropped = settings.customs_inbox / "comtrade" / "2019" / "chn_usa_2019.csv"
    dropped.parent.mkdir(parents=True)
    generate("comtrade", 500, dropped, seed=3, start="2019-01", months=12)
    (dropped.parent / "next_file.csv.part").write_text("still copying")
    third = dag.test()
    assert third.state == "success", states(third)
    assert states(third)["ingest_file"] == ["success"] * (len(inputs) + 1)
    labels = {t.rendered_map_index for t in task_instances(third) if t.task_id == "ingest_file"}
    assert "inbox/comtrade/2019/chn_usa_2019.csv" in labels
    (event,) = asset_events(third)
    assert event["extra"]["files"] == [str(dropped)]
    after = landed_tree(settings)
    untouched = {k: v for k, v in before.items() if k != "manifest.json"}
    assert {k: after[k] for k in untouched} == untouched  # the other files' parts
    assert str(dropped) in LandedStore(settings).read_manifest()["files"]


@pytest.mark.e2e
def test_a_file_that_cannot_be_read_fails_the_run_but_the_others_land_and_emit(
    dagbag, airflow_db, customs_settings
):
    from etl.customs.store import LandedStore

    settings = customs_settings
    bad = settings.customs_inbox / "census" / "not_census.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("this,is,not\na,census,file\n")
    dag = dagbag.dags[DAG_ID]
    for task in dag.tasks:  # the last test of the module: the module's DagBag is not reused
        task.retry_delay = timedelta(seconds=0)
    run = dag.test()
    assert run.state == "failed"
    got = states(run)
    assert sorted(got["ingest_file"]) == ["failed"] + ["success"] * 5, got
    assert got["emit_trade_flows"] == ["success"]  # the five good files are worth a build
    assert got["check_every_file_landed"] == ["failed"]
    (failed,) = [t for t in task_instances(run) if str(t.state) == "failed" and t.map_index >= 0]
    assert failed.try_number == 3  # the first try and two retries
    manifest = LandedStore(settings).read_manifest()
    assert len(manifest["files"]) == 5 and str(bad) not in manifest["files"]
    (event,) = asset_events(run)
    assert len(event["extra"]["files"]) == 5


def _is_bundled_customs(path) -> bool:
    from etl.customs.inbox import BUNDLED

    return str(path.relative_to(LANDING)) in {rel for _, rel in BUNDLED}
