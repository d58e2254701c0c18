"""The publish path on a tiny build database: mart export against the contract, and each
publish target (`LocalPublisher`, `ObjectStorePublisher` on a file:// bucket) making a run
current. The pipeline tests do the same on the bundled data in minutes; these take a second."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from etl import object_store, publishing, runs
from etl.contract import CONTRACT_VERSION, MARTS
from etl.errors import ContractError
from etl.settings import Settings

RUN, OLDER = "20261203T120000Z-abcdef", "20261201T120000Z-012345"
LITERALS = {
    "VARCHAR": "'v'",
    "BOOLEAN": "true",
    "DATE": "date '2025-03-10'",
    "DOUBLE": "1.5",
    "INTEGER": "2",
    "BIGINT": "3",
}


def build_database(path, rows_per_mart: int = 2, break_type_of: str | None = None):
    """A run's build database: every mart of the contract with `rows_per_mart` rows (a
    partitioned mart's rows in two partitions, p0 and p1)."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    for name, spec in MARTS.items():
        columns = []
        for column in spec.columns:
            kind = "VARCHAR" if column.name == break_type_of else column.type
            columns.append(f"{column.name} {kind}")
        con.execute(f"create table marts.{name} ({', '.join(columns)})")
        for i in range(rows_per_mart):
            values = []
            for column in spec.columns:
                if column.name in spec.partition_by:
                    values.append(f"'p{i % 2}'")
                elif column.name in spec.key:  # distinct per row, in the column's type
                    values.append(
                        {
                            "VARCHAR": f"'k{i}'",
                            "DATE": f"date '2025-03-1{i}'",
                            "BOOLEAN": "true" if i else "false",
                        }.get(column.type, str(i))
                    )
                else:
                    values.append(LITERALS[column.type])
            con.execute(f"insert into marts.{name} values ({', '.join(values)})")
    return con


@pytest.fixture
def exported(tmp_path) -> Settings:
    """A validated run (marts exported, manifest written) and an older published run."""
    settings = Settings(warehouse=tmp_path / "warehouse", keep_runs=1)
    for run_id in (OLDER, RUN):
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
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        for name in MARTS:
            assert con.execute(f"select count(*) from {name}").fetchone() == (2,), name
    finally:
        con.close()
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
