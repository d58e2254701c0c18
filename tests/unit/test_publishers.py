"""The publish path on a tiny build database: mart export against the contract, and each
publish target (`LocalPublisher`, `ObjectStorePublisher` on a file:// bucket) making a run
current. The pipeline tests do the same on the bundled data in minutes; these take a second."""

from __future__ import annotations

import json
import threading
import time as clock
from dataclasses import replace

import duckdb
import pyarrow.parquet as pq
import pytest

from etl import object_store, publishing, runs
from etl.contract import CONTRACT_VERSION, MARTS
from etl.errors import ContractError
from etl.lock import warehouse_lock
from etl.settings import Settings
from tests.helpers import build_tiny_marts as build_database

RUN, OLDER = "20261203T120000Z-abcdef", "20261201T120000Z-012345"


def export_run(settings: Settings, run_id: str) -> dict[str, int]:
    """A validated run: a small build database's marts exported, its manifest written."""
    run_dir = settings.run_dir(run_id)
    run_dir.mkdir(parents=True)
    con = build_database(run_dir / "build.duckdb")
    try:
        counts = publishing.export_marts(settings, con, run_dir / "marts")
    finally:
        con.close()
    runs.write_json(
        runs.manifest_path(settings, run_id),
        {"run_id": run_id, "status": "validated", "marts": counts},
    )
    return counts


def view_rows(settings: Settings) -> dict[str, int]:
    """{mart: rows} read through the `tariffs.duckdb` views, read-only."""
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in MARTS}
    finally:
        con.close()


@pytest.fixture
def exported(tmp_path) -> Settings:
    """A validated run (marts exported, manifest written) and an older one."""
    settings = Settings(warehouse=tmp_path / "warehouse", keep_runs=1)
    for run_id in (OLDER, RUN):
        export_run(settings, run_id)
    return settings


def test_export_writes_every_mart_with_its_rows_partitions_and_contract_version(exported):
    settings = exported
    marts = settings.run_dir(RUN) / "marts"
    manifest = runs.read_manifest(settings, RUN)
    assert manifest["marts"] == dict.fromkeys(MARTS, 2)
    for name, spec in MARTS.items():
        files = sorted((marts / name).rglob("*.parquet"))
        assert sum(pq.read_metadata(f).num_rows for f in files) == 2, name
        metadata = pq.read_metadata(files[0]).metadata
        assert metadata[b"contract_version"] == CONTRACT_VERSION.encode(), name
        assert metadata[b"mart"] == name.encode()
        if spec.partition_by:
            folders = sorted(p.name for p in (marts / name).iterdir())
            assert folders == [f"{spec.partition_by[0]}=p0", f"{spec.partition_by[0]}=p1"]
        else:
            assert [f.name for f in files] == ["part-0.parquet"]
    assert not list(marts.glob(".*"))  # no temporary folder left


def test_export_refuses_a_mart_whose_columns_differ_from_the_contract(tmp_path):
    settings = Settings(warehouse=tmp_path / "warehouse")
    con = build_database(tmp_path / "build.duckdb", break_type_of="weight_year")
    try:
        with pytest.raises(ContractError, match=r"does not match the published contract"):
            publishing.export_marts(settings, con, tmp_path / "marts")
    finally:
        con.close()


def test_the_local_target_switches_current_writes_the_views_and_prunes(exported):
    settings = exported
    (local,) = publishing.publishers(settings)
    assert isinstance(local, publishing.LocalPublisher)
    publishing.make_current(settings, OLDER)
    publishing.make_current(settings, RUN)
    assert runs.current_run_id(settings) == RUN
    assert runs.read_manifest(settings, RUN)["status"] == "published"
    assert view_rows(settings) == dict.fromkeys(MARTS, 2)
    # keep_runs = 1: the older run is pruned once the new one is current
    assert sorted(p.name for p in settings.runs_dir.iterdir()) == [RUN]
    assert (
        local.mart_uri("fct_exemption_band")
        == (settings.current_dir / "marts" / "fct_exemption_band").as_uri()
    )


def test_the_object_store_target_uploads_then_points_and_assets_name_the_bucket(exported, tmp_path):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    settings = Settings(warehouse=exported.warehouse, keep_runs=1, publish_uri=bucket.as_uri())
    targets = publishing.publishers(settings)
    assert [type(t).__name__ for t in targets] == ["ObjectStorePublisher", "LocalPublisher"]
    publishing.make_current(settings, RUN)
    pointer = object_store.read_pointer(settings.publish_uri)
    assert pointer["run_id"] == RUN
    assert pointer["marts"]["fct_exemption_band"]["rows"] == 2
    manifest = runs.read_manifest(settings, RUN)
    assert manifest["published_uri"] == object_store.redact(settings.publish_uri)
    assert manifest["status"] == "published" and "publish_object_store" in manifest["timings_s"]
    uris = publishing.mart_asset_uris(settings)
    assert uris["fct_tariff_timeline"] == f"{bucket.as_uri()}/marts/fct_tariff_timeline"
    assert set(uris) == set(MARTS)
    # the object store keeps at least two runs whatever keep_runs says
    targets[0].prune()
    assert json.loads((bucket / "current.json").read_text())["run_id"] == RUN


# ---------------------------------------------------------------- what each step says and when


def contract_error(tmp_path, columns: str) -> str:
    """The ContractError of a build database whose first mart has `columns`."""
    name, spec = next(iter(MARTS.items()))
    con = duckdb.connect()
    try:
        con.execute("create schema marts")
        con.execute(f"create table marts.{name} ({columns})")
        with pytest.raises(ContractError) as caught:
            publishing.check_contract(con, f"marts.{name}", spec)
    finally:
        con.close()
    return str(caught.value)


def test_a_contract_error_names_the_first_three_differing_columns(tmp_path):
    name, spec = next(iter(MARTS.items()))
    # every column declared as VARCHAR where the contract says otherwise: 4+ differ
    columns = [(c.name, "VARCHAR" if c.type != "VARCHAR" else "BIGINT") for c in spec.columns]
    assert len(columns) >= 4
    message = contract_error(tmp_path, ", ".join(f"{n} {t}" for n, t in columns))
    shown = [f"{got} != {(c.name, c.type)}" for got, c in zip(columns, spec.columns, strict=True)][
        :4
    ]
    assert all(pair in message for pair in shown[:3]), message
    assert shown[3] not in message, "at most three differing columns are listed"
    assert f"mart {name} does not match the published contract {CONTRACT_VERSION}" in message
    assert message.endswith("update the contract and bump its version"), message


def test_a_contract_error_counts_the_extra_columns_when_the_declared_ones_agree(tmp_path):
    _, spec = next(iter(MARTS.items()))
    declared = ", ".join(f"{c.name} {c.type}" for c in spec.columns)
    message = contract_error(tmp_path, f"{declared}, surplus_a INTEGER, surplus_b INTEGER")
    assert "(etl/contract.py): +2 columns; update the contract" in message, message
    missing = ", ".join(f"{c.name} {c.type}" for c in spec.columns[:-1])
    assert "(etl/contract.py): -1 columns;" in contract_error(tmp_path, missing)


def test_a_mart_partitioned_by_two_columns_is_written_under_both(tmp_path):
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.two_way (k INTEGER, a VARCHAR, b VARCHAR)")
    con.execute("insert into marts.two_way values (1, 'x', 'y'), (2, 'x', 'z')")
    spec = type("Spec", (), {"name": "two_way", "key": ["k"], "partition_by": ["a", "b"]})
    assert publishing.export_mart(con, spec, tmp_path / "two_way") == 2
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert files == ["two_way/a=x/b=y/part-0.parquet", "two_way/a=x/b=z/part-0.parquet"]
    con.close()


class _MiscountingConnection:
    """A build connection whose read-back of the written files reports 999 rows."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql: str):
        if "read_parquet" in sql:
            return self.con.execute("select 999")
        return self.con.execute(sql)


def test_an_export_whose_files_do_not_reconcile_leaves_no_folder_behind(tmp_path):
    con = build_database(tmp_path / "build.duckdb")
    name, spec = next(iter(MARTS.items()))
    try:
        with pytest.raises(publishing.ReconciliationError) as caught:
            publishing.export_mart(_MiscountingConnection(con), spec, tmp_path / "out" / name)
    finally:
        con.close()
    assert str(caught.value) == f"mart {name}: wrote 999 rows, built 2"
    assert list((tmp_path / "out").iterdir()) == [], "neither the mart nor its temp folder"


def test_rollback_waits_for_the_lock_as_long_as_the_settings_say(exported):
    settings = replace(exported, lock_wait_s=30.0)
    publishing.make_current(replace(settings, keep_runs=5), OLDER)
    publishing.make_current(replace(settings, keep_runs=5), RUN)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with warehouse_lock(settings.lock_path, "a short commit"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    threading.Timer(0.5, release.set).start()
    started = clock.monotonic()
    assert publishing.rollback(settings) == OLDER  # waited for the holder rather than failing
    assert clock.monotonic() - started >= 0.4
    thread.join()


def fault_points_seen(monkeypatch, settings) -> list[tuple[str, str | None]]:
    """Record each fault point reached, with the run `current` pointed at just then."""
    seen: list[tuple[str, str | None]] = []

    def record(s, name):
        seen.append((name, runs.current_run_id(settings)))

    monkeypatch.setattr(runs, "fault_point", record)
    return seen


def test_fault_points_are_reached_in_order_around_the_switch(exported, monkeypatch):
    settings = exported
    seen = fault_points_seen(monkeypatch, settings)
    publishing.LocalPublisher(settings).publish(RUN)
    assert seen == [("publish_before_switch", None), ("publish_after_switch", RUN)]
    run_dir = settings.run_dir(RUN)
    con = duckdb.connect(str(run_dir / "again.duckdb"))
    try:
        con.execute(f"attach '{run_dir / 'build.duckdb'}' as b (read_only)")
        con.execute("create schema marts")
        for name in MARTS:
            con.execute(f"create table marts.{name} as select * from b.marts.{name}")
        seen.clear()
        publishing.export_marts(settings, con, run_dir / "again")
    finally:
        con.close()
    assert seen == [("publish_during_export", RUN)] * len(MARTS)


def test_each_uploaded_file_reaches_the_upload_fault_point(exported, tmp_path, monkeypatch):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    settings = Settings(warehouse=exported.warehouse, keep_runs=1, publish_uri=bucket.as_uri())
    seen = fault_points_seen(monkeypatch, settings)
    publishing.ObjectStorePublisher(settings, settings.publish_uri).publish(RUN)
    marker = json.loads((bucket / "runs" / RUN / object_store.COMPLETE).read_text())
    assert marker["files"] > len(MARTS)  # every mart file and the run's evidence
    assert seen == [("publish_during_upload", None)] * marker["files"]


def test_the_object_store_publish_records_its_time_and_says_where(
    exported, tmp_path, monkeypatch, caplog
):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    settings = Settings(warehouse=exported.warehouse, publish_uri=bucket.as_uri())
    ticks = iter([100.0, 101.23456])
    monkeypatch.setattr(
        publishing, "time", type("Clock", (), {"monotonic": staticmethod(lambda: next(ticks))})
    )
    with caplog.at_level("INFO", logger=publishing.log.name):
        publishing.ObjectStorePublisher(settings, settings.publish_uri).publish(RUN)
    assert runs.read_manifest(settings, RUN)["timings_s"]["publish_object_store"] == 1.23
    assert f"published run {RUN} to {bucket.as_uri()}" in caplog.messages


def test_the_object_store_prune_keeps_two_runs_and_says_what_it_pruned(exported, tmp_path, caplog):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    settings = Settings(warehouse=exported.warehouse, keep_runs=1, publish_uri=bucket.as_uri())
    target = publishing.ObjectStorePublisher(settings, settings.publish_uri)
    target.publish(OLDER)
    target.publish(RUN)
    with caplog.at_level("INFO", logger=publishing.log.name):
        target.prune()  # two runs, keep_runs 1: still both kept
    assert [m for m in caplog.messages if "prune" in m] == []
    third = "20261204T120000Z-fedcba"
    export_run(settings, third)
    target.publish(third)
    with caplog.at_level("INFO", logger=publishing.log.name):
        target.prune()
    assert f"pruned runs {[OLDER]} from {bucket.as_uri()}" in caplog.messages, caplog.messages


def test_an_object_store_prune_that_fails_is_logged_not_raised(exported, monkeypatch, caplog):
    settings = Settings(warehouse=exported.warehouse, publish_uri="file:///nowhere/bucket")

    def refuse(uri, keep):
        raise OSError("no delete permission")

    monkeypatch.setattr(object_store, "prune", refuse)
    with caplog.at_level("WARNING", logger=publishing.log.name):
        publishing.ObjectStorePublisher(settings, settings.publish_uri).prune()
    assert caplog.messages == [
        "old runs not pruned from file:///nowhere/bucket: no delete permission"
    ]


def test_a_warehouse_whose_path_has_a_quote_exports_publishes_and_reads(tmp_path):
    settings = Settings(warehouse=tmp_path / "o'neil's" / "warehouse")
    assert export_run(settings, RUN) == dict.fromkeys(MARTS, 2)
    publishing.make_current(settings, RUN)
    assert view_rows(settings) == dict.fromkeys(MARTS, 2)
