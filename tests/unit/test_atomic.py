"""The one atomic-write helper: the target holds the old bytes or the new ones, never half, and
no temporary file outlives a write, failed or not."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl import atomic


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_each_writer_replaces_the_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "out.bin"  # the folder is created
    atomic.write_bytes_atomic(target, b"old")
    atomic.write_bytes_atomic(target, b"\x00new\xff")
    assert target.read_bytes() == b"\x00new\xff"
    text = tmp_path / "t.txt"
    atomic.write_text_atomic(text, "żółw 龜\n")
    assert text.read_bytes() == "żółw 龜\n".encode()
    js = tmp_path / "m.json"
    atomic.write_json_atomic(js, {"b": 1, "a": "é"}, sort_keys=True, ensure_ascii=False)
    assert js.read_text(encoding="utf-8") == '{"a": "é", "b": 1}'
    pq_path = tmp_path / "p.parquet"
    atomic.write_parquet_atomic(pa.table({"x": [3, 1, 2]}), pq_path)
    assert pq.read_table(pq_path).column("x").to_pylist() == [3, 1, 2]
    assert pq.ParquetFile(pq_path).metadata.row_group(0).column(0).compression == "ZSTD"
    assert leftovers(tmp_path) == leftovers(target.parent) == []


def test_a_failing_write_keeps_the_old_file_and_removes_its_temporary(tmp_path):
    target = tmp_path / "manifest.json"
    atomic.write_json_atomic(target, {"run": 1})

    def half_then_fail(tmp):
        tmp.write_text('{"run": ')
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic.write_atomic(target, half_then_fail)
    assert json.loads(target.read_text()) == {"run": 1}
    assert leftovers(tmp_path) == []
    with pytest.raises(TypeError):  # not serialisable: nothing written, nothing left
        atomic.write_json_atomic(target, {"run": object()})
    assert json.loads(target.read_text()) == {"run": 1} and leftovers(tmp_path) == []


def test_the_file_and_its_folder_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "fsync file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    atomic.write_bytes_atomic(tmp_path / "x", b"1")
    assert events == ["fsync file", "rename", "fsync dir"]


def test_switch_symlink_points_at_the_new_target_relatively(tmp_path):
    (tmp_path / "runs" / "a").mkdir(parents=True)
    (tmp_path / "runs" / "b").mkdir()
    link = tmp_path / "current"
    atomic.switch_symlink(link, tmp_path / "runs" / "a")
    atomic.switch_symlink(link, tmp_path / "runs" / "b")
    assert os.readlink(link) == os.path.join("runs", "b")
    assert link.resolve() == (tmp_path / "runs" / "b").resolve()
    assert leftovers(tmp_path) == []


def test_replace_dir_atomic_swaps_a_whole_folder(tmp_path):
    old, new = tmp_path / "marts", tmp_path / "staged"
    old.mkdir()
    (old / "part-0.parquet").write_bytes(b"old")
    new.mkdir()
    (new / "part-0.parquet").write_bytes(b"new")
    atomic.replace_dir_atomic(new, old)
    assert (old / "part-0.parquet").read_bytes() == b"new"
    assert not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marts"]  # the old copy is removed
