"""Atomic writes, one way everywhere: write a temporary file in the target's folder, fsync it,
rename it over the target, fsync the folder.

A reader (DuckDB, a BI tool, a browser, the next run) sees the old file or the new one, never
half of one; a killed writer leaves at most a `.<name>.<uuid>.tmp` beside the old file, and no
temporary file survives an exception.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pyarrow is imported by the one writer that needs it
    import pyarrow as pa


def temp_path(path: Path) -> Path:
    """A fresh temporary name beside `path` (same folder, so the final rename is atomic)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder: the rename is still atomic
    finally:
        os.close(fd)


def commit_file(tmp: Path, path: Path) -> Path:
    """fsync the fully written `tmp`, rename it over `path`, fsync the folder."""
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return path


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to fill a temporary file, then commit it to `path` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        write(tmp)
        return commit_file(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: Path, payload: bytes) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_bytes(payload))


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, payload: Any, **dumps: Any) -> Path:
    """`json.dumps(payload, **dumps)` written atomically (UTF-8)."""
    return write_text_atomic(path, json.dumps(payload, **dumps))


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    """Write `table` to `path` as zstd Parquet, atomically."""
    import pyarrow.parquet as pq

    return write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def replace_dir_atomic(src: Path, dst: Path) -> None:
    """Move a fully written folder `src` to `dst`, replacing any previous `dst`.

    POSIX cannot atomically swap two non-empty folders, so the old one is first renamed
    aside (one rename), the new one renamed in (one rename), then the old one removed.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    old = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.old")
    if dst.exists():
        os.rename(dst, old)
    os.rename(src, dst)
    _fsync_dir(dst.parent)
    shutil.rmtree(old, ignore_errors=True)


def switch_symlink(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically (rename of a fresh symlink over the old one)."""
    tmp = temp_path(link)
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)
    _fsync_dir(link.parent)
