"""The landed store: unchanged inputs write nothing, a changed month rewrites only its
partition, stale partitions go, failures leave the store as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from etl.customs.api import ingest_files
from etl.customs.core import IngestOptions, Prepared
from etl.customs.generate import generate
from etl.customs.store import LandedStore, StreamOutcome, file_key, reconcile
from etl.errors import ReconciliationError, SourceFormatError
from tests.customs.helpers import COMTRADE_CHN, landed, part_files, quarantine, settings_for

Y2018 = "source=china_customs/reporter=CHN/year=2018"


@pytest.fixture
def two_months(tmp_path):
    """Two monthly China Customs exports, as the platform delivers them (one file per month)."""
    jan = tmp_path / "in" / "imports_201801.csv"
    feb = tmp_path / "in" / "imports_201802.csv"
    generate("china-customs", 400, jan, seed=1, start="2018-01", months=1, malformed_rate=0.02)
    generate("china-customs", 300, feb, seed=2, start="2018-02", months=1, malformed_rate=0.02)
    return jan, feb


def test_reingesting_unchanged_files_writes_nothing(tmp_path, two_months):
    settings = settings_for(tmp_path)
    first = ingest_files(settings, "china-customs", list(two_months))
    assert [r.partitions_written for r in first] == [[Y2018], [Y2018]]
    assert len(part_files(settings)) == 2  # each monthly file owns its part of the year
    for r in first:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined and r.rows_quarantined > 0
    store = LandedStore(settings)
    before = part_files(settings)
    manifest_before = store.manifest_path.read_bytes()
    quarantine_before = {p: p.stat().st_mtime_ns for p in store.quarantine_dir.rglob("*")}

    again = ingest_files(settings, "china-customs", list(two_months))
    assert all(r.skipped_unchanged and r.partitions_written == [] for r in again)
    assert [r.rows_loaded for r in again] == [r.rows_loaded for r in first]
    assert part_files(settings) == before  # same mtimes, same bytes
    assert store.manifest_path.read_bytes() == manifest_before
    assert {p: p.stat().st_mtime_ns for p in store.quarantine_dir.rglob("*")} == quarantine_before

    # touched but not changed: hashed, found identical, still no part file written
    jan = two_months[0]
    os.utime(jan, ns=(jan.stat().st_atime_ns, jan.stat().st_mtime_ns + 10**9))
    touched = ingest_files(settings, "china-customs", [jan])
    assert touched[0].skipped_unchanged and part_files(settings) == before


def test_changing_one_months_file_rewrites_only_that_partition(tmp_path, two_months):
    """February changes: February's part file is replaced, January's is not touched."""
    settings = settings_for(tmp_path)
    jan, feb = two_months
    ingest_files(settings, "china-customs", [jan, feb])
    before = part_files(settings)
    data = feb.read_bytes().decode("gbk").splitlines(keepends=True)
    data.insert(3, data[2])  # one more row
    feb.write_bytes("".join(data).encode("gbk"))

    results = ingest_files(settings, "china-customs", [jan, feb])
    assert results[0].skipped_unchanged
    assert results[1].partitions_written == [Y2018] and not results[1].skipped_unchanged
    assert results[1].rows_read == 301
    after = part_files(settings)
    assert after.keys() == before.keys()
    changed = [k for k in after if after[k] != before[k]]
    feb_key = file_key(str(feb.resolve()))
    assert changed == [f"{Y2018}/part-{feb_key}.parquet"]


def test_a_file_that_no_longer_feeds_a_partition_leaves_it(tmp_path):
    settings = settings_for(tmp_path)
    copy = tmp_path / "in" / "TradeData_China_USA.csv"
    copy.parent.mkdir()
    shutil.copy(COMTRADE_CHN, copy)
    ingest_files(settings, "comtrade", [copy])
    assert {r["period_year"] for r in landed(settings)} == set(range(2013, 2024))
    lines = copy.read_bytes().split(b"\r\n")
    copy.write_bytes(b"\r\n".join([x for x in lines if b'"2013"' not in x]))  # drop 2013
    (result,) = ingest_files(settings, "comtrade", [copy])
    assert result.partitions_removed == ["source=un_comtrade/reporter=CHN/year=2013"]
    # a changed file rewrites every partition it still feeds (one per year here)
    assert len(result.partitions_written) == 10
    assert {r["period_year"] for r in landed(settings)} == set(range(2014, 2024))
    assert not (
        LandedStore(settings).trade_flows / "source=un_comtrade/reporter=CHN/year=2013"
    ).exists()


def test_two_files_feeding_one_partition_keep_their_own_parts(tmp_path, two_months):
    settings = settings_for(tmp_path)
    jan = two_months[0]
    exports = tmp_path / "in" / "exports_201801.csv"
    generate("china-customs", 200, exports, seed=3, start="2018-01", months=1, flow="export")
    ingest_files(settings, "china-customs", [jan, exports])
    parts = [k for k in part_files(settings) if k.startswith(Y2018)]
    assert len(parts) == 2
    flows = {r["flow"] for r in landed(settings)}
    assert flows == {"import", "export"}
    before = part_files(settings)
    generate("china-customs", 150, exports, seed=4, start="2018-01", months=1, flow="export")
    ingest_files(settings, "china-customs", [jan, exports])
    after = part_files(settings)
    changed = {k for k in after if after[k] != before.get(k)}
    assert len(changed) == 1 and changed <= set(parts)
    assert sum(r["flow"] == "export" for r in landed(settings)) == 150


def test_a_missing_part_file_makes_the_next_ingest_redo_the_file(tmp_path, two_months):
    settings = settings_for(tmp_path)
    ingest_files(settings, "china-customs", list(two_months))
    victim = next(iter(LandedStore(settings).trade_flows.rglob("*.parquet")))
    victim.unlink()
    results = ingest_files(settings, "china-customs", list(two_months))
    assert sum(not r.skipped_unchanged for r in results) == 1
    assert victim.exists()


def test_options_are_part_of_the_identity(tmp_path):
    settings = settings_for(tmp_path)
    path = tmp_path / "201801.csv"
    generate("china-customs", 100, path, seed=5, start="2018-01", months=1)
    ingest_files(settings, "china-customs", [path], options=IngestOptions(flow="import"))
    (again,) = ingest_files(settings, "china-customs", [path], options=IngestOptions(flow="export"))
    assert not again.skipped_unchanged
    assert {r["flow"] for r in landed(settings)} == {"export"}


def test_a_file_that_cannot_be_parsed_changes_nothing(tmp_path, two_months):
    settings = settings_for(tmp_path)
    jan = two_months[0]
    ingest_files(settings, "china-customs", [jan])
    before = part_files(settings)
    rows_before = quarantine(settings)
    text = jan.read_bytes().decode("gbk")
    jan.write_bytes((text + '201801,"01012100,unterminated\r\n').encode("gbk"))
    with pytest.raises(SourceFormatError, match="cannot be parsed"):
        ingest_files(settings, "china-customs", [jan])
    assert part_files(settings) == before and quarantine(settings) == rows_before
    leftovers = [p for p in LandedStore(settings).tmp.iterdir() if p.name != "spill"]
    assert leftovers == []


def test_a_quoted_newline_is_a_clear_error(tmp_path):
    settings = settings_for(tmp_path)
    lines = COMTRADE_CHN.read_bytes().split(b"\r\n")
    lines[1] = lines[1].replace(b'"All Commodities"', b'"All\nCommodities"')
    path = tmp_path / "multiline.csv"
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(SourceFormatError, match="multiline.csv.*cannot be parsed"):
        ingest_files(settings, "comtrade", [path])
    assert part_files(settings) == {}


def test_reconcile_checks_both_counts():
    prepared = Prepared(source="x", sha256="", relations=[("", 4)], rows_read=5)
    table = pa.Table.from_pylist([{"reason_code": "blank_row"}] * 1)
    outcome = StreamOutcome(4, {}, {"p": 4}, table, Path("."))
    reconcile("f.csv", prepared, outcome)  # 5 read = 4 loaded + 1 quarantined
    with pytest.raises(ReconciliationError, match="DuckDB read 3 records"):
        reconcile("f.csv", prepared, StreamOutcome(3, {}, {"p": 3}, table, Path(".")))
    with pytest.raises(ReconciliationError, match="5 rows read but 3 loaded"):
        reconcile("f.csv", prepared, StreamOutcome(4, {}, {"p": 3}, table, Path(".")))


def test_stop_on_error_false_reports_and_continues(tmp_path, two_months):
    settings = settings_for(tmp_path)
    missing = tmp_path / "in" / "imports_201803.csv"
    results = ingest_files(settings, "china-customs", [missing, *two_months], stop_on_error=False)
    assert "file not found" in results[0].error
    assert [r.rows_loaded > 0 for r in results[1:]] == [True, True]


@pytest.mark.parametrize("pieces", [2, 3])
def test_a_file_cut_into_pieces_lands_exactly_as_a_whole(tmp_path, monkeypatch, pieces):
    """Big files are parsed as concurrent line-aligned pieces: same rows, same row numbers,
    same quarantine (blank lines and malformed rows on both sides of the cuts)."""
    from dataclasses import replace

    import etl.customs.textscan as textscan

    lines = COMTRADE_CHN.read_bytes().split(b"\r\n")
    header, data = lines[0], [x for x in lines[1:] if x]
    body = []
    for i in range(12):  # 12 copies of the 22 rows, with damage spread through the file
        for j, row in enumerate(data):
            if (i * 22 + j) % 37 == 5:
                body.append(b"")
            if (i * 22 + j) % 41 == 7:
                row = row.replace(b'"156","CHN"', b'"156","CHX"', 1)
            body.append(row)
    path = tmp_path / "big.csv"
    path.write_bytes(b"\r\n".join([header, *body]) + b"\r\n")

    whole = settings_for(tmp_path / "a")
    (a,) = ingest_files(whole, "comtrade", [path])
    monkeypatch.setattr(textscan, "MIN_PIECE_BYTES", 1024)
    split = replace(settings_for(tmp_path / "b"), duckdb_threads=pieces)
    (b,) = ingest_files(split, "comtrade", [path])
    assert (a.rows_read, a.rows_loaded, a.rows_quarantined) == (
        b.rows_read,
        b.rows_loaded,
        b.rows_quarantined,
    )
    assert a.rows_quarantined > 10
    keys = ("_source_row", "reporter_iso3", "period", "flow", "trade_value_usd")
    rows_a = [tuple(r[k] for k in keys) for r in landed(whole)]
    rows_b = [tuple(r[k] for k in keys) for r in landed(split)]
    assert sorted(rows_a) == sorted(rows_b)
    q = [(r["source_row"], r["reason_code"]) for r in quarantine(whole)]
    assert q == [(r["source_row"], r["reason_code"]) for r in quarantine(split)]
    # the pieces really ran: more than one part file in some partition
    assert any(len(v) > 1 for v in _files_per_partition(split).values())


def _files_per_partition(settings) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rel in part_files(settings):
        folder, name = rel.rsplit("/", 1)
        out.setdefault(folder, []).append(name)
    return out


def test_a_file_still_being_copied_is_not_landed(tmp_path, two_months, monkeypatch):
    """The file grows while it is read (a copy in progress): nothing is landed, one clear error."""
    from etl.customs import api

    settings = settings_for(tmp_path)
    jan = two_months[0]
    real_prepare = api.ADAPTERS["china-customs"]

    def prepare_while_the_copy_goes_on(ctx, tmp):
        prepared = real_prepare(ctx, tmp)
        with open(jan, "ab") as fh:  # the copier appends more rows meanwhile
            fh.write("201801,01012100,马,502,美国,1,头,,,100,\r\n".encode("gbk"))
        return prepared

    monkeypatch.setitem(api.ADAPTERS, "china-customs", prepare_while_the_copy_goes_on)
    with pytest.raises(SourceFormatError, match="imports_201801.csv.*changed while it was read"):
        ingest_files(settings, "china-customs", [jan])
    assert part_files(settings) == {} and not LandedStore(settings).manifest_path.exists()
