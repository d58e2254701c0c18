"""Publishing to object storage: a local S3 (moto's server on 127.0.0.1) and a file:// folder.

The whole pipeline publishes into the bucket with pyarrow's S3 client, exactly as it would to
AWS (the endpoint comes from the URI); nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from etl import object_store, pipeline, publishing, runs
from etl.contract import MARTS
from etl.settings import Settings
from tests.helpers import PROJECT_ROOT, PUBLISH_STEP, gated_tiny_run

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module")
def s3_uri():
    from moto.server import ThreadedMotoServer

    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update(AWS_ENV)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    pafs.S3FileSystem(
        endpoint_override=endpoint, region="us-east-1", allow_bucket_creation=True
    ).create_dir("tariffs")
    try:
        yield f"s3://tariffs/warehouse?endpoint_override={endpoint}&scheme=http&region=us-east-1"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _read_remote_mart(uri: str, pointer: dict, name: str):
    fs, base = object_store.open_target(uri)
    spec = MARTS[name]
    dataset = ds.dataset(
        f"{base}/{pointer['marts'][name]['path']}",
        filesystem=fs,
        format="parquet",
        partitioning="hive" if spec.partition_by else None,
    )
    return dataset.to_table().sort_by([(k, "ascending") for k in spec.key])


def test_a_run_publishes_to_s3_and_a_killed_upload_leaves_the_pointer(s3_uri, tmp_path):
    settings = Settings(warehouse=tmp_path / "wh", publish_uri=s3_uri)
    first = pipeline.run_all(settings).run_id
    pointer = object_store.read_pointer(s3_uri)
    assert pointer["run_id"] == first == runs.current_run_id(settings)
    # every mart in the bucket has the local rows, values and types
    for name, spec in MARTS.items():
        local = ds.dataset(
            settings.current_dir / "marts" / name,
            format="parquet",
            partitioning="hive" if spec.partition_by else None,
        ).to_table()
        local = local.sort_by([(k, "ascending") for k in spec.key])
        remote = _read_remote_mart(s3_uri, pointer, name)
        assert remote.num_rows == local.num_rows == pointer["marts"][name]["rows"], name
        assert remote.select(local.column_names).equals(local), name
    # the contract version travels in every Parquet file's key-value metadata
    fs, base = object_store.open_target(s3_uri)
    band = f"{base}/marts/fct_exemption_band/run_id={first}/part-0.parquet"
    with fs.open_input_file(band) as fh:
        meta = pq.read_metadata(fh).metadata
    assert meta[b"contract_version"].decode() == pointer["contract_version"]
    assert fs.get_file_info(f"{base}/runs/{first}/manifest.json").type == pafs.FileType.File

    # a run killed while uploading (its publish step, on a small build database): the pointer
    # and the local current stay on the first run
    killed = gated_tiny_run(settings)
    env = {
        **os.environ,
        "TARIFF_ETL_WAREHOUSE": str(settings.warehouse),
        "TARIFF_ETL_PUBLISH_URI": s3_uri,
        "TARIFF_ETL_FAULT_AT": "publish_during_upload",
    }
    result = subprocess.run(
        [sys.executable, "-c", PUBLISH_STEP, killed],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert object_store.read_pointer(s3_uri)["run_id"] == first
    assert runs.current_run_id(settings) == first

    # its objects are in the bucket, without the completion marker
    assert object_store.published_runs(s3_uri) == [first]

    # the next run publishes and prunes the interrupted upload; a rollback re-points the
    # bucket as well as `current`
    second = gated_tiny_run(settings)
    pipeline.publish(settings, second)
    assert object_store.read_pointer(s3_uri)["run_id"] == second != first
    assert object_store.published_runs(s3_uri) == [first, second]
    leftovers = fs.get_file_info(pafs.FileSelector(f"{base}/marts", recursive=True))
    assert not [i.path for i in leftovers if f"run_id={killed}" in i.path]
    assert publishing.rollback(settings, first) == first
    assert object_store.read_pointer(s3_uri)["run_id"] == first
    assert runs.current_run_id(settings) == first


def _fake_run(settings: Settings, run_id: str) -> None:
    run_dir = settings.run_dir(run_id)
    (run_dir / "marts" / "m").mkdir(parents=True)
    (run_dir / "marts" / "m" / "part-0.parquet").write_bytes(b"PAR1")
    (run_dir / "quality").mkdir()
    (run_dir / "quality" / "raw.json").write_text("{}")
    (run_dir / "manifest.json").write_text(
        json.dumps({"run_id": run_id, "contract_version": "x", "marts": {"m": 1}})
    )


def test_file_target_pointer_prune_and_redaction(tmp_path):
    settings = Settings(warehouse=tmp_path / "wh")
    uri = (tmp_path / "bucket").as_uri()
    for run_id in ("20260101T000000Z-a", "20260102T000000Z-b", "20260103T000000Z-c"):
        _fake_run(settings, run_id)
        object_store.switch_pointer(uri, object_store.upload_run(settings, run_id, uri))
    bucket = tmp_path / "bucket"
    assert json.loads((bucket / "current.json").read_text())["run_id"] == "20260103T000000Z-c"
    assert not list(bucket.glob(".*.tmp"))  # the pointer is written aside, then renamed
    assert (bucket / "marts/m/run_id=20260102T000000Z-b/part-0.parquet").read_bytes() == b"PAR1"
    # the pointer names the oldest run: prune keeps it and the newest
    object_store.switch_pointer(
        uri, {**json.loads((bucket / "current.json").read_text()), "run_id": "20260101T000000Z-a"}
    )
    # an interrupted upload: objects under a run id, no completion marker
    (bucket / "marts/m/run_id=20260104T000000Z-d").mkdir()
    (bucket / "marts/m/run_id=20260104T000000Z-d/part-0.parquet").write_bytes(b"PA")
    assert object_store.published_runs(uri) == [
        "20260101T000000Z-a",
        "20260102T000000Z-b",
        "20260103T000000Z-c",
    ]
    assert object_store.prune(uri, keep=1) == ["20260102T000000Z-b", "20260104T000000Z-d"]
    assert sorted(p.name for p in (bucket / "marts/m").iterdir()) == [
        "run_id=20260101T000000Z-a",
        "run_id=20260103T000000Z-c",
    ]
    assert object_store.published_runs(uri) == ["20260101T000000Z-a", "20260103T000000Z-c"]
    # a rollback to a pruned run is refused (the pointer stays), to a kept one re-points
    with pytest.raises(object_store.ObjectStoreError, match="not complete"):
        object_store.pointer_for_published(settings, "20260102T000000Z-b", uri)
    kept = object_store.pointer_for_published(settings, "20260103T000000Z-c", uri)
    assert kept["marts"]["m"]["path"] == "marts/m/run_id=20260103T000000Z-c/"
    for secret_uri in (
        "s3://KEY:SECRET@bucket/wh/?endpoint_override=http://x:1",
        "s3://AKIAXX:Se/Cr+et@bucket/wh",  # an unencoded '/' in the secret
    ):
        assert object_store.redact(secret_uri) == "s3://bucket/wh"
    with pytest.raises(object_store.ObjectStoreError) as err:
        object_store.open_target("s3://AKIAXX:Se/Cr+et@bucket/wh?unknown_opt=1")
    assert "Cr+et" not in str(err.value) and "AKIAXX" not in str(err.value)


def test_a_failed_prune_of_the_object_store_is_a_warning(tmp_path, monkeypatch, caplog):
    def no_delete_permission(uri, keep):
        raise OSError("AccessDenied")

    monkeypatch.setattr(object_store, "prune", no_delete_permission)
    settings = Settings(warehouse=tmp_path / "wh", publish_uri=(tmp_path / "b").as_uri())
    publishing.ObjectStorePublisher(
        settings, settings.publish_uri
    ).prune()  # after both switches: must not fail the run
    assert "AccessDenied" in caplog.text


def test_an_object_store_warehouse_setting_builds_locally_and_publishes_there(monkeypatch):
    from etl import settings as settings_module

    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", "s3://bucket/tariffs?region=eu-west-1")
    monkeypatch.setenv("TARIFF_ETL_WORKDIR", "/tmp/tariff-etl-work")
    settings_module.get_settings.cache_clear()
    try:
        settings = settings_module.get_settings()
    finally:
        settings_module.get_settings.cache_clear()
    assert settings.publish_uri == "s3://bucket/tariffs?region=eu-west-1"
    assert str(settings.warehouse) == "/tmp/tariff-etl-work"
    from etl.errors import EtlError

    # bad URIs fail in one line naming the (redacted) target, before any network call
    with pytest.raises(EtlError, match=r"s3://nowhere/x: .*unknown_opt"):
        object_store.open_target("s3://nowhere/x?region=us-east-1&unknown_opt=1")
    with pytest.raises(EtlError, match="nosuch://x/y"):
        object_store.open_target("nosuch://x/y")


def _small_run(settings: Settings, run_id: str) -> None:
    """A run folder with two mart files and its evidence (what upload_run publishes)."""
    run_dir = settings.run_dir(run_id)
    for mart, size in (("a", 3000), ("b", 1500)):
        (run_dir / "marts" / mart).mkdir(parents=True)
        (run_dir / "marts" / mart / "part-0.parquet").write_bytes(bytes(range(256)) * (size // 256))
    (run_dir / "quality").mkdir()
    (run_dir / "quality" / "raw.json").write_text("{}")
    (run_dir / "manifest.json").write_text(
        json.dumps({"run_id": run_id, "contract_version": "x", "marts": {"a": 1, "b": 1}})
    )


@pytest.mark.parametrize("store", ["file", "s3"])
def test_an_object_stored_short_is_refused_and_the_pointer_stays(
    store, tmp_path, monkeypatch, request
):
    """The store keeps a shorter object than the local file (a truncated PUT): the size check
    fails the publish naming the object; the pointer keeps naming the previous run."""
    if store == "s3":  # a prefix of its own in the moto bucket
        uri = request.getfixturevalue("s3_uri").replace(
            "tariffs/warehouse?", f"tariffs/size-check-{tmp_path.name}?"
        )
        assert "size-check" in uri
    else:
        uri = (tmp_path / "bucket").as_uri()
    settings = Settings(warehouse=tmp_path / "wh", publish_uri=uri)
    good, bad = "20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"
    for run_id in (good, bad):
        _small_run(settings, run_id)
    object_store.switch_pointer(uri, object_store.upload_run(settings, good, uri))
    assert object_store.read_pointer(uri)["run_id"] == good

    victim = f"marts/b/run_id={bad}/part-0.parquet"
    real_copy = pafs.copy_files

    def truncating_copy(source, destination, **kwargs):
        real_copy(source, destination, **kwargs)
        if destination.endswith(victim):  # the store ends up with the object cut short
            with kwargs["destination_filesystem"].open_output_stream(destination) as out:
                out.write(b"PAR1")

    monkeypatch.setattr(pafs, "copy_files", truncating_copy)
    try:
        publishing.ObjectStorePublisher(settings, uri).publish(bad)
    except object_store.ObjectStoreError as exc:
        message = str(exc)
    else:
        pytest.fail(
            f"{victim} is 4 bytes in the store and the upload accepted it (no size check): "
            f"the pointer now names {object_store.read_pointer(uri)['run_id']}"
        )
    local_size = (settings.run_dir(bad) / "marts/b/part-0.parquet").stat().st_size
    assert f"{victim} has size 4, expected {local_size}" in message, (
        f"a short object must fail the publish naming it; got: {message}"
    )
    assert "\n" not in message
    # nothing moved: the pointer names the good run, the bad one has no completion marker
    assert object_store.read_pointer(uri)["run_id"] == good
    assert object_store.published_runs(uri) == [good]
