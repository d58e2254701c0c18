"""Hostile landing and inbox files: things that are not regular files, symlinks out of the
inbox, secrets in the first line, huge header lines; a held lock for `tariff-etl ingest`."""

from __future__ import annotations

import os
import socket
import time

import pytest

from etl.customs.generate import generate
from etl.customs.inbox import discover_inputs, ingest_discovered
from etl.settings import Settings
from tests.unit.test_lock import hold

SECRET = "API_TOKEN=sekrit-0123456789"


def make_directory(tmp_path):
    path = tmp_path / "adir.csv"
    path.mkdir()
    return path, "is a directory"


def make_fifo(tmp_path):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path, "is a FIFO"


def make_socket(tmp_path):
    path = tmp_path / "s.csv"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()
    return path, "is a socket"


def make_dangling(tmp_path):
    path = tmp_path / "gone.csv"
    path.symlink_to(tmp_path / "nowhere.csv")
    return path, "is a dangling symlink"


def make_device(tmp_path):
    return "/dev/zero", "is a device"


def make_missing(tmp_path):
    return tmp_path / "missing.csv", "does not exist"


@pytest.mark.parametrize(
    "make", [make_directory, make_fifo, make_socket, make_dangling, make_device, make_missing]
)
def test_ingest_refuses_what_is_not_a_regular_file_by_name(run_cli, tmp_path, make):
    path, says = make(tmp_path)
    started = time.monotonic()
    result = run_cli(tmp_path / "wh", "ingest", "comtrade", str(path))
    assert result.code == 2, result.err
    assert f"file {path}: {says}" in result.err
    assert time.monotonic() - started < 30  # a FIFO is never opened (it would block)


@pytest.mark.parametrize(
    "content",
    [
        f"{SECRET}\nsecond line\n",
        "x" * 200_000 + "\n1\n",  # one 200 KB header cell
        "\x1b]0;owned\x07\x1b[2J,b\n1,2\n",  # terminal escapes in the header
    ],
    ids=["secret_first_line", "huge_header", "escapes_in_header"],
)
def test_a_bad_file_error_is_short_and_quotes_at_most_the_field(run_cli, tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = run_cli(tmp_path / "wh", "ingest", "comtrade", str(path))
    assert result.code == 2
    assert len(result.err) < 600 and result.err.count("\n") == 1, result.err[:1000]
    assert "\x1b" not in result.err and "\x07" not in result.err
    assert "second line" not in result.err


def test_ingest_on_the_command_line_fails_at_once_when_the_lock_is_held(run_cli, tmp_path):
    good = tmp_path / "good.csv"
    generate("comtrade", 50, good, seed=3, start="2018-01", months=2)
    warehouse = tmp_path / "wh"
    holder = hold(warehouse / ".lock", 30)
    try:
        started = time.monotonic()
        result = run_cli(warehouse, "ingest", "comtrade", str(good))
        assert result.code == 2 and "is locked by another writer" in result.err, result.err
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()


def inbox_settings(tmp_path) -> Settings:
    return Settings(warehouse=tmp_path / "wh")


def test_inbox_symlinks_out_of_the_inbox_are_refused_without_reading_them(tmp_path):
    settings = inbox_settings(tmp_path)
    folder = settings.customs_inbox / "comtrade"
    folder.mkdir(parents=True)
    secret = tmp_path / "secret.env"
    secret.write_text(f"{SECRET}\n")
    (folder / "token.csv").symlink_to(secret)
    (folder / "passwd.csv").symlink_to("/etc/passwd")
    (folder / "linked_dir").symlink_to(tmp_path)
    os.mkfifo(folder / "pipe.csv")
    good = folder / "good.csv"
    generate("comtrade", 40, good, seed=5, start="2018-01", months=2)
    inside = folder / "alias.csv"
    inside.symlink_to(good)  # a link that stays in the inbox is fine

    results = ingest_discovered(settings)
    by_name = {r.path.name: r for r in results}
    for name in ("token.csv", "passwd.csv"):
        assert "symlink to a path outside the inbox" in by_name[name].error
    assert "outside the inbox" in by_name["linked_dir"].error
    assert "is a FIFO" in by_name["pipe.csv"].error
    assert SECRET not in str([r.error for r in results])
    assert by_name["good.csv"].error is None and by_name["good.csv"].rows_loaded > 0
    assert by_name["alias.csv"].error is None
    rejected = (settings.warehouse / "inbox_rejected.json").read_text()
    assert "token.csv" in rejected and SECRET not in rejected
    # what was discovered is what was reported: nothing silently skipped
    assert {os.path.basename(i["path"]) for i in discover_inputs(settings)} >= set(by_name)


def test_one_unreadable_inbox_file_does_not_block_the_others(tmp_path):
    settings = inbox_settings(tmp_path)
    folder = settings.customs_inbox / "comtrade"
    folder.mkdir(parents=True)
    (folder / "a_broken.csv").write_text("not,a,comtrade,file\n1,2,3,4\n")
    good = folder / "b_good.csv"
    generate("comtrade", 40, good, seed=6, start="2018-01", months=2)
    results = {r.path.name: r for r in ingest_discovered(settings)}
    assert results["a_broken.csv"].error and "unknown column" in results["a_broken.csv"].error
    assert results["b_good.csv"].error is None and results["b_good.csv"].rows_loaded > 0
    # the bundled files landed too
    assert sum(1 for r in results.values() if r.error is None) == len(results) - 1
