"""Publishing the marts to object storage (S3, GCS, Azure, HDFS, or a file:// folder).

The build needs a POSIX work area (DuckDB build files, the flock, hard-linked snapshots, the
`current` symlink), so runs are always built on local disk (`Settings.warehouse`). When a
publish URI is set (`TARIFF_ETL_PUBLISH_URI`, or an object-store URI given as
`TARIFF_ETL_WAREHOUSE`), `publish` also writes the validated run there, before anything is
switched:

    <uri>/marts/<mart>/run_id=<run_id>/[<partition>=<v>/]part-0.parquet   immutable, per run
    <uri>/runs/<run_id>/manifest.json, quality/..., reports/...             evidence
    <uri>/current.json                                                     the pointer

Every file of the run is uploaded and its size checked first; then `current.json` is replaced
by one PUT (atomic on every object store: a reader gets the old pointer or the new one). A run
killed half-way leaves objects under a run id no pointer names, without the `runs/<id>/_COMPLETE`
marker written after the last upload, and the previous pointer intact; the next publish prunes
them.
Readers resolve the pointer, then read one run's prefix (Hive `run_id=` partitions, so a
whole-history read works too):

    SET VARIABLE run_id = (SELECT run_id FROM read_json('s3://bucket/tariffs/current.json'));
    SELECT * FROM read_parquet('s3://bucket/tariffs/marts/fct_exemption_band/run_id='
        || getvariable('run_id') || '/**/*.parquet');

pyarrow.fs does the I/O (one library for every store, already a dependency); the URI carries
the store's options (`s3://bucket/prefix?region=eu-west-1&endpoint_override=...`) and
credentials come from the store's usual environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS...).
"""

from __future__ import annotations

import json
import posixpath
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from etl.errors import EtlError
from etl.settings import Settings

POINTER = "current.json"
COMPLETE = "_COMPLETE"
EVIDENCE = ("manifest.json", "quality", "reports")


class ObjectStoreError(EtlError):
    """The publish target could not be written or read."""


def redact(uri: str) -> str:
    """The URI without credentials or query options (for logs, asset URIs, messages).

    Credentials are cut textually (everything between '://' and the last '@' before the path)
    before parsing: a secret holding an unencoded '/' would otherwise be read as the path."""
    scheme, sep, rest = uri.partition("://")
    if sep and "@" in rest:
        rest = rest.rsplit("@", 1)[1]
    parts = urlsplit(f"{scheme}{sep}{rest}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _scrub(text: str, uri: str) -> str:
    """An error text with the URI (and any credentials in it) replaced by its redacted form."""
    text = text.replace(uri, redact(uri))
    scheme, sep, rest = uri.partition("://")
    if sep and "@" in rest:
        text = text.replace(rest.rsplit("@", 1)[0], "***")
    return text


@lru_cache(maxsize=8)
def open_target(uri: str) -> tuple[Any, str]:
    """(pyarrow FileSystem, base path inside it) for a publish URI. Cached: building an S3
    filesystem without a region in the URI costs a request, and publish, prune and rollback
    open the same target several times."""
    import pyarrow.fs as pafs

    try:
        fs, base = pafs.FileSystem.from_uri(uri)
    except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        raise ObjectStoreError(f"publish target {redact(uri)}: {_scrub(str(exc), uri)}") from None
    return fs, base.rstrip("/")


def _local_files(run_dir: Path, run_id: str) -> list[tuple[Path, str]]:
    """(local file, path relative to the target base) for every file a run publishes."""
    files = []
    for mart_dir in sorted((run_dir / "marts").iterdir()):
        for path in sorted(p for p in mart_dir.rglob("*") if p.is_file()):
            rel = path.relative_to(mart_dir).as_posix()
            files.append((path, f"marts/{mart_dir.name}/run_id={run_id}/{rel}"))
    for name in EVIDENCE:
        item = run_dir / name
        paths = [item] if item.is_file() else sorted(p for p in item.rglob("*") if p.is_file())
        for path in paths:
            files.append((path, f"runs/{run_id}/{path.relative_to(run_dir).as_posix()}"))
    return files


def _write_bytes(fs: Any, path: str, data: bytes) -> None:
    import pyarrow.fs as pafs

    if isinstance(fs, pafs.LocalFileSystem):  # a local folder: write aside, then rename
        tmp = f"{posixpath.dirname(path)}/.{posixpath.basename(path)}.{uuid.uuid4().hex}.tmp"
        with fs.open_output_stream(tmp) as out:
            out.write(data)
        fs.move(tmp, path)
    else:  # object stores: one PUT replaces the object atomically
        with fs.open_output_stream(path) as out:
            out.write(data)


def upload_run(
    settings: Settings, run_id: str, uri: str, on_file: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Upload a validated run's marts and evidence under its run id; check every size.

    Returns the pointer document to write with `switch_pointer` once this has succeeded.
    """
    import pyarrow.fs as pafs

    fs, base = open_target(uri)
    run_dir = settings.run_dir(run_id)
    files = _local_files(run_dir, run_id)
    local = pafs.LocalFileSystem()
    try:
        for path, rel in files:
            target = f"{base}/{rel}"
            fs.create_dir(posixpath.dirname(target), recursive=True)
            pafs.copy_files(str(path), target, source_filesystem=local, destination_filesystem=fs)
            if on_file:
                on_file()  # test-only fault injection between files
        infos = fs.get_file_info([f"{base}/{rel}" for _, rel in files])
    except OSError as exc:
        raise ObjectStoreError(
            f"upload of run {run_id} to {redact(uri)} failed: {_scrub(str(exc), uri)}"
        ) from None
    for (path, rel), info in zip(files, infos, strict=True):
        if info.type != pafs.FileType.File or info.size != path.stat().st_size:
            raise ObjectStoreError(
                f"upload of run {run_id} to {redact(uri)}: {rel} has size {info.size}, "
                f"expected {path.stat().st_size}"
            )
    # the completion marker, last: a run id without it is an interrupted upload (pruned)
    _write_bytes(fs, f"{base}/runs/{run_id}/{COMPLETE}", json.dumps({"files": len(files)}).encode())
    return _pointer(run_dir, run_id)


def _pointer(run_dir: Path, run_id: str) -> dict[str, Any]:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return {
        "run_id": run_id,
        "published_at": datetime.now(UTC).isoformat(),
        "contract_version": manifest.get("contract_version"),
        "marts": {
            name: {"path": f"marts/{name}/run_id={run_id}/", "rows": rows}
            for name, rows in sorted(manifest.get("marts", {}).items())
        },
        "evidence": f"runs/{run_id}/",
    }


def pointer_for_published(settings: Settings, run_id: str, uri: str) -> dict[str, Any]:
    """The pointer to a run already on the target (rollback); error unless the run's upload
    completed and every one of its marts is still there."""
    import pyarrow.fs as pafs

    fs, base = open_target(uri)
    pointer = _pointer(settings.run_dir(run_id), run_id)
    paths = [f"{base}/runs/{run_id}/{COMPLETE}"] + [
        f"{base}/{m['path'].rstrip('/')}" for m in pointer["marts"].values()
    ]
    missing = [i.path for i in fs.get_file_info(paths) if i.type == pafs.FileType.NotFound]
    if missing:
        raise ObjectStoreError(
            f"run {run_id} is not complete on {redact(uri)} (pruned or interrupted; missing "
            f"{len(missing)} of {len(paths)} objects): publish it again with a run"
        )
    return pointer


def switch_pointer(uri: str, pointer: dict[str, Any]) -> None:
    """Replace `<uri>/current.json` (one atomic write)."""
    fs, base = open_target(uri)
    try:
        _write_bytes(fs, f"{base}/{POINTER}", json.dumps(pointer, indent=2).encode())
    except OSError as exc:
        raise ObjectStoreError(f"cannot write {redact(uri)}/{POINTER}: {exc}") from None


def read_pointer(uri: str) -> dict[str, Any] | None:
    fs, base = open_target(uri)
    import pyarrow.fs as pafs

    path = f"{base}/{POINTER}"
    if fs.get_file_info(path).type != pafs.FileType.File:
        return None
    with fs.open_input_stream(path) as src:
        return json.loads(src.read())


def published_runs(uri: str) -> list[str]:
    """Run ids whose upload completed (`runs/<id>/_COMPLETE`), oldest first."""
    import pyarrow.fs as pafs

    fs, base = open_target(uri)
    infos = fs.get_file_info(pafs.FileSelector(f"{base}/runs", allow_not_found=True))
    ids = sorted(i.base_name for i in infos if i.type == pafs.FileType.Directory)
    markers = fs.get_file_info([f"{base}/runs/{r}/{COMPLETE}" for r in ids])
    return [r for r, m in zip(ids, markers, strict=True) if m.type == pafs.FileType.File]


def _all_run_ids(fs: Any, base: str) -> tuple[set[str], list[str]]:
    """(every run id with any object, the mart folders) on the target."""
    import pyarrow.fs as pafs

    marts = [
        i.path
        for i in fs.get_file_info(pafs.FileSelector(f"{base}/marts", allow_not_found=True))
        if i.type == pafs.FileType.Directory
    ]
    ids = {
        i.base_name
        for i in fs.get_file_info(pafs.FileSelector(f"{base}/runs", allow_not_found=True))
        if i.type == pafs.FileType.Directory
    }
    for mart in marts:
        for i in fs.get_file_info(pafs.FileSelector(mart, allow_not_found=True)):
            if i.type == pafs.FileType.Directory and i.base_name.startswith("run_id="):
                ids.add(i.base_name.removeprefix("run_id="))
    return ids, marts


def prune(uri: str, keep: int) -> list[str]:
    """Delete completed runs beyond the newest `keep` and every interrupted upload (a run id
    without its completion marker), never the run the pointer names. A run's evidence (with
    its marker) goes first, so a half-pruned run is never taken for a complete one."""
    import pyarrow.fs as pafs

    fs, base = open_target(uri)
    pointer = read_pointer(uri) or {}
    complete = published_runs(uri)
    every, marts = _all_run_ids(fs, base)
    doomed = set(complete[: max(len(complete) - keep, 0)]) | (every - set(complete))
    doomed.discard(pointer.get("run_id"))
    for run_id in sorted(doomed):
        if fs.get_file_info(f"{base}/runs/{run_id}").type == pafs.FileType.Directory:
            fs.delete_dir(f"{base}/runs/{run_id}")
        for mart in marts:
            target = f"{mart}/run_id={run_id}"
            if fs.get_file_info(target).type == pafs.FileType.Directory:
                fs.delete_dir(target)
    return sorted(doomed)
